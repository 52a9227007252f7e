package engine

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"math"
	"sync"
	"time"

	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/gallery"
	"github.com/oneshotface/oneshot/nn"
)

// Limits of the engine's inputs.
const (
	// MaxSide is the largest width or height of a frame, in pixels.
	MaxSide = face.MaxSide
	// MaxFaces is the most faces Detect reports.
	MaxFaces = 16
	// MaxModelBytes is the largest model file ImportModel reads.
	MaxModelBytes = 64 << 20
	// MaxFrames is the most frames one Enroll takes.
	MaxFrames = gallery.MaxFrames
)

// UncalibratedThreshold is the verification threshold of a model whose file
// has none (an untrained or uncalibrated model): a squared distance of 1,
// an angle of 60° between unit embeddings. It only keeps such a model
// usable; a calibrated threshold comes from evaluating the model.
const UncalibratedThreshold = 1.0

// DefaultCandidates is how many candidates Identify returns when
// Options.K is 0.
const DefaultCandidates = 5

// ErrNoFace is wrapped by the error of Embed, Verify and Identify when the
// frame holds no face.
var ErrNoFace = errors.New("no face found in the image")

// Engine is the face verifier of one page: detector, embedder and gallery.
// It is safe for concurrent use (see the package comment).
type Engine struct {
	mu       sync.Mutex
	cascades *face.Cascades
	// detector finds faces; its LandmarkCascades, the nose and mouth
	// cascades of the liveness challenge and of five-point alignment, are
	// the cascades' own (LoadCascadesFromModule) or SetLandmarks's.
	detector *face.Detector
	model    loadedModel
	gallery  *gallery.Gallery
	// budget counts the bytes of the frames of the calls in progress
	// (MaxPendingBytes).
	budget *Budget
}

// loadedModel is a model with everything the engine derived from it.
type loadedModel struct {
	emb         *embedder.Embedder
	file        []byte // the model file, for ExportModel
	fingerprint string
	threshold   float32
	dim         int
	// source says where threshold came from (ThresholdLoaded, …), and
	// trusted that it lies outside the calibrated range and was accepted
	// by ModelOptions.TrustThreshold.
	source  string
	trusted bool
	// cost is what one crop costs the model.
	cost nn.Cost
	// shipped is the file the engine was made with, for ResetModel.
	shipped []byte
}

// New makes an engine on parsed cascades and a face embedding model (one
// that embedder.New accepts), with an empty gallery.
func New(cascades *face.Cascades, model *nn.Model) (*Engine, error) {
	if model == nil {
		return nil, errors.New("engine: the model is nil")
	}
	var buf bytes.Buffer
	if err := nn.Save(&buf, model); err != nil {
		return nil, fmt.Errorf("engine: the model cannot be saved, so it cannot be exported either: %w", err)
	}
	return Load(cascades, buf.Bytes())
}

// Load makes an engine on parsed cascades and the bytes of a model file,
// with an empty gallery. The bytes are not retained (the engine keeps a
// copy for ExportModel). The model must be within the model limits
// (MaxModelMACs and the others, thresholds within MinModelThreshold…
// MaxModelThreshold), checked on the file's header before it is built.
func Load(cascades *face.Cascades, modelFile []byte) (*Engine, error) {
	if cascades == nil {
		return nil, errors.New("engine: the face detector's cascades are nil")
	}
	m, err := loadModel(modelFile, ModelOptions{}, ThresholdLoaded)
	if err != nil {
		return nil, err
	}
	m.shipped = m.file
	g, err := gallery.New(gallery.Config{Threshold: m.threshold, Model: m.fingerprint, Cohort: m.emb.Cohort})
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	return &Engine{cascades: cascades, detector: cascades.NewFrameDetector(), model: m, gallery: g, budget: NewBudget(MaxPendingBytes)}, nil
}

