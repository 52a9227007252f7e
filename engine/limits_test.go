//go:build !js

package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/nn"
)

// TestOversizedCallsAreRefused: the calls of issue 42 that killed the wasm
// module — fineTune with 256 captures that all reference one 4096×4096
// buffer, enroll with 32 such frames — are refused before any picture is
// looked at, with an error that says what the limit is, and the engine
// answers afterwards.
func TestOversizedCallsAreRefused(t *testing.T) {
	e, _ := newEngine(t)
	big := Frame{Pix: make([]byte, 4096*4096*4), Width: 4096, Height: 4096}
	caps := make([]Capture, MaxFineTuneImages)
	for i := range caps {
		caps[i] = Capture{Frame: big, Label: []string{"ann", "bob"}[i%2]}
	}
	steps := 0
	_, err := e.FineTune(context.Background(), FineTuneRequest{Captures: caps, Yield: func() { steps++ }}, nil)
	if !errors.Is(err, ErrOverBudget) || !strings.Contains(err.Error(), "MiB") {
		t.Errorf("fineTune with 256 references to one 4096×4096 buffer: %v, want an error wrapping ErrOverBudget", err)
	}
	if steps != 0 {
		t.Errorf("fineTune aligned %d pictures before refusing the call", steps)
	}
	frames := make([]Frame, MaxFrames)
	for i := range frames {
		frames[i] = big
	}
	if _, err := e.Enroll("ann", frames); !errors.Is(err, ErrOverBudget) {
		t.Errorf("enroll with 32 frames of 4096×4096: %v, want an error wrapping ErrOverBudget", err)
	}
	if held := e.budget.Held(); held != 0 {
		t.Errorf("after the calls the budget still holds %d bytes", held)
	}
	// The engine keeps answering.
	if d, err := e.Detect(grey(64, 48)); err != nil || len(d.Faces) != 0 {
		t.Errorf("Detect after the refused calls: %+v, %v", d, err)
	}

	// Calls in progress share MaxPendingBytes: when they hold it, a new
	// call is refused at once, and served once they are done.
	if err := e.budget.Reserve(MaxPendingBytes - 1000); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Detect(grey(64, 48)); !errors.Is(err, ErrOverBudget) || !strings.Contains(err.Error(), "wait for them") {
		t.Errorf("Detect while the budget is held: %v, want an error wrapping ErrOverBudget", err)
	}
	e.budget.Release(MaxPendingBytes - 1000)
	if _, err := e.Detect(grey(64, 48)); err != nil {
		t.Errorf("Detect after the budget was given back: %v", err)
	}
}

func TestBudget(t *testing.T) {
	b := NewBudget(100)
	if err := b.Reserve(60); err != nil {
		t.Fatal(err)
	}
	if err := b.Reserve(41); !errors.Is(err, ErrOverBudget) {
		t.Errorf("60 + 41 of 100: %v, want ErrOverBudget", err)
	}
	if err := b.Reserve(-1); err == nil {
		t.Error("a negative reservation was taken")
	}
	if err := b.Reserve(40); err != nil || b.Held() != 100 {
		t.Errorf("60 + 40 of 100: %v, held %d", err, b.Held())
	}
	b.Release(100)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if b.Reserve(10) == nil {
					b.Release(10)
				}
			}
		})
	}
	wg.Wait()
	if b.Held() != 0 {
		t.Errorf("after concurrent use the budget holds %d", b.Held())
	}
	if err := CheckCallBytes(MaxCallBytes); err != nil {
		t.Errorf("a call of exactly MaxCallBytes: %v", err)
	}
	if err := CheckCallBytes(MaxCallBytes + 1); !errors.Is(err, ErrOverBudget) {
		t.Errorf("a call over MaxCallBytes: %v", err)
	}
	// 256 frames of 640×480 (a page's fine-tuning captures) fit a call.
	if err := CheckCallBytes(256 * 640 * 480 * 4); err != nil {
		t.Errorf("256 frames of 640×480: %v", err)
	}
}

