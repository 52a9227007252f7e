package teacher

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sync"
	"testing"

	"github.com/oneshotface/oneshot/nn"
	"github.com/oneshotface/oneshot/teacher/faceapiref"
)

// The real weights are fetched by scripts/fetch-faceapi.sh; tests that need
// them skip without. They are loaded once for the whole package.
var (
	realOnce  sync.Once
	realModel *nn.Model
	realErr   error
)

func realTeacher(tb testing.TB) *nn.Model {
	tb.Helper()
	realOnce.Do(func() {
		dir, err := ModelDir()
		if err != nil {
			realErr = err
			return
		}
		realModel, realErr = LoadDir(dir)
	})
	if errors.Is(realErr, ErrNotFetched) {
		tb.Skipf("skipping: %v", realErr)
	}
	if realErr != nil {
		tb.Fatal(realErr)
	}
	return realModel
}

// tolerance is the largest difference allowed per descriptor component
// between the port and face-api. The port agrees to about 3e-7; the
// tolerance is 1e-5, not a looser 1e-3, because dividing by 256 instead of
// 255 moves the descriptor by only 2.3e-4, so 1e-3 would pass that mistake.
const tolerance = 1e-5

// TestMatchesFaceAPI is the proof of the port: our network, on the same
// pixels, gives face-api's own descriptors (testdata/teacher_ref.json,
// made by scripts/faceapi-ref in headless Chromium) within tolerance per
// component.
func TestMatchesFaceAPI(t *testing.T) {
	m := realTeacher(t)
	ref, err := faceapiref.ReadFile(filepath.Join("..", "testdata", "teacher_ref.json"))
	if err != nil {
		t.Fatal(err)
	}
	data := faceapiref.DataDir()
	var names []string
	var inputs, want [][]float32
	for _, c := range ref.Cases {
		px, w, h, err := c.Input.Pixels(data)
		if errors.Is(err, faceapiref.ErrNoData) {
			t.Logf("case %s skipped: %v", c.Name, err)
			continue
		}
		if err != nil {
			t.Fatalf("case %s: %v", c.Name, err)
		}
		in, err := Preprocess(px, w, h)
		if err != nil {
			t.Fatalf("case %s: %v", c.Name, err)
		}
		names = append(names, c.Name)
		inputs = append(inputs, in)
		want = append(want, c.Descriptor)
	}
	if len(inputs) < 6 {
		t.Fatalf("only %d reference cases usable; the synthetic ones should always be", len(inputs))
	}
	got, err := Embed(m, inputs...)
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	desc := map[string][]float32{}
	for i, name := range names {
		d := maxAbsDiff(got[i], want[i])
		worst = max(worst, d)
		t.Logf("%-18s max |ours − face-api| = %.2e  (|face-api| = %.3f)", name, d, norm(want[i]))
		if d > tolerance {
			t.Errorf("%s: descriptor differs from face-api by up to %.2e (> %g)", name, d, tolerance)
		}
		desc[name] = got[i]
	}
	t.Logf("worst component difference over %d cases: %.2e", len(names), worst)

	// the descriptors mean something: same person closer than different
	if a, b, c := desc["lfw-bush-1"], desc["lfw-bush-2"], desc["lfw-powell-1"]; a != nil && b != nil && c != nil {
		same, diff := dist(a, b), dist(a, c)
		t.Logf("LFW: d(Bush 1, Bush 2) = %.3f, d(Bush 1, Powell 1) = %.3f", same, diff)
		if same >= SameThreshold || diff <= SameThreshold {
			t.Errorf("same person at %.3f, different at %.3f; want < %g and > %g", same, diff, SameThreshold, SameThreshold)
		}
	}
}

// TestSaveLoad: the converted teacher survives nn.Save/nn.Load bit for bit.
func TestSaveLoad(t *testing.T) {
	m := realTeacher(t)
	var buf bytes.Buffer
	if err := nn.Save(&buf, m); err != nil {
		t.Fatal(err)
	}
	m2, err := nn.Load(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	px, _ := faceapiref.Pattern("face", InputSize, InputSize, 3)
	in, err := Preprocess(toF32(px), InputSize, InputSize)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Embed(m, in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Embed(m2, in)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(a[0], b[0]); d != 0 {
		t.Errorf("reloaded model differs by %g", d)
	}
	if m2.Meta["threshold"] != "0.6" {
		t.Errorf("meta not kept: %v", m2.Meta)
	}
	t.Logf("model file: %.1f MB", float64(buf.Len())/1e6)
}

// BenchmarkForward times 150×150 crops through the teacher natively, one
// at a time and in batches of 8 (as distillation would), per crop. The
// network is about 273 M multiply-adds a crop.
func BenchmarkForward(b *testing.B) {
	m := realTeacher(b)
	px, _ := faceapiref.Pattern("face", InputSize, InputSize, 5)
	in, err := Preprocess(toF32(px), InputSize, InputSize)
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 8} {
		batch := make([][]float32, n)
		for i := range batch {
			batch[i] = in
		}
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			if _, err := Embed(m, batch...); err != nil { // warm the layers' buffers
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := Embed(m, batch...); err != nil {
					b.Fatal(err)
				}
			}
			perCrop := b.Elapsed().Seconds() / float64(b.N*n)
			b.ReportMetric(perCrop*1e3, "ms/crop")
			b.ReportMetric(273e6/perCrop/1e9, "GMAC/s")
		})
	}
}

func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

func norm(a []float32) float64 {
	s := 0.0
	for _, v := range a {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

func dist(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return math.Sqrt(s)
}

func toF32(b []byte) []float32 {
	f := make([]float32, len(b))
	for i, v := range b {
		f[i] = float32(v)
	}
	return f
}
