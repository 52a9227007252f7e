package embedder

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/nn"
)

func TestCompactEmbedsUnitVectors(t *testing.T) {
	m, err := NewCompact(1)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(m)
	if err != nil {
		t.Fatal(err)
	}
	crops := []*image.RGBA{e.Template.NewCrop(), e.Template.NewCrop()}
	for i := range crops[1].Pix {
		crops[1].Pix[i] = uint8(i * 7)
	}
	v, err := e.EmbedCrops(crops)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range v {
		if len(x) != EmbeddingDim {
			t.Fatalf("embedding %d has %d values, want %d", i, len(x), EmbeddingDim)
		}
		var s float64
		for _, y := range x {
			s += float64(y) * float64(y)
		}
		if math.Abs(s-1) > 1e-4 {
			t.Errorf("embedding %d has squared norm %g, want 1", i, s)
		}
	}
	// Batch and single embedding agree.
	one, err := e.EmbedCrop(crops[1])
	if err != nil {
		t.Fatal(err)
	}
	for k := range one {
		if math.Abs(float64(one[k]-v[1][k])) > 1e-5 {
			t.Fatalf("single and batched embeddings differ at %d: %g vs %g", k, one[k], v[1][k])
		}
	}
}

// TestDescribeRoundTripsThroughTheModelFile: a described model saved to a
// file opens (Open) to an Embedder with its template, normalisation and
// threshold; a missing file matches os.ErrNotExist, and a file that is
// not a model is refused with an error naming it.
func TestDescribeRoundTripsThroughTheModelFile(t *testing.T) {
	m, err := NewCompact(2)
	if err != nil {
		t.Fatal(err)
	}
	if err := Describe(m, CompactTemplate, CompactNorm, 0.87); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := nn.Save(&buf, m); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := dir + "/m.oneshot"
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if e.Template != CompactTemplate || e.Norm != CompactNorm || e.Threshold != 0.87 {
		t.Fatalf("read back template %+v norm %+v threshold %g", e.Template, e.Norm, e.Threshold)
	}
	if _, err := Open(dir + "/none.oneshot"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want os.ErrNotExist", err)
	}
	bad := dir + "/bad.oneshot"
	if err := os.WriteFile(bad, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("a file that is not a model: %v, want an error naming it", err)
	}
}

// TestStrictThreshold: DescribeStrict writes a point below the threshold
// that New reads back, refuses one that is not stricter, and Describe
// drops it when it recalibrates the threshold it was measured against.
func TestStrictThreshold(t *testing.T) {
	m, _ := NewCompact(3)
	if err := DescribeStrict(m, 0.5); err == nil {
		t.Error("a strict threshold was written to a model without a threshold")
	}
	if err := Describe(m, CompactTemplate, CompactNorm, 1.1); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []float32{0, -0.5, 1.1, 1.5, float32(math.NaN()), float32(math.Inf(1))} {
		if err := DescribeStrict(m, bad); err == nil {
			t.Errorf("strict threshold %g accepted beside threshold 1.1", bad)
		}
	}
	if err := DescribeStrict(m, 0.97); err != nil {
		t.Fatal(err)
	}
	e, err := New(m)
	if err != nil {
		t.Fatal(err)
	}
	if e.Threshold != 1.1 || e.StrictThreshold != 0.97 {
		t.Fatalf("read back threshold %g, strict %g; want 1.1, 0.97", e.Threshold, e.StrictThreshold)
	}
	if err := Describe(m, CompactTemplate, CompactNorm, 1.2); err != nil {
		t.Fatal(err)
	}
	if e, err = New(m); err != nil || e.StrictThreshold != 0 {
		t.Fatalf("after a new threshold the strict one reads %g (%v), want none", e.StrictThreshold, err)
	}
}