// loadModel reads, checks and tries a model file; source is where a
// threshold it stores comes from (ThresholdLoaded or ThresholdImported).
func loadModel(file []byte, opts ModelOptions, source string) (m loadedModel, err error) {
	if len(file) == 0 {
		return m, errors.New("the model file is empty")
	}
	if len(file) > MaxModelBytes {
		return m, fmt.Errorf("the model file is %d bytes, more than the %d-byte limit", len(file), MaxModelBytes)
	}
	// Judge the file by its header before building or running anything.
	head, err := checkModelHeader(file, opts)
	if err != nil {
		return m, err
	}
	r := bytes.NewReader(file)
	model, err := nn.Load(r)
	if err != nil {
		return m, fmt.Errorf("this is not a usable model file: %w", err)
	}
	if r.Len() != 0 {
		return m, fmt.Errorf("the model file has %d unexpected bytes after its end: it is damaged", r.Len())
	}
	emb, err := embedder.New(model)
	if err != nil {
		return m, fmt.Errorf("this model is not a face embedder: %w", err)
	}
	if emb.Template.Width > gallery.MaxCropSide || emb.Template.Height > gallery.MaxCropSide {
		return m, fmt.Errorf("this model reads %d×%d crops; the gallery keeps crops of at most %d pixels a side",
			emb.Template.Width, emb.Template.Height, gallery.MaxCropSide)
	}
	t := emb.Threshold
	if t == 0 {
		t, source = UncalibratedThreshold, ThresholdUncalibrated
	} else if err := gallery.ValidateThreshold(t); err != nil {
		return m, fmt.Errorf("the model's calibrated %w", err)
	}
	if st := emb.StrictThreshold; st != 0 {
		if err := gallery.ValidateThreshold(st); err != nil {
			return m, fmt.Errorf("the model's strict %w", err)
		}
	}
	// Try the model on a blank crop: a model whose layers do not fit its
	// input, or that gives no usable embedding, is refused now rather than
	// on the first face. A foreign model may even panic.
	// The engine never trains this model in place (fine-tuning works on a
	// clone), so it embeds with the batch norms folded away.
	var v []float32
	err = guard(func() error {
		if err := emb.ForInference(); err != nil {
			return err
		}
		var err error
		v, err = emb.EmbedCrop(emb.Template.NewCrop())
		return err
	})
	if err != nil {
		return m, fmt.Errorf("this model does not run: %w", err)
	}
	if len(v) == 0 || len(v) > gallery.MaxDim {
		return m, fmt.Errorf("this model gives %d-value embeddings, not 1 to %d", len(v), gallery.MaxDim)
	}
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return m, errors.New("this model gives embeddings that are not finite numbers: it is damaged")
		}
	}
	if c := emb.Cohort; c != nil && c.Dim() != len(v) {
		return m, fmt.Errorf("this model's cohort holds %d-value embeddings but the model gives %d-value ones: it is damaged", c.Dim(), len(v))
	}
	return loadedModel{
		emb:         emb,
		file:        bytes.Clone(file),
		fingerprint: gallery.Fingerprint(file),
		threshold:   t,
		dim:         len(v),
		source:      source,
		trusted:     head.trusted,
		cost:        head.cost,
	}, nil
}

// sameGeometry reports whether two templates make the same crops.
func sameGeometry(a, b face.Template) bool {
	return a.Width == b.Width && a.Height == b.Height && a.Left == b.Left && a.Right == b.Right
}

// guard runs f and turns a panic into an error.
func guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return f()
}

// checkFrame validates a frame and wraps its pixels.
func checkFrame(f Frame) (*image.RGBA, error) {
	switch {
	case f.Width <= 0 || f.Height <= 0:
		return nil, fmt.Errorf("the image is %d×%d: width and height must be positive", f.Width, f.Height)
	case f.Width > MaxSide || f.Height > MaxSide:
		return nil, fmt.Errorf("the image is %d×%d: at most %d pixels a side are accepted; scale it down first", f.Width, f.Height, MaxSide)
	case len(f.Pix) != f.Width*f.Height*4:
		return nil, fmt.Errorf("the image has %d bytes of pixels, a %d×%d RGBA image has width×height×4 = %d",
			len(f.Pix), f.Width, f.Height, f.Width*f.Height*4)
	}
	return face.FromRGBA(f.Pix, f.Width, f.Height)
}

