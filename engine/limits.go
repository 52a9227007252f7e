package engine

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/gallery"
	"github.com/oneshotface/oneshot/nn"
)

// The memory budget of calls. Frames are the bulk of what a call brings:
// up to 64 MiB each (MaxSide a side), and the wasm module copies every
// frame a call passes, even when the caller passed one buffer many times.
const (
	// MaxCallBytes is the most bytes of pixels one call may pass: the sum
	// of width×height×4 over its frames, a frame passed twice counted
	// twice. It holds 256 frames of 640×480 (FineTune's most pictures) or
	// 32 of 1920×1080 (Enroll's most frames).
	MaxCallBytes = 320 << 20
	// MaxPendingBytes is the most bytes of pixels the calls in progress
	// may hold together; a call that would go over it is refused at once
	// rather than queued. The wasm module counts every call from the
	// moment it copies its arguments to its answer (model and gallery
	// files included), so a page that fires calls without awaiting them
	// cannot pile up copies until the module runs out of memory.
	MaxPendingBytes = 512 << 20
)

// Limits on a model, checked on the model file's header before anything is
// built or run (ImportModel, Load). The dlib teacher Oneshot distils from
// (teacher/, 150×150 crops, 273 M multiply-adds, 5.6 M parameters) is the
// largest model this project runs; the shipped compact model takes 12.4 M
// multiply-adds, 0.32 M parameters and 0.7 M activation values per crop.
const (
	// MaxModelParams is the most parameter values a model may hold.
	MaxModelParams = 16 << 20
	// MaxModelMACs is the most multiply-adds one crop may cost (nn.Cost;
	// a mirrored model embeds two crops a face).
	MaxModelMACs = 400_000_000
	// MaxModelValues is the most activation values one crop may produce,
	// over all layers together (nn.Cost.Values): 16 MiB of float32.
	MaxModelValues = 4 << 20
	// MaxCropSide is the largest width or height of a model's crop.
	MaxCropSide = gallery.MaxCropSide
)

// The calibrated range of thresholds: every model calibrated for this
// project stored a threshold within it (the shipped compact models 1.00 to
// 1.22, strict points 0.68 to 1.02; the accurate model, dlib's ResNet,
// 0.39 and strict point 0.21, its embeddings of one person lying closer
// together; thresholds chosen on LFW's test folds near 1.36). A squared
// distance of 2 between unit embeddings is a right angle: a threshold near
// it accepts nearly anyone.
// A model file whose threshold (or strict point) lies outside the range is
// refused unless the caller trusts it explicitly (ModelOptions).
const (
	MinModelThreshold = 0.15
	MaxModelThreshold = 1.4
)

// Where a model's threshold came from (ModelInfo.ThresholdSource).
const (
	// ThresholdLoaded: the threshold stored in the model file the engine
	// was made with (Load, New; the demo page's shipped model), or in a
	// model fine-tuned from it.
	ThresholdLoaded = "loaded"
	// ThresholdImported: the threshold stored in a model file passed to
	// ImportModel (or a model fine-tuned from one): its maker's claim,
	// checked only against the calibrated range.
	ThresholdImported = "imported"
	// ThresholdUncalibrated: the model file has no threshold, and
	// UncalibratedThreshold is used.
	ThresholdUncalibrated = "uncalibrated"
)

// ErrOverBudget is wrapped by the error of a call refused because its
// frames are more bytes than MaxCallBytes, or because the calls in progress
// hold too many already (MaxPendingBytes).
var ErrOverBudget = errors.New("over the memory budget")

// ErrModelLimits is wrapped by the error of Load and ImportModel for a
// model file that exceeds a limit on its size, cost or threshold.
var ErrModelLimits = errors.New("the model is outside Oneshot's limits")

// ModelOptions tune how ImportModel takes a model file in.
type ModelOptions struct {
	// TrustThreshold accepts a model whose threshold or strict point lies
	// outside MinModelThreshold…MaxModelThreshold. Such a threshold decides
	// every verdict with the model; pass this only for a file whose
	// calibration you know. ModelInfo.ThresholdTrusted then says so.
	TrustThreshold bool `json:"trustThreshold,omitempty"`
}

// CheckCallBytes returns an error wrapping ErrOverBudget when a call's
// frames hold more than MaxCallBytes bytes of pixels together (n).
func CheckCallBytes(n int64) error {
	if n > MaxCallBytes {
		return fmt.Errorf("%w: the call passes %d MiB of pixels, the limit is %d MiB a call; pass fewer or smaller pictures (every picture counts, even one passed many times)",
			ErrOverBudget, n>>20, MaxCallBytes>>20)
	}
	return nil
}

// frameBytes is the number of bytes of pixels of frames.
func frameBytes(frames ...Frame) int64 {
	var n int64
	for _, f := range frames {
		n += int64(len(f.Pix))
	}
	return n
}