func TestNewRefusesModelsItCannotFeed(t *testing.T) {
	m, _ := NewCompact(3)
	for name, edit := range map[string]func(*nn.Model){
		"no template":  func(m *nn.Model) { delete(m.Meta, MetaTemplate) },
		"bad template": func(m *nn.Model) { m.Meta[MetaTemplate] = "{" },
		"bad norm":     func(m *nn.Model) { m.Meta[MetaNorm] = "[" },
		"bad threshold": func(m *nn.Model) {
			m.Meta[MetaThreshold] = "-1"
		},
		"bad strict threshold": func(m *nn.Model) { m.Meta[MetaStrictThreshold] = "NaN" },
		"input size":           func(m *nn.Model) { m.Input = [3]int{32, 32, 3} },
		"bad mirror":           func(m *nn.Model) { m.Meta[MetaMirror] = "yes" },
		"bad cohort":           func(m *nn.Model) { m.Meta[MetaCohort] = "T1NDT0hSVDE=" },
		"not a cohort":         func(m *nn.Model) { m.Meta[MetaCohort] = "%" },
	} {
		c, err := m.Clone()
		if err != nil {
			t.Fatal(err)
		}
		edit(c)
		if _, err := New(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := New(nil); err == nil {
		t.Error("nil model accepted")
	}
	e, _ := New(m)
	if _, err := e.EmbedCrop(image.NewRGBA(image.Rect(0, 0, 10, 10))); err == nil {
		t.Error("a crop of the wrong size was accepted")
	}
	if _, err := e.Embed(image.NewRGBA(image.Rect(0, 0, 100, 100)), face.Eyes{}); err == nil {
		t.Error("eyes at one point were accepted")
	}
}

// BenchmarkCompactEmbed is the native forward pass of one crop through
// the shipped model (models/compact.oneshot, which must be there), batch
// norms folded as the engine runs it (the target is ≤ 10 ms).
func BenchmarkCompactEmbed(b *testing.B) {
	f, err := os.Open("../models/compact.oneshot")
	if err != nil {
		b.Fatalf("the shipped model: %v", err)
	}
	m, err := nn.Load(f)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	benchEmbedCrop(b, m)
}

// BenchmarkCompactArchEmbed is BenchmarkCompactEmbed for each
// architecture cmd/train offers, with fresh weights (the speed does not
// depend on them): what a candidate would cost before it is trained.
func BenchmarkCompactArchEmbed(b *testing.B) {
	for _, name := range []string{CompactV1.Name, CompactV2.Name, CompactV2Deep.Name, CompactV2At80.Name} {
		b.Run(name, func(b *testing.B) {
			m, err := CompactArchs[name].New(1)
			if err != nil {
				b.Fatal(err)
			}
			benchEmbedCrop(b, m)
		})
	}
}

// benchEmbedCrop times the embedding of one crop by m, batch norms folded
// as the engine runs it.
func benchEmbedCrop(b *testing.B, m *nn.Model) {
	e, err := New(m)
	if err != nil {
		b.Fatal(err)
	}
	if err := e.ForInference(); err != nil {
		b.Fatal(err)
	}
	crop := e.Template.NewCrop()
	for b.Loop() {
		if _, err := e.EmbedCrop(crop); err != nil {
			b.Fatal(err)
		}
	}
}

// TestForInference checks that the batch-norm-folded copy embeds as the
// model does (within float rounding), with batch norms that are not the
// identity, and that the model itself is left unchanged.
func TestForInference(t *testing.T) {
	m, err := NewCompact(5)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(m)
	if err != nil {
		t.Fatal(err)
	}
	// A few training passes give the batch norms running statistics far
	// from 0 and 1.
	rng := rand.New(rand.NewPCG(5, 6))
	per := e.Template.Width * e.Template.Height * 3
	x := make([]float32, 4*per)
	for i := range x {
		x[i] = rng.Float32()*2 - 1
	}
	in, _ := nn.FromSlice(x, 4, e.Template.Height, e.Template.Width, 3)
	for range 3 {
		if _, err := m.Forward(in, true); err != nil {
			t.Fatal(err)
		}
	}
	want, err := e.EmbedTensor(x, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ForInference(); err != nil {
		t.Fatal(err)
	}
	got, err := e.EmbedTensor(x, 4)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		for j := range want[i] {
			if d := math.Abs(float64(got[i][j] - want[i][j])); d > 1e-4 {
				t.Fatalf("embedding %d[%d]: folded %v, model %v", i, j, got[i][j], want[i][j])
			}
		}
	}
	c, err := e.Clone()
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.EmbedTensor(x, 4)
	if err != nil || again[0][0] != got[0][0] {
		t.Errorf("clone of a folded embedder: %v, %v (want %v)", again[0][0], err, got[0][0])
	}
	// Only the dense layer's batch norm remains in the folded copy; the
	// model itself keeps all of them (it can be fine-tuned).
	before, after := strings.Count(fmt.Sprint(m.Net.Spec()), "batchnorm"), strings.Count(fmt.Sprint(e.folded.Net.Spec()), "batchnorm")
	if after != 1 || before < 10 {
		t.Errorf("batch norms: %d in the model, %d after folding (want many, then 1)", before, after)
	}
}

// TestCompactArchs builds every architecture cmd/train offers and checks
// it embeds its own crop size into a 128-d unit vector.
func TestCompactArchs(t *testing.T) {
	for name, a := range CompactArchs {
		m, err := a.New(1)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		e, err := New(m)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.Meta["architecture"] != name || (a.Template.Width != 0 && e.Template != a.Template) {
			t.Errorf("%s: architecture %q, template %+v", name, m.Meta["architecture"], e.Template)
		}
		v, err := e.EmbedCrop(e.Template.NewCrop())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var s float64
		for _, x := range v {
			s += float64(x) * float64(x)
		}
		if len(v) != EmbeddingDim || math.Abs(s-1) > 1e-4 {
			t.Errorf("%s: %d values of squared norm %v", name, len(v), s)
		}
	}
	bad := CompactV2
	bad.Template = face.DlibTemplate(72, 0.1)
	if _, err := bad.New(1); err == nil {
		t.Error("a 72×72 crop (not a multiple of 16) was accepted")
	}
}

// BenchmarkCompactTrain is the network's part of one training step of
// cmd/train: forward and backward of a batch of 64 crops through each
// architecture (the loss and optimiser are not included). Reported per
// image, as cmd/train's progress bar counts.
func BenchmarkCompactTrain(b *testing.B) {
	const batch = 64
	for _, name := range []string{CompactV1.Name, CompactV2.Name, CompactV2Deep.Name} {
		b.Run(name, func(b *testing.B) {
			m, err := CompactArchs[name].New(1)
			if err != nil {
				b.Fatal(err)
			}
			x, err := nn.FromSlice(make([]float32, batch*64*64*3), batch, 64, 64, 3)
			if err != nil {
				b.Fatal(err)
			}
			for i, v := range x.Float32s() {
				x.Float32s()[i] = v + float32(i%251)/125 - 1
			}
			grad := make([]float32, batch*EmbeddingDim) // a made-up loss gradient
			for i := range grad {
				grad[i] = float32(i%7)/7 - 0.5
			}
			dy, err := nn.FromSlice(grad, batch, EmbeddingDim)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := m.Forward(x, true); err != nil {
					b.Fatal(err)
				}
				if _, err := m.Backward(dy); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(batch)*float64(b.N)/b.Elapsed().Seconds(), "img/s")
		})
	}
}

// TestGrowFromCompactV2: a compact-v2-deep model started from a trained
// compact-v2 (InitFrom) embeds every crop as that model did — its grown
// blocks are the identity — and other starts are refused.
func TestGrowFromCompactV2(t *testing.T) {
	from, err := CompactV2.New(3)
	if err != nil {
		t.Fatal(err)
	}
	// Trained-looking batch norms: running statistics and scales away
	// from their defaults, so a block that is not the identity shows.
	rng := rand.New(rand.NewPCG(4, 5))
	for _, p := range from.Params() {
		v := p.Value.Float32s()
		for i := range v {
			switch {
			case strings.HasSuffix(p.Name, "running_var"), strings.HasSuffix(p.Name, "gamma"):
				v[i] = 0.5 + rng.Float32()
			case strings.HasSuffix(p.Name, "running_mean"), strings.HasSuffix(p.Name, "beta"):
				v[i] = rng.Float32() - 0.5
			}
		}
	}
	grown, err := CompactV2Deep.New(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := CompactV2Deep.InitFrom(grown, from); err != nil {
		t.Fatal(err)
	}
	a, err := New(from)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(grown)
	if err != nil {
		t.Fatal(err)
	}
	crops := make([]*image.RGBA, 3)
	for k := range crops {
		crops[k] = CompactTemplate.NewCrop()
		for i := range crops[k].Pix {
			crops[k].Pix[i] = uint8(rng.IntN(256))
		}
	}
	va, err := a.EmbedCrops(crops)
	if err != nil {
		t.Fatal(err)
	}
	vb, err := b.EmbedCrops(crops)
	if err != nil {
		t.Fatal(err)
	}
	for k := range va {
		for c := range va[k] {
			if d := math.Abs(float64(va[k][c] - vb[k][c])); d > 1e-5 {
				t.Fatalf("crop %d value %d: %g grown, %g before", k, c, vb[k][c], va[k][c])
			}
		}
	}
	if n, m := len(grown.Params()), len(from.Params()); n <= m {
		t.Errorf("compact-v2-deep has %d parameter tensors, compact-v2 %d: nothing grown", n, m)
	}

	v1, _ := CompactV1.New(1)
	if err := CompactV2Deep.InitFrom(grown, v1); err == nil {
		t.Error("compact-v2-deep started from compact-v1")
	}
	if err := CompactV2.InitFrom(from, grown); err == nil {
		t.Error("compact-v2 started from compact-v2-deep")
	}
	if err := CompactV2.InitFrom(grown, from); err == nil {
		t.Error("InitFrom of compact-v2 accepted a compact-v2-deep model to start")
	}
}

// TestRescaleFromCompactV2: a compact-v2-80 model started from a trained
// compact-v2 (InitFrom) takes every weight as it is but the GDC kernel,
// which is resampled from the 4×4 map to the 5×5 one: bilinearly, cell
// centres aligned, scaled by 16/25 so that its sum stays about the same.
// On a kernel that is a plane in each channel the resampled value is
// exactly the plane's (clamped at the rim) times 16/25. Other starts are
// refused.
func TestRescaleFromCompactV2(t *testing.T) {
	from, err := CompactV2.New(3)
	if err != nil {
		t.Fatal(err)
	}
	gdc := from.Param(gdcWeight)
	ks, c := gdc.Value.Shape()[0], gdc.Value.Shape()[3]
	plane := func(ch int, y, x float64) float64 { return float64(ch%7) - 0.3*y + 0.2*float64(ch%3)*x }
	for y := range ks {
		for x := range ks {
			for ch := range c {
				gdc.Value.Float32s()[(y*ks+x)*c+ch] = float32(plane(ch, float64(y), float64(x)))
			}
		}
	}
	m, err := CompactV2At80.New(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := CompactV2At80.InitFrom(m, from); err != nil {
		t.Fatal(err)
	}
	for _, q := range from.Params() {
		if q.Name == gdcWeight {
			continue
		}
		got, want := m.Param(q.Name).Value.Float32s(), q.Value.Float32s()
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s[%d] = %g, want %g as in the model started from", q.Name, i, got[i], want[i])
			}
		}
	}
	r := m.Param(gdcWeight).Value
	kd := r.Shape()[0]
	if kd != 5 || r.Shape()[3] != c {
		t.Fatalf("compact-v2-80's GDC kernel is %v, want 5×5×1×%d", r.Shape(), c)
	}
	at := func(i int) float64 { // dst cell centre on src's grid, clamped
		return max(0, min(float64(ks-1), (float64(i)+0.5)*float64(ks)/float64(kd)-0.5))
	}
	for y := range kd {
		for x := range kd {
			for ch := range c {
				want := plane(ch, at(y), at(x)) * 16 / 25
				if got := float64(r.Float32s()[(y*kd+x)*c+ch]); math.Abs(got-want) > 1e-5 {
					t.Fatalf("resampled GDC kernel at (%d, %d) channel %d: %g, want %g", y, x, ch, got, want)
				}
			}
		}
	}

	v1, _ := CompactV1.New(1)
	if err := CompactV2At80.InitFrom(m, v1); err == nil {
		t.Error("compact-v2-80 started from compact-v1")
	}
	back, _ := CompactV2.New(1)
	if err := CompactV2.InitFrom(back, m); err == nil {
		t.Error("compact-v2 started from compact-v2-80: only the smaller crop rescales to the larger")
	}
	if err := resampleGDC(from.Param(gdcWeight).Value, r); err == nil {
		t.Error("a 5×5 GDC kernel resampled down to 4×4")
	}
}

// TestCompactArchsFitTheBudget: every architecture cmd/train offers
// saves to at most 2 MB, the model file budget of the pretraining issue.
func TestCompactArchsFitTheBudget(t *testing.T) {
	for name, a := range CompactArchs {
		m, err := a.New(1)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := nn.Save(&buf, m); err != nil {
			t.Fatal(err)
		}
		if buf.Len() > 2<<20 {
			t.Errorf("%s: %d bytes, over 2 MB", name, buf.Len())
		}
		t.Logf("%s: %d bytes", name, buf.Len())
	}
}

// TestMirror: with "mirror" set, an embedding is the unit-length mean of
// the model's embeddings of the crop and of its mirror image, so a crop and
// its mirror image embed alike; batched and single crops agree.
func TestMirror(t *testing.T) {
	m, err := NewCompact(7)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := New(m)
	if err != nil {
		t.Fatal(err)
	}
	mm, err := m.Clone()
	if err != nil {
		t.Fatal(err)
	}
	mm.Meta[MetaMirror] = "1"
	mirrored, err := New(mm)
	if err != nil {
		t.Fatal(err)
	}
	if plain.Mirror || !mirrored.Mirror {
		t.Fatalf("Mirror: %v without the setting, %v with it", plain.Mirror, mirrored.Mirror)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	crop, flipped := plain.Template.NewCrop(), plain.Template.NewCrop()
	for i := range crop.Pix {
		crop.Pix[i] = uint8(rng.IntN(256))
	}
	w := crop.Rect.Dx()
	for y := range crop.Rect.Dy() {
		for x := range w {
			copy(flipped.Pix[y*crop.Stride+x*4:][:4], crop.Pix[y*crop.Stride+(w-1-x)*4:][:4])
		}
	}
	p, err := plain.EmbedCrops([]*image.RGBA{crop, flipped})
	if err != nil {
		t.Fatal(err)
	}
	v, err := mirrored.EmbedCrops([]*image.RGBA{crop, flipped})
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for k := range p[0] {
		n += float64(p[0][k]+p[1][k]) * float64(p[0][k]+p[1][k])
	}
	n = math.Sqrt(n)
	var norm float64
	for k := range v[0] {
		want := float32(float64(p[0][k]+p[1][k]) / n)
		if math.Abs(float64(v[0][k]-want)) > 1e-5 || math.Abs(float64(v[1][k]-want)) > 1e-5 {
			t.Fatalf("value %d: mirrored embeddings %g and %g, want the mean of the plain ones %g", k, v[0][k], v[1][k], want)
		}
		norm += float64(v[0][k]) * float64(v[0][k])
	}
	if math.Abs(norm-1) > 1e-5 {
		t.Errorf("squared norm %g, want 1", norm)
	}
	if p[0][0] == p[1][0] {
		t.Error("the plain model embeds a crop and its mirror alike: the test shows nothing")
	}
	one, err := mirrored.EmbedCrop(flipped)
	if err != nil {
		t.Fatal(err)
	}
	for k := range one {
		if math.Abs(float64(one[k]-v[1][k])) > 1e-5 {
			t.Fatalf("single and batched mirrored embeddings differ at %d", k)
		}
	}
}

// TestWorkers: every worker is a clone ready for inference that embeds as
// the original does; fewer than one worker is refused.
func TestWorkers(t *testing.T) {
	m, err := NewCompact(9)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Workers(0); err == nil {
		t.Error("0 workers: no error")
	}
	ws, err := e.Workers(2)
	if err != nil {
		t.Fatal(err)
	}
	crop := e.Template.NewCrop()
	for i := range crop.Pix {
		crop.Pix[i] = uint8(i * 13)
	}
	want, err := e.EmbedCrop(crop)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range ws {
		if w == e || w.folded == nil || w.Model == e.Model {
			t.Fatalf("worker %d is not a folded clone", i)
		}
		got, err := w.EmbedCrop(crop)
		if err != nil {
			t.Fatal(err)
		}
		for k := range got {
			if math.Abs(float64(got[k]-want[k])) > 1e-4 {
				t.Fatalf("worker %d, value %d: %g, the original %g", i, k, got[k], want[k])
			}
		}
	}
}
