package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"

	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/internal/sha256"
	"github.com/oneshotface/oneshot/loss"
	"github.com/oneshotface/oneshot/nn"
	"github.com/oneshotface/oneshot/train"
)

// MaxFineTuneImages is the most images one FineTune takes.
const MaxFineTuneImages = 256

// Capture is a labelled picture for FineTune: a frame and who is in it.
type Capture struct {
	Frame Frame
	Label string
}

// Triplet is a user's choice of an anchor, a positive (the same person)
// and a negative (someone else) picture.
type Triplet struct {
	Anchor, Positive, Negative Frame
}

// FineTuneRequest is what FineTune learns from and how: Captures or
// Triplets (not both), and the options (zero values take
// train.DefaultFineTuneOptions).
type FineTuneRequest struct {
	Captures []Capture
	Triplets []Triplet
	Mode     string
	Epochs   int
	Margin   float32
	LR       float32
	// Objective is train.ObjectiveTriplet (the default) or
	// train.ObjectiveSiamese.
	Objective string
	// Yield, when not nil, is called before each picture is aligned and
	// after every training step: a caller on one thread (the wasm module)
	// lets its other work run there, such as other calls and a cancel.
	Yield func()
}

// maxFineTuneBatchBytes bounds the memory of one training step in full
// mode: a batch of crops keeps every layer's output and its gradient
// (and a convolution's lowered patches), about 12 bytes per activation
// value (nn.Cost.Values) and crop. The batch is made smaller to fit; the
// shipped model fits the default 64 crops in about 540 MB.
const maxFineTuneBatchBytes = 768 << 20

// fineTuneBatch is the most crops a full-mode step of a model whose crop
// makes values activation values takes within maxFineTuneBatchBytes (at
// least 3, one triplet; at most the default).
func fineTuneBatch(values int64) int {
	b := train.DefaultFineTuneOptions().BatchSize
	if values > 0 {
		b = int(min(int64(b), maxFineTuneBatchBytes/(12*values)))
	}
	return max(b, 3)
}

// FineTuneProgress is reported after every training step.
type FineTuneProgress = train.FineTuneProgress

// FineTuneResult is the answer of FineTune: train's result, and when the
// new weights were kept, the new model and how many enrolled people were
// re-embedded with it.
type FineTuneResult struct {
	train.FineTuneResult
	Model      *ModelInfo `json:"model,omitempty"`
	Reembedded int        `json:"reembedded"`
}