// analysis is a frame after the face pipeline.
type analysis struct {
	img     *image.RGBA
	a       face.Analysis
	face    Face
	quality Quality
	// eyes are where the best face is aligned from for the model's
	// template (face.Detector.AlignEyes), once aligned is true.
	eyes    face.Eyes
	aligned bool
}

// analyze runs the detector on a frame, adding its stage times to sw
// (which may be nil). Callers hold e.mu.
func (e *Engine) analyze(f Frame, sw *stopwatch) (analysis, error) {
	img, err := checkFrame(f)
	if err != nil {
		return analysis{}, err
	}
	a, err := e.detector.Analyze(img)
	if err != nil {
		return analysis{}, err
	}
	sw.addAnalysis(a.Times)
	out := analysis{img: img, a: a, quality: quality(a.Quality)}
	if len(a.Faces) > 0 {
		out.face = faceOf(a.Face, a.Eyes)
	}
	return out, nil
}

// alignEyes finds, once, where an's best face is aligned from for the
// model's template, adding the time to sw's alignment (which may be nil):
// the pupils, or for a five-point model the fit of its landmarks. The
// landmarks are read from the detector's last frame, so call it before
// another frame is analysed; only the calls that embed pay for them.
// Callers hold e.mu.
func (e *Engine) alignEyes(an *analysis, sw *stopwatch) error {
	if an.aligned {
		return nil
	}
	t0 := time.Now()
	eyes, err := e.detector.AlignEyes(an.a, e.model.emb.Template)
	if err != nil {
		return err
	}
	if sw != nil {
		sw.align += time.Since(t0)
	}
	an.eyes, an.aligned = eyes, true
	return nil
}

// embedFace aligns and embeds the best face of a frame just analysed
// (see alignEyes), keeping the crop, and adds the alignment's and the
// forward pass's times to sw (which may be nil). Callers hold e.mu.
func (e *Engine) embedFace(an *analysis, sw *stopwatch) (*image.RGBA, []float32, error) {
	if len(an.a.Faces) == 0 {
		return nil, nil, ErrNoFace
	}
	if err := e.alignEyes(an, sw); err != nil {
		return nil, nil, err
	}
	emb := e.model.emb
	t0 := time.Now()
	crop := emb.Template.NewCrop()
	if err := face.Align(crop, an.img, an.eyes, emb.Template); err != nil {
		return nil, nil, err
	}
	t1 := time.Now()
	v, err := emb.EmbedCrop(crop)
	if err != nil {
		return nil, nil, err
	}
	if err := toUnit(v); err != nil {
		return nil, nil, err
	}
	if sw != nil {
		sw.align += t1.Sub(t0)
		sw.emb += time.Since(t1)
	}
	return crop, v, nil
}

// keptCrop is the crop the gallery keeps of an analysed frame's best face,
// aligned by its pupils whatever the model (so every gallery, old or new,
// keeps crops of one kind; a five-point model finds the nose and mouth in
// them again when it re-embeds them, see recrop): the model's own crop
// when the model reads KeptTemplate by the pupils, else the face aligned
// again into KeptTemplate, so that a model of another template can
// re-embed it. Its time counts as alignment. Callers hold e.mu.
func (e *Engine) keptCrop(an *analysis, modelCrop *image.RGBA, sw *stopwatch) (*image.RGBA, error) {
	if t := e.model.emb.Template; sameGeometry(t, KeptTemplate) && !t.FivePoint {
		return modelCrop, nil
	}
	t0 := time.Now()
	crop := KeptTemplate.NewCrop()
	if err := face.Align(crop, an.img, an.a.Eyes, KeptTemplate); err != nil {
		return nil, err
	}
	if sw != nil {
		sw.align += time.Since(t0)
	}
	return crop, nil
}

// toUnit scales v to unit length in place, as the gallery compares them
// (models that end in an L2 normalisation already give unit vectors; the
// teacher does not).
func toUnit(v []float32) error {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	n := math.Sqrt(s)
	if n == 0 || math.IsNaN(n) || math.IsInf(n, 0) {
		return errors.New("the model gave an embedding with no direction (all zeros or not finite numbers)")
	}
	for i, x := range v {
		v[i] = float32(float64(x) / n)
	}
	return nil
}