// Budget counts the bytes that the calls in progress hold against a limit.
// A call reserves its bytes before it copies or works on them and releases
// them when it is answered. It is safe for concurrent use.
type Budget struct {
	mu    sync.Mutex
	limit int64
	held  int64
}

// NewBudget makes a budget of limit bytes.
func NewBudget(limit int64) *Budget { return &Budget{limit: limit} }

// Reserve takes n bytes of the budget, or returns an error wrapping
// ErrOverBudget (and takes nothing) when the calls in progress already
// hold so much that n more would go over the limit. Release them with
// Release(n).
func (b *Budget) Reserve(n int64) error {
	if n < 0 {
		return fmt.Errorf("%w: a reservation of %d bytes", ErrOverBudget, n)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.held+n > b.limit {
		return fmt.Errorf("%w: the calls not yet answered hold %d MiB, and %d MiB more would pass the limit of %d MiB; wait for them to finish (await each call) and try again",
			ErrOverBudget, b.held>>20, (n+1<<20-1)>>20, b.limit>>20)
	}
	b.held += n
	return nil
}

// Release gives back n bytes reserved with Reserve.
func (b *Budget) Release(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.held = max(b.held-n, 0)
}

// Held is the number of bytes reserved now.
func (b *Budget) Held() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.held
}

// reserve checks a call's frames against MaxCallBytes and reserves them in
// the engine's budget; the caller defers the returned release.
func (e *Engine) reserve(frames ...Frame) (release func(), err error) {
	n := frameBytes(frames...)
	if err := CheckCallBytes(n); err != nil {
		return nil, err
	}
	if err := e.budget.Reserve(n); err != nil {
		return nil, err
	}
	return func() { e.budget.Release(n) }, nil
}

// modelHeader is what the engine learns of a model file from its header.
type modelHeader struct {
	cost    nn.Cost
	trusted bool // a threshold outside the calibrated range, accepted by TrustThreshold
}

// checkModelHeader judges a model file by its header alone, before it is
// loaded, built or run: its size, its architecture's cost per crop, its crop
// and its thresholds, against the limits above.
func checkModelHeader(file []byte, opts ModelOptions) (modelHeader, error) {
	h, err := nn.ReadHeader(bytes.NewReader(file))
	if err != nil {
		return modelHeader{}, fmt.Errorf("this is not a usable model file: %w", err)
	}
	// The embedder reads its contract (template, thresholds, mirroring,
	// cohort) from the metadata and input shape alone.
	emb, err := embedder.New(&nn.Model{Input: h.Input, Meta: h.Meta})
	if err != nil {
		return modelHeader{}, fmt.Errorf("this model is not a face embedder: %w", err)
	}
	t := emb.Template
	if t.Width > MaxCropSide || t.Height > MaxCropSide {
		return modelHeader{}, fmt.Errorf("%w: this model reads %d×%d crops; the limit is %d pixels a side", ErrModelLimits, t.Width, t.Height, MaxCropSide)
	}
	cost, err := nn.SpecCost(h.Net, [3]int{t.Height, t.Width, 3})
	if err != nil {
		return modelHeader{}, fmt.Errorf("this model's layers do not fit its %d×%d crop: %w", t.Width, t.Height, err)
	}
	switch {
	case cost.Params > MaxModelParams:
		return modelHeader{}, fmt.Errorf("%w: this model has %.1f M parameters; the limit is %.1f M", ErrModelLimits, float64(cost.Params)/1e6, float64(MaxModelParams)/1e6)
	case cost.MACs > MaxModelMACs:
		return modelHeader{}, fmt.Errorf("%w: this model costs %.0f M multiply-adds a %d×%d crop; the limit is %.0f M",
			ErrModelLimits, float64(cost.MACs)/1e6, t.Width, t.Height, float64(MaxModelMACs)/1e6)
	case cost.Values > MaxModelValues:
		return modelHeader{}, fmt.Errorf("%w: this model computes %.1f M values a %d×%d crop (%d MiB); the limit is %.1f M",
			ErrModelLimits, float64(cost.Values)/1e6, t.Width, t.Height, cost.Values*4>>20, float64(MaxModelValues)/1e6)
	}
	out := modelHeader{cost: cost}
	for _, th := range []struct {
		name string
		v    float32
	}{{"threshold", emb.Threshold}, {"strict threshold", emb.StrictThreshold}} {
		if th.v == 0 || (th.v >= MinModelThreshold && th.v <= MaxModelThreshold) {
			continue
		}
		if err := gallery.ValidateThreshold(th.v); err != nil {
			return modelHeader{}, fmt.Errorf("the model's %s: %w", th.name, err)
		}
		if !opts.TrustThreshold {
			return modelHeader{}, fmt.Errorf("%w: the model file sets its %s to %v, outside the calibrated range %v to %v; "+
				"it would decide every verdict, so the model was not loaded (import it with the option to trust its threshold only if you know how it was calibrated)",
				ErrModelLimits, th.name, th.v, MinModelThreshold, MaxModelThreshold)
		}
		out.trusted = true
	}
	return out, nil
}