// FineTune adapts the embedder to the request's pictures with the triplet
// loss or the Siamese head's (req.Objective; see train.FineTune): every
// picture goes through the face pipeline, the model is trained on a copy,
// and the copy replaces the model only if its result on held-out
// triplets, whichever the objective, did not get worse, with every
// enrolled person re-embedded from their kept crops, all or nothing. A
// cancelled ctx, a failure or a worse result leave the model and gallery
// exactly as they were; ctx is checked before every picture is aligned and
// between training steps. The engine is held only while the enrolled
// people's crops are read and while the new model is swapped in: other
// calls run while the pictures are aligned (with a detector of the call's
// own) and while the model trains, and see the model as it was until the
// swap. The pictures together may hold at most MaxCallBytes (an error
// wrapping ErrOverBudget). Verification afterwards is by the embedding's
// distance, as before.
func (e *Engine) FineTune(ctx context.Context, req FineTuneRequest, progress func(FineTuneProgress)) (FineTuneResult, error) {
	var res FineTuneResult
	var frames []Frame
	var data train.FineTuneData
	switch {
	case len(req.Captures) > 0 && len(req.Triplets) > 0:
		return res, errors.New("pass captures or triplets, not both")
	case len(req.Captures) > 0:
		labels := map[string]int{}
		for _, c := range req.Captures {
			if c.Label == "" {
				return res, errors.New("a capture has an empty label: say who is in every picture")
			}
			if _, ok := labels[c.Label]; !ok {
				labels[c.Label] = len(labels)
			}
			frames = append(frames, c.Frame)
			data.Labels = append(data.Labels, labels[c.Label])
		}
	case len(req.Triplets) > 0:
		for i, t := range req.Triplets {
			frames = append(frames, t.Anchor, t.Positive, t.Negative)
			data.Triplets = append(data.Triplets, loss.Triplet{A: 3 * i, P: 3*i + 1, N: 3*i + 2})
		}
	default:
		return res, errors.New("nothing to fine-tune on: pass labelled captures or triplets")
	}
	if len(frames) > MaxFineTuneImages {
		return res, fmt.Errorf("%d pictures: fine-tuning takes at most %d", len(frames), MaxFineTuneImages)
	}
	for i, f := range frames {
		if _, err := checkFrame(f); err != nil {
			return res, fmt.Errorf("%s: %w", pictureName(req, i), err)
		}
	}
	release, err := e.reserve(frames...)
	if err != nil {
		return res, err
	}
	defer release()
	opt := train.DefaultFineTuneOptions()
	if req.Mode != "" {
		opt.Mode = req.Mode
	}
	if req.Objective != "" {
		opt.Objective = req.Objective
	}
	if req.Epochs != 0 {
		opt.Epochs = req.Epochs
	}
	if req.Margin != 0 {
		opt.Margin = req.Margin
	}
	if req.LR != 0 {
		opt.LR = req.LR
	}

	// Copy the model and the enrolled crops under the lock; align every
	// picture without it.
	e.mu.Lock()
	old, lc := e.model, e.detector.LandmarkCascades
	m, err := old.emb.Model.Clone()
	if err == nil {
		err = e.enrolledOthers(&data, req)
	}
	e.mu.Unlock()
	if err != nil {
		return res, err
	}
	crops, of, err := e.alignAll(ctx, frames, req, old.emb.Template, lc)
	if err != nil {
		if ctx.Err() != nil {
			return res, fmt.Errorf("fine-tuning was cancelled while the pictures were aligned; the previous model is kept: %w", ctx.Err())
		}
		return res, err
	}
	if opt.Mode == train.ModeFull {
		opt.BatchSize = fineTuneBatch(old.cost.Values)
	}
	if data.Triplets != nil {
		data.Crops = crops
		for i, t := range data.Triplets {
			data.Triplets[i] = loss.Triplet{A: of[t.A], P: of[t.P], N: of[t.N]}
		}
	} else {
		// Captures keep one crop each (a picture given twice counts twice).
		data.Crops = make([]*image.RGBA, len(of))
		for i := range of {
			data.Crops[i] = crops[of[i]]
		}
	}

	step := progress
	if req.Yield != nil {
		step = func(p FineTuneProgress) {
			if progress != nil {
				progress(p)
			}
			req.Yield()
		}
	}
	var tuned *nn.Model
	err = guard(func() error {
		var err error
		tuned, res.FineTuneResult, err = train.FineTune(ctx, m, old.emb.Norm, data, opt, step)
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return res, fmt.Errorf("fine-tuning was cancelled; the previous model is kept: %w", ctx.Err())
		}
		return res, err
	}
	if tuned == nil {
		return res, nil
	}
	var buf bytes.Buffer
	if err := nn.Save(&buf, tuned); err != nil {
		return res, fmt.Errorf("the fine-tuned model cannot be saved: %w", err)
	}
	nm, err := loadModel(buf.Bytes(), ModelOptions{TrustThreshold: old.trusted}, old.source)
	if err != nil {
		res.Kept, res.Reason = false, "the fine-tuned model does not work, so the previous model is kept: "+err.Error()
		return res, nil
	}
	// Keep the calibrated threshold. The fine-tuned file keeps the old
	// model's cohort too (train.FineTune copies the metadata): its faces
	// cannot be embedded again here (the pictures are not shipped), and a
	// few steps of fine-tuning move the embeddings little, so the old
	// cohort's statistics stay close — the same approximation as the kept
	// threshold.
	nm.threshold, nm.source, nm.trusted = old.threshold, old.source, old.trusted
	nm.shipped = old.shipped

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.model.fingerprint != old.fingerprint {
		res.Kept, res.Reason = false, "the model was replaced while fine-tuning, so the fine-tuned one was dropped"
		return res, nil
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("fine-tuning was cancelled; the previous model is kept: %w", err)
	}
	if err := guard(func() error {
		return e.gallery.ReembedAs(nm.fingerprint, keptEmbedder(e.detector, nm, old.emb.Template))
	}); err != nil {
		res.Kept, res.Reason = false, "the fine-tuned model cannot embed the enrolled faces, so the previous model is kept: "+err.Error()
		return res, nil
	}
	if err := e.gallery.SetCohort(nm.emb.Cohort); err != nil {
		// Not reached: the cohort was checked against the model's
		// embeddings by loadModel, and the gallery was re-embedded with it.
		return res, err
	}
	e.model = nm
	res.Reembedded = e.gallery.Len()
	info := e.modelInfo()
	res.Model = &info
	return res, nil
}