// Detect finds the faces in a frame, with their pupils, and judges the
// frame's quality on the best one. A frame without a face is not an error:
// Faces is empty and Quality says "no face".
func (e *Engine) Detect(f Frame) (Detection, error) {
	sw := startStopwatch()
	release, err := e.reserve(f)
	if err != nil {
		return Detection{}, err
	}
	defer release()
	e.mu.Lock()
	defer e.mu.Unlock()
	an, err := e.analyze(f, sw)
	if err != nil {
		return Detection{}, err
	}
	d := Detection{Width: f.Width, Height: f.Height, Faces: []Face{}, Quality: an.quality}
	if len(an.a.Faces) == 0 {
		d.Timings = sw.timings()
		return d, nil
	}
	faces := append([]face.Face(nil), an.a.Faces[:min(len(an.a.Faces), MaxFaces)]...)
	d.Faces = append(d.Faces, an.face)
	t0 := time.Now()
	for _, fc := range faces[1:] {
		d.Faces = append(d.Faces, faceOf(fc, e.detector.Eyes(fc)))
	}
	sw.pupils += time.Since(t0)
	d.Timings = sw.timings()
	return d, nil
}

// Embed embeds the best face of a frame. A frame without a face is an
// error wrapping ErrNoFace; other quality problems are reported in the
// answer, not refused.
func (e *Engine) Embed(f Frame) (Embedding, error) {
	sw := startStopwatch()
	release, err := e.reserve(f)
	if err != nil {
		return Embedding{}, err
	}
	defer release()
	e.mu.Lock()
	defer e.mu.Unlock()
	an, err := e.analyze(f, sw)
	if err != nil {
		return Embedding{}, err
	}
	_, v, err := e.embedFace(&an, sw)
	if err != nil {
		return Embedding{}, err
	}
	return Embedding{Vector: v, Face: an.face, Quality: an.quality, Timings: sw.timings()}, nil
}

// Enroll enrolls a person as id from frames, replacing anyone enrolled as
// id before. Every frame goes through the face pipeline; frames whose
// quality has problems are refused and the answer says why, frame by frame.
// When every frame is refused nobody is enrolled, and the error (which
// lists the reasons) comes with the answer.
//
// A frame that cannot be read at all (0×0, a wrong byte count) fails the
// whole call before anything is done, and so do frames that together hold
// more than MaxCallBytes (an error wrapping ErrOverBudget).
func (e *Engine) Enroll(id string, frames []Frame) (EnrollResult, error) {
	sw := startStopwatch()
	if err := gallery.ValidateID(id); err != nil {
		return EnrollResult{}, err
	}
	if len(frames) == 0 {
		return EnrollResult{}, fmt.Errorf("no images to enroll %q from: pass at least one", id)
	}
	if len(frames) > MaxFrames {
		return EnrollResult{}, fmt.Errorf("%d images to enroll %q from: the limit is %d", len(frames), id, MaxFrames)
	}
	for i, f := range frames {
		if _, err := checkFrame(f); err != nil {
			return EnrollResult{}, fmt.Errorf("image %d of %d: %w", i+1, len(frames), err)
		}
	}
	release, err := e.reserve(frames...)
	if err != nil {
		return EnrollResult{}, err
	}
	defer release()
	e.mu.Lock()
	defer e.mu.Unlock()
	res := EnrollResult{ID: id, Frames: make([]FrameResult, len(frames))}
	caps := make([]gallery.Capture, len(frames))
	for i, f := range frames {
		an, err := e.analyze(f, sw)
		if err != nil {
			return EnrollResult{}, fmt.Errorf("image %d of %d: %w", i+1, len(frames), err)
		}
		fr := FrameResult{Reasons: []string{}, Quality: an.quality}
		if len(an.a.Faces) > 0 {
			fc := an.face
			fr.Face = &fc
		}
		caps[i].Quality = an.a.Quality
		if an.a.Quality.OK() {
			crop, v, err := e.embedFace(&an, sw)
			if err != nil {
				return EnrollResult{}, fmt.Errorf("image %d of %d: %w", i+1, len(frames), err)
			}
			if crop, err = e.keptCrop(&an, crop, sw); err != nil {
				return EnrollResult{}, fmt.Errorf("image %d of %d: %w", i+1, len(frames), err)
			}
			caps[i].Crop, caps[i].Embedding = crop, v
		}
		res.Frames[i] = fr
	}
	gres, err := e.gallery.Enroll(id, caps)
	if err != nil && !errors.Is(err, gallery.ErrNoGoodFrame) {
		return EnrollResult{}, err
	}
	for i, fr := range gres.Frames {
		res.Frames[i].Accepted = fr.Accepted
		res.Frames[i].Distance = fr.Distance
		if fr.Reasons != nil {
			res.Frames[i].Reasons = fr.Reasons
		}
	}
	res.Accepted, res.Refused, res.Replaced = gres.Accepted, gres.Refused, gres.Replaced
	if err != nil {
		res.Timings = sw.timings()
		return res, err
	}
	res.Enrolled = true
	if p, perr := e.gallery.Person(id); perr == nil {
		res.Spread = p.Spread
	}
	res.Timings = sw.timings()
	return res, nil
}