// modelOf saves net as an embedding model for template tmpl with the given
// threshold (0: none), in half precision.
func modelOf(t testing.TB, net nn.Layer, tmpl face.Template, threshold float32) []byte {
	t.Helper()
	m := nn.NewModel(net, tmpl.Height, tmpl.Width, 3)
	if err := embedder.Describe(m, tmpl, face.NormSigned, threshold); err != nil {
		t.Fatal(err)
	}
	m.RoundToHalf()
	var buf bytes.Buffer
	if err := nn.Save(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// headerOnly is the start of a model file: magic, version and a JSON header
// describing net on tmpl's crops, and no weights at all. The engine must
// judge such a file by its header, and so refuse it before reading on.
func headerOnly(t testing.TB, net nn.Spec, tmpl face.Template) []byte {
	t.Helper()
	tj, _ := json.Marshal(tmpl)
	h, err := json.Marshal(map[string]any{
		"input": []int{tmpl.Height, tmpl.Width, 3},
		"meta":  map[string]string{embedder.MetaTemplate: string(tj), embedder.MetaThreshold: "1"},
		"net":   net,
	})
	if err != nil {
		t.Fatal(err)
	}
	b := []byte("ONESHOT\x00")
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(h)))
	return append(b, h...)
}

// TestModelLimits: a model over the limits is refused by its header, before
// it is built or run — the crafted model of issue 42 (a 1×1 convolution to
// 15,500 channels on a 256 px crop: 3 G multiply-adds and 4 GiB of
// activations a crop) among them — and the engine keeps its model.
func TestModelLimits(t *testing.T) {
	e, _ := newEngine(t)
	before := e.Info().Model
	tmpl256 := face.DlibTemplate(256, 0.1)

	conv, err := nn.NewConv2D("wide", 3, 15500, 1, 1, 0, 1, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	dense, err := nn.NewDense("fc", 15500, 128, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	crafted := modelOf(t, nn.NewSequential("", conv, &nn.GlobalAvgPool{Name: "gap"}, dense, nn.NewL2Normalize("l2", 0)), tmpl256, 1)
	t.Logf("the crafted model file: %.1f MB", float64(len(crafted))/1e6)
	if _, err := e.ImportModel(crafted, ModelOptions{TrustThreshold: true}); !errors.Is(err, ErrModelLimits) || !strings.Contains(err.Error(), "multiply-adds") {
		t.Errorf("the crafted model: %v, want a refusal for its multiply-adds", err)
	}
	if _, err := Load(cascades(t), crafted); !errors.Is(err, ErrModelLimits) {
		t.Errorf("Load of the crafted model: %v, want a refusal", err)
	}

	tmpl64 := face.TemplateCompact64
	for name, tc := range map[string]struct {
		file []byte
		want string
	}{
		"activations": {headerOnly(t, nn.Spec{Type: "sequential", Body: []nn.Spec{
			{Type: "conv2d", In: 3, Out: 256, Kernel: 1}, {Type: "globalavgpool"}}}, tmpl256), "values"},
		"parameters": {headerOnly(t, nn.Spec{Type: "sequential", Body: []nn.Spec{
			{Type: "globalavgpool"}, {Type: "dense", In: 3, Out: 4096}, {Type: "dense", In: 4096, Out: 4096}, {Type: "dense", In: 4096, Out: 128}}}, tmpl64), "parameters"},
		"crop": {headerOnly(t, nn.Spec{Type: "sequential", Body: []nn.Spec{{Type: "globalavgpool"}}}, face.DlibTemplate(300, 0.1)), "300×300 crops"},
		"misfit": {headerOnly(t, nn.Spec{Type: "sequential", Body: []nn.Spec{
			{Type: "conv2d", In: 4, Out: 8, Kernel: 1}}}, tmpl64), "do not fit"},
	} {
		_, err := e.ImportModel(tc.file, ModelOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a refusal saying %q", name, err, tc.want)
		}
	}
	if after := e.Info().Model; after != before {
		t.Errorf("after the refused models the engine runs %+v, want %+v", after, before)
	}
}

// withMeta returns model file b with meta key set to value.
func withMeta(t testing.TB, b []byte, key, value string) []byte {
	t.Helper()
	m, err := nn.Load(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	m.Meta[key] = value
	var buf bytes.Buffer
	if err := nn.Save(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestImportedThreshold: a model file's threshold outside the calibrated
// range is refused unless the import trusts it, and the engine says where
// the threshold in use came from.
func TestImportedThreshold(t *testing.T) {
	c := cascades(t)
	tiny := tinyModel(t, face.TemplateCompact64) // threshold 0.5
	e, err := Load(c, tiny)
	if err != nil {
		t.Fatal(err)
	}
	if mi := e.Info().Model; mi.ThresholdSource != ThresholdLoaded || mi.ThresholdTrusted || mi.MACs <= 0 {
		t.Errorf("the loaded model: %+v, want its threshold from the loaded file", mi)
	}
	lenient := withMeta(t, tiny, embedder.MetaThreshold, "1.9")
	for _, bad := range [][]byte{lenient, withMeta(t, tiny, embedder.MetaStrictThreshold, "0.1")} {
		if _, err := e.ImportModel(bad, ModelOptions{}); !errors.Is(err, ErrModelLimits) || !strings.Contains(err.Error(), "calibrated range") {
			t.Errorf("a model whose threshold is outside the calibrated range: %v, want a refusal", err)
		}
	}
	if _, err := Load(c, lenient); !errors.Is(err, ErrModelLimits) {
		t.Errorf("Load of a model with threshold 1.9: %v, want a refusal", err)
	}
	if mi := e.Info().Model; mi.Threshold != 0.5 {
		t.Errorf("after the refusals the threshold is %v, want 0.5", mi.Threshold)
	}
	mi, err := e.ImportModel(lenient, ModelOptions{TrustThreshold: true})
	if err != nil {
		t.Fatal(err)
	}
	if mi.Threshold != 1.9 || mi.ThresholdSource != ThresholdImported || !mi.ThresholdTrusted {
		t.Errorf("a trusted threshold of 1.9: %+v", mi)
	}
	b, _ := json.Marshal(mi)
	if !bytes.Contains(b, []byte(`"thresholdSource":"imported"`)) || !bytes.Contains(b, []byte(`"thresholdTrusted":true`)) {
		t.Errorf("the JSON the page gets does not say the threshold came from the file: %s", b)
	}
	other := withMeta(t, tiny, embedder.MetaThreshold, "0.8")
	if mi, err := e.ImportModel(other, ModelOptions{}); err != nil || mi.ThresholdSource != ThresholdImported || mi.ThresholdTrusted || mi.Threshold != 0.8 {
		t.Errorf("a model with a threshold in the range: %+v, %v", mi, err)
	}
	if mi, err := e.ResetModel(); err != nil || mi.ThresholdSource != ThresholdLoaded || mi.Threshold != 0.5 {
		t.Errorf("after ResetModel: %+v, %v; want the loaded file's threshold", mi, err)
	}
	if mi, err := e.ImportModel(untrained(t, 3), ModelOptions{}); err != nil || mi.ThresholdSource != ThresholdUncalibrated || mi.Calibrated {
		t.Errorf("a model without a threshold: %+v, %v", mi, err)
	}
}

// sideBySide is f twice, side by side: a frame with two faces of one size,
// which the quality check calls "more than one face".
func sideBySide(f Frame) Frame {
	w := 2 * f.Width
	pix := make([]byte, w*f.Height*4)
	for y := range f.Height {
		row := f.Pix[y*f.Width*4 : (y+1)*f.Width*4]
		copy(pix[y*w*4:], row)
		copy(pix[y*w*4+f.Width*4:], row)
	}
	return Frame{Pix: pix, Width: w, Height: f.Height}
}

// TestPoorQualityGetsNoVerdict: Verify and Identify on a frame whose
// quality has problems (two faces) give no verdict, with the reasons,
// unless the call asks for one anyway.
func TestPoorQualityGetsNoVerdict(t *testing.T) {
	e, _ := newEngine(t)
	p := lfwPeople(t, e, 1, 4)[0]
	if _, err := e.Enroll(p.name, p.frames[:3]); err != nil {
		t.Fatal(err)
	}
	poor := sideBySide(p.frames[3])
	d, err := e.Detect(poor)
	if err != nil || len(d.Faces) == 0 || d.Quality.OK {
		t.Fatalf("the frame with two faces: %+v, %v; want faces and a quality problem", d.Quality, err)
	}
	v, err := e.Verify(p.name, poor, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Judged || v.Match || v.Distance != 0 || v.Quality.OK || len(v.Quality.Reasons) == 0 || v.Threshold == 0 {
		t.Errorf("Verify on a frame of poor quality: %+v, want no verdict and the reasons", v)
	}
	b, _ := json.Marshal(v)
	if bytes.Contains(b, []byte(`"distance"`)) || !bytes.Contains(b, []byte(`"judged":false`)) || !bytes.Contains(b, []byte(`"reasons":["`)) {
		t.Errorf("the JSON of a verification without verdict: %s", b)
	}
	v, err = e.Verify(p.name, poor, Options{AnyQuality: true})
	if err != nil || !v.Judged || v.Distance <= 0 {
		t.Errorf("Verify on a frame of poor quality, asked for a verdict anyway: %+v, %v", v, err)
	}
	if b, _ := json.Marshal(v); !bytes.Contains(b, []byte(`"distance":`)) {
		t.Errorf("the JSON of a judged verification has no distance: %s", b)
	}
	id, err := e.Identify(poor, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if id.Judged || id.Unknown || id.ID != "" || len(id.Candidates) != 0 || len(id.Quality.Reasons) == 0 {
		t.Errorf("Identify on a frame of poor quality: %+v, want no verdict and the reasons", id)
	}
	id, err = e.Identify(poor, Options{AnyQuality: true})
	if err != nil || !id.Judged || len(id.Candidates) != 1 {
		t.Errorf("Identify on a frame of poor quality, asked for a verdict anyway: %+v, %v", id, err)
	}
	// A good frame is judged without asking.
	if v, err := e.Verify(p.name, p.frames[3], Options{}); err != nil || !v.Judged || v.Distance <= 0 {
		t.Errorf("Verify on a good frame: %+v, %v", v, err)
	}
}

// TestFineTuneYieldsAndCancelsWhileAligning: the pictures are aligned
// without holding the engine, with Yield called before each, and a cancel
// that comes while they are aligned stops the call there.
func TestFineTuneYieldsAndCancelsWhileAligning(t *testing.T) {
	e, _ := newEngine(t)
	fp := e.Info().Model.Fingerprint
	var caps []Capture
	for _, p := range lfwPeople(t, e, 2, 2) {
		for _, f := range p.frames {
			caps = append(caps, Capture{f, p.name})
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	yields := 0
	_, err := e.FineTune(ctx, FineTuneRequest{Captures: caps, Yield: func() {
		yields++
		if !e.mu.TryLock() {
			t.Error("the engine is held while the pictures are aligned")
		} else {
			e.mu.Unlock()
		}
		if _, err := e.Detect(grey(32, 32)); err != nil {
			t.Errorf("Detect while fine-tuning aligns: %v", err)
		}
		cancel()
	}}, nil)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "aligned") || !strings.Contains(err.Error(), "previous model is kept") {
		t.Errorf("a cancel while the pictures are aligned: %v", err)
	}
	if yields != 1 {
		t.Errorf("Yield was called %d times before the cancel landed, want 1", yields)
	}
	if e.Info().Model.Fingerprint != fp {
		t.Error("a cancelled run changed the model")
	}
}