// alignAll detects the face of every frame and aligns it to template,
// with a detector of its own (lc are its landmark cascades, for a
// five-point template), so it needs no lock. A picture passed several
// times (one anchor in many triplets) is analysed, aligned and later
// embedded once: it returns the distinct crops and, for every frame, the
// index of its crop. It calls req.Yield and checks ctx before each picture.
func (e *Engine) alignAll(ctx context.Context, frames []Frame, req FineTuneRequest, template face.Template, lc *face.LandmarkCascades) (crops []*image.RGBA, of []int, err error) {
	of = make([]int, len(frames))
	type key struct {
		sum  [32]byte
		w, h int
	}
	seen := map[key]int{}
	det := e.cascades.NewFrameDetector()
	det.LandmarkCascades = lc
	for i, f := range frames {
		if req.Yield != nil {
			req.Yield()
		}
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		k := key{sha256.Sum256(f.Pix), f.Width, f.Height}
		if j, ok := seen[k]; ok {
			of[i] = j
			continue
		}
		img, err := checkFrame(f)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", pictureName(req, i), err)
		}
		an, err := det.Analyze(img)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", pictureName(req, i), err)
		}
		if len(an.Faces) == 0 {
			return nil, nil, fmt.Errorf("%s: %w", pictureName(req, i), ErrNoFace)
		}
		eyes, err := det.AlignEyes(an, template)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", pictureName(req, i), err)
		}
		c := template.NewCrop()
		if err := face.Align(c, img, eyes, template); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", pictureName(req, i), err)
		}
		seen[k], of[i] = len(crops), len(crops)
		crops = append(crops, c)
	}
	return crops, of, nil
}

// enrolledOthers adds the enrolled people's crops to data.Others, so the
// held-out score also checks that they stay recognisable. In a request of
// captures, a person enrolled under one of its labels is left out (they
// are among the people being trained on). Callers hold e.mu.
func (e *Engine) enrolledOthers(data *train.FineTuneData, req FineTuneRequest) error {
	skip := map[string]bool{}
	for _, c := range req.Captures {
		skip[c.Label] = true
	}
	for i, id := range e.gallery.IDs() {
		if skip[id] {
			continue
		}
		p, err := e.gallery.Person(id)
		if err != nil {
			return err
		}
		if p.EnrollAgain != "" {
			continue // this model cannot use their crops
		}
		for _, c := range p.Crops {
			t := e.model.emb.Template
			from, ok := cropTemplate(c, t)
			if !ok {
				continue
			}
			c, err := recrop(e.detector, c, from, t)
			if err != nil {
				return fmt.Errorf("%q's kept faces: %w", id, err)
			}
			data.Others = append(data.Others, c)
			data.OtherLabels = append(data.OtherLabels, i)
		}
	}
	return nil
}

// pictureName names the i-th picture of a request in an error.
func pictureName(req FineTuneRequest, i int) string {
	if len(req.Triplets) > 0 {
		return fmt.Sprintf("triplet %d's %s", i/3+1, [...]string{"anchor", "positive", "negative"}[i%3])
	}
	return fmt.Sprintf("capture %d (%s)", i+1, req.Captures[i].Label)
}

// ResetModel goes back to the model the engine was made with (the shipped
// one), re-embedding everyone enrolled, as ImportModel does.
func (e *Engine) ResetModel() (ModelInfo, error) {
	e.mu.Lock()
	shipped := e.model.shipped
	e.mu.Unlock()
	return e.ImportModel(shipped, ModelOptions{})
}