// Verify compares the best face of a frame with the person enrolled as id.
// A frame whose quality has problems gets no verdict unless opts.AnyQuality
// is set: the answer has Judged false, Match false, and the quality's
// reasons; the face is not compared.
func (e *Engine) Verify(id string, f Frame, opts Options) (Verification, error) {
	sw := startStopwatch()
	if err := gallery.ValidateID(id); err != nil {
		return Verification{}, err
	}
	if err := checkOptions(opts); err != nil {
		return Verification{}, err
	}
	release, err := e.reserve(f)
	if err != nil {
		return Verification{}, err
	}
	defer release()
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.threshold(opts)
	if err != nil {
		return Verification{}, err
	}
	// Say "not enrolled" (or "enroll again") before looking at the picture.
	if p, err := e.gallery.Person(id); err != nil {
		return Verification{}, err
	} else if p.EnrollAgain != "" {
		return Verification{}, fmt.Errorf("%w: %q must enroll again: %s", ErrEnrollAgain, id, p.EnrollAgain)
	}
	an, err := e.analyze(f, sw)
	if err != nil {
		return Verification{}, err
	}
	if len(an.a.Faces) > 0 && !an.a.Quality.OK() && !opts.AnyQuality {
		if t == 0 {
			t = e.gallery.Threshold()
		}
		return Verification{ID: id, Threshold: t, Face: an.face, Quality: an.quality, Timings: sw.timings()}, nil
	}
	_, v, err := e.embedFace(&an, sw)
	if err != nil {
		return Verification{}, err
	}
	verdict, err := e.gallery.Verify(id, v, t)
	if err != nil {
		return Verification{}, err
	}
	return Verification{
		ID:        id,
		Judged:    true,
		Match:     verdict.Match,
		Distance:  verdict.Distance,
		Threshold: verdict.Threshold,
		Score:     verdict.Score,
		Face:      an.face,
		Quality:   an.quality,
		Timings:   sw.timings(),
	}, nil
}

// Identify ranks the enrolled people by how near their templates are to
// the best face of a frame. Unknown is true when nobody is within the
// threshold (an empty gallery included). A frame whose quality has
// problems gets no verdict unless opts.AnyQuality is set: Judged is false,
// nobody is ranked, and Quality says why.
func (e *Engine) Identify(f Frame, opts Options) (Identification, error) {
	sw := startStopwatch()
	if err := checkOptions(opts); err != nil {
		return Identification{}, err
	}
	release, err := e.reserve(f)
	if err != nil {
		return Identification{}, err
	}
	defer release()
	k := opts.K
	if k == 0 {
		k = DefaultCandidates
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.threshold(opts)
	if err != nil {
		return Identification{}, err
	}
	if t == 0 {
		t = e.gallery.Threshold()
	}
	an, err := e.analyze(f, sw)
	if err != nil {
		return Identification{}, err
	}
	if len(an.a.Faces) > 0 && !an.a.Quality.OK() && !opts.AnyQuality {
		return Identification{Candidates: []Candidate{}, Threshold: t, Face: an.face, Quality: an.quality, Timings: sw.timings()}, nil
	}
	_, v, err := e.embedFace(&an, sw)
	if err != nil {
		return Identification{}, err
	}
	cands, unknown, err := e.gallery.Identify(v, t, k)
	if err != nil {
		return Identification{}, err
	}
	out := Identification{Candidates: make([]Candidate, len(cands)), Judged: true, Unknown: unknown, Threshold: t, Face: an.face, Quality: an.quality}
	for i, c := range cands {
		out.Candidates[i] = Candidate{ID: c.ID, Distance: c.Distance, Score: c.Score, Match: c.Match}
	}
	if !unknown {
		out.ID = cands[0].ID
	}
	out.Timings = sw.timings()
	return out, nil
}

// threshold is the threshold checked Options ask for: the model's strict
// point, their own, or 0 for the gallery's default; an error when they ask
// for a strict point the model does not have. Callers hold e.mu.
func (e *Engine) threshold(o Options) (float32, error) {
	if !o.Strict {
		return o.Threshold, nil
	}
	if e.model.emb.StrictThreshold == 0 {
		return 0, errors.New("this model has no strict point (a model made by cmd/cohort has one): pass a threshold instead")
	}
	return e.model.emb.StrictThreshold, nil
}

// checkOptions validates Options.
func checkOptions(o Options) error {
	if o.Threshold != 0 {
		if err := gallery.ValidateThreshold(o.Threshold); err != nil {
			return err
		}
	}
	if o.Strict && o.Threshold != 0 {
		return fmt.Errorf("both a threshold (%v) and the strict point were asked for: give one", o.Threshold)
	}
	if o.K < 0 || o.K > gallery.MaxPeople {
		return fmt.Errorf("k is %d: ask for 1 to %d candidates, or 0 for %d", o.K, gallery.MaxPeople, DefaultCandidates)
	}
	return nil
}

// Remove forgets the person enrolled as id.
func (e *Engine) Remove(id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.gallery.Remove(id)
}

// People lists the ids enrolled, sorted.
func (e *Engine) People() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	ids := e.gallery.IDs()
	if ids == nil {
		ids = []string{}
	}
	return ids
}

// Info describes the engine's model and gallery.
func (e *Engine) Info() Info {
	e.mu.Lock()
	defer e.mu.Unlock()
	ids := e.gallery.IDs()
	if ids == nil {
		ids = []string{}
	}
	again := e.gallery.EnrollAgain()
	if again == nil {
		again = []string{}
	}
	return Info{Model: e.modelInfo(), People: ids, EnrollAgain: again}
}

// modelInfo describes the model. Callers hold e.mu.
func (e *Engine) modelInfo() ModelInfo {
	m := e.model
	return ModelInfo{
		Fingerprint:      m.fingerprint,
		Bytes:            len(m.file),
		Threshold:        m.threshold,
		Calibrated:       m.emb.Threshold != 0,
		ThresholdSource:  m.source,
		ThresholdTrusted: m.trusted,
		MACs:             m.cost.MACs,
		StrictThreshold:  m.emb.StrictThreshold,
		Dim:              m.dim,
		CropWidth:        m.emb.Template.Width,
		CropHeight:       m.emb.Template.Height,
		Params:           m.emb.Model.NumParams(),
		Architecture:     m.emb.Model.Meta["architecture"],
		FineTuned:        m.emb.Model.Meta["fine_tuned"],
		Mirror:           m.emb.Mirror,
		CohortFaces:      cohortFaces(m.emb.Cohort),
	}
}

// cohortFaces is the size of a model's cohort, 0 for none.
func cohortFaces(c *gallery.Cohort) int {
	if c == nil {
		return 0
	}
	return c.Len()
}

// ExportGallery returns the gallery as a file (see package gallery for the
// format): every person's embeddings and aligned crops, the model's
// fingerprint and the default threshold.
func (e *Engine) ExportGallery() ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.gallery.MarshalBinary()
}

// ImportGallery replaces the enrolled people with a gallery file's. A file
// made by another model is re-embedded from its crops with the engine's
// model. A file that is damaged, foreign or cannot be re-embedded is
// refused and the current gallery is left untouched.
func (e *Engine) ImportGallery(data []byte) (GalleryInfo, error) {
	if len(data) == 0 {
		return GalleryInfo{}, errors.New("the gallery file is empty")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	fresh, err := gallery.Unmarshal(data)
	if err != nil {
		return GalleryInfo{}, err
	}
	reembed := fresh.Len() > 0 && (fresh.Model() != e.model.fingerprint || fresh.Dim() != e.model.dim)
	// Crops not kept in KeptTemplate are taken to be of this model's
	// template, as every gallery kept them before KeptTemplate.
	embed := keptEmbedder(e.detector, e.model, e.model.emb.Template)
	err = guard(func() error { return e.gallery.Import(data, embed) })
	if err != nil {
		return GalleryInfo{}, err
	}
	return GalleryInfo{People: e.gallery.Len(), Reembedded: reembed}, nil
}

// ExportModel returns the model file the engine runs.
func (e *Engine) ExportModel() []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	return bytes.Clone(e.model.file)
}

// ImportModel replaces the engine's model with a model file's and
// re-embeds every enrolled person's kept crops with it, so nobody has to
// enroll again. It is all or nothing: a file that is not a face embedding
// model, or a re-embedding that fails, is refused and the engine keeps its
// model and gallery exactly as they were. The gallery keeps crops of
// KeptTemplate, from which the crop of a model of any narrower view (the
// compact and the accurate model both) is cut again. A person whose crops
// do not show the new model's view (a gallery of tighter crops kept before
// KeptTemplate) stays listed in the "enroll again" state instead
// (Info.EnrollAgain, ErrEnrollAgain), crops and all, until they enroll
// again or a model that can use the crops is loaded.
//
// The file is first judged by its header alone, before anything is built or
// run: a model over the limits (MaxModelParams, MaxModelMACs,
// MaxModelValues, MaxCropSide) is refused with an error wrapping
// ErrModelLimits, and so is one whose threshold or strict point lies outside
// MinModelThreshold…MaxModelThreshold unless opts.TrustThreshold is set.
// The answer's ThresholdSource is ThresholdImported: the threshold in use is
// the file's (ThresholdLoaded again when the file is the one the engine was
// made with).
func (e *Engine) ImportModel(file []byte, opts ModelOptions) (ModelInfo, error) {
	e.mu.Lock()
	source := ThresholdImported
	if bytes.Equal(file, e.model.shipped) {
		source = ThresholdLoaded
	}
	e.mu.Unlock()
	m, err := loadModel(file, opts, source)
	if err != nil {
		return ModelInfo{}, err
	}
	e.mu.Lock()
	// The gallery keeps crops of KeptTemplate, from which the new model's
	// crops are cut again; crops of another size are the current model's
	// own (a gallery kept before KeptTemplate).
	embed := keptEmbedder(e.detector, m, e.model.emb.Template)
	if err := guard(func() error { return e.gallery.ReembedAs(m.fingerprint, embed) }); err != nil {
		e.mu.Unlock()
		return ModelInfo{}, fmt.Errorf("the new model cannot embed the enrolled faces, so it was not loaded: %w", err)
	}
	// The threshold was validated by loadModel, and the cohort checked
	// against the model's embeddings, which the gallery now holds, so
	// these cannot fail.
	if err := e.gallery.SetThreshold(m.threshold); err != nil {
		e.mu.Unlock()
		return ModelInfo{}, err
	}
	if err := e.gallery.SetCohort(m.emb.Cohort); err != nil {
		e.mu.Unlock()
		return ModelInfo{}, err
	}
	m.shipped = e.model.shipped
	e.model = m
	e.mu.Unlock()
	return e.Info().Model, nil
}
