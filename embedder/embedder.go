package embedder

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"strconv"

	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/gallery"
	"github.com/oneshotface/oneshot/nn"
)

// Metadata keys of a model file that an Embedder reads.
const (
	MetaTemplate  = "template"
	MetaNorm      = "norm"
	MetaThreshold = "threshold"
	// MetaStrictThreshold is a stricter operating point than the
	// threshold: the distance at which 1% of the calibration pairs of two
	// different people were accepted (cmd/cohort writes it; DescribeStrict).
	MetaStrictThreshold = "threshold_strict"
	// MetaMirror "1" asks for test-time mirroring: every crop is embedded
	// together with its mirror image, and the embedding is the mean of the
	// two, scaled to unit length (Embedder.Mirror).
	MetaMirror = "mirror"
	// MetaCohort holds the model's cohort (gallery.Cohort.MarshalText):
	// embeddings, by this very model, of one face of each of its training
	// people, which normalise comparisons (Embedder.Cohort).
	MetaCohort = "cohort"
)

// Embedder embeds face crops with one model. It keeps its crop and input
// buffers between calls, so it is not safe for concurrent use: make one per
// goroutine (Clone).
type Embedder struct {
	Model    *nn.Model
	Template face.Template
	Norm     face.Normalization
	// Threshold is the model's calibrated verification threshold on the
	// squared distance (0 when the model file has none); with a Cohort, on
	// the cohort-normalised distance.
	Threshold float32
	// StrictThreshold is the model's stricter operating point on the same
	// distance (meta "threshold_strict"; 0 when the file has none): where
	// 1% of the calibration pairs of two different people were accepted,
	// against Threshold's best accuracy. It trades false rejects for fewer
	// false accepts.
	StrictThreshold float32
	// Mirror is true when every crop is embedded with its mirror image
	// and the two embeddings are averaged (meta "mirror"): a face and its
	// mirror are the same person, and the mean cancels some of the
	// model's left–right noise, for twice the work.
	Mirror bool
	// Cohort, when not nil, is the model's cohort (meta "cohort"): the
	// gallery normalises its comparisons with it (gallery.Config.Cohort).
	Cohort *gallery.Cohort

	// folded, when ForInference was called, is the batch-norm-folded copy
	// of Model that embeds; nil: Model embeds.
	folded *nn.Model
	crop   *image.RGBA
	input  []float32
	// both holds a batch and its mirror images, with Mirror.
	both []float32
}

// ForInference makes e embed with a copy of its model whose batch norms
// are folded into the preceding convolutions (nn.FoldForInference): the
// same embeddings up to rounding, one pass over the activations fewer per
// convolution. Call it only for a model whose weights will not change
// afterwards (the engine's, not a model being trained: the copy would not
// follow the training).
func (e *Embedder) ForInference() error {
	f, err := nn.FoldForInference(e.Model)
	if err != nil {
		return fmt.Errorf("embedder: %w", err)
	}
	e.folded = f
	return nil
}

// Open reads the model file at path and makes its Embedder (New). Errors
// name the file; a missing file's error matches os.ErrNotExist.
func Open(path string) (*Embedder, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := nn.Load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	e, err := New(m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

// New makes an Embedder for m, reading the crop template and normalisation
// from m.Meta (see the package comment).
func New(m *nn.Model) (*Embedder, error) {
	if m == nil {
		return nil, errors.New("embedder: model is nil")
	}
	var e Embedder
	e.Model = m
	t, ok := m.Meta[MetaTemplate]
	if !ok {
		return nil, errors.New("embedder: model file has no crop template (meta \"template\"); it was not made for face embedding")
	}
	if err := json.Unmarshal([]byte(t), &e.Template); err != nil {
		return nil, fmt.Errorf("embedder: model's crop template is unreadable: %v", err)
	}
	if err := e.Template.Validate(); err != nil {
		return nil, err
	}
	if n, ok := m.Meta[MetaNorm]; ok {
		if err := json.Unmarshal([]byte(n), &e.Norm); err != nil {
			return nil, fmt.Errorf("embedder: model's input normalisation is unreadable: %v", err)
		}
	} else {
		e.Norm = face.NormSigned
	}
	var err error
	if e.Threshold, err = metaThreshold(m, MetaThreshold, "threshold"); err != nil {
		return nil, err
	}
	if e.StrictThreshold, err = metaThreshold(m, MetaStrictThreshold, "strict threshold"); err != nil {
		return nil, err
	}
	switch v := m.Meta[MetaMirror]; v {
	case "", "0":
	case "1":
		e.Mirror = true
	default:
		return nil, fmt.Errorf("embedder: model's mirror setting %q is neither 0 nor 1", v)
	}
	if text, ok := m.Meta[MetaCohort]; ok {
		c, err := gallery.ParseCohort(text)
		if err != nil {
			return nil, fmt.Errorf("embedder: model's %w", err)
		}
		e.Cohort = c
	}
	if in := m.Input; in != [3]int{} && (in[0] != e.Template.Height || in[1] != e.Template.Width || in[2] != 3) {
		return nil, fmt.Errorf("embedder: model takes %d×%d×%d inputs but its template makes %d×%d RGB crops",
			in[0], in[1], in[2], e.Template.Height, e.Template.Width)
	}
	return &e, nil
}

// metaThreshold reads a threshold from m.Meta[key]: 0 when it is absent,
// an error naming what when it is not a positive number.
func metaThreshold(m *nn.Model, key, what string) (float32, error) {
	s, ok := m.Meta[key]
	if !ok {
		return 0, nil
	}
	v, err := strconv.ParseFloat(s, 32)
	if err != nil || !(v > 0) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("embedder: model's %s %q is not a positive number", what, s)
	}
	return float32(v), nil
}

// Describe writes t, n and threshold (0: none) into m.Meta, and sets
// m.Input to the crop's shape, so that New can read them back. A strict
// threshold the file had is removed: it was calibrated with the threshold
// Describe replaces (DescribeStrict writes a new one).
func Describe(m *nn.Model, t face.Template, n face.Normalization, threshold float32) error {
	if err := t.Validate(); err != nil {
		return err
	}
	tj, err := json.Marshal(t)
	if err != nil {
		return err
	}
	nj, err := json.Marshal(n)
	if err != nil {
		return err
	}
	if m.Meta == nil {
		m.Meta = map[string]string{}
	}
	m.Meta[MetaTemplate] = string(tj)
	m.Meta[MetaNorm] = string(nj)
	if threshold > 0 {
		m.Meta[MetaThreshold] = strconv.FormatFloat(float64(threshold), 'g', 6, 32)
	} else {
		delete(m.Meta, MetaThreshold)
	}
	delete(m.Meta, MetaStrictThreshold)
	m.Input = [3]int{t.Height, t.Width, 3}
	return nil
}

// DescribeStrict writes a stricter operating point than m's threshold into
// m.Meta (MetaStrictThreshold), for New to read back. It must be positive,
// finite and below the threshold Describe wrote: a point that accepts as
// many pairs as the default is not stricter.
func DescribeStrict(m *nn.Model, strict float32) error {
	t, err := metaThreshold(m, MetaThreshold, "threshold")
	if err != nil {
		return err
	}
	if t == 0 {
		return errors.New("embedder: a strict threshold needs the model's threshold first (Describe)")
	}
	if !(strict > 0) || strict >= t {
		return fmt.Errorf("embedder: strict threshold %g is not between 0 and the model's threshold %g", strict, t)
	}
	m.Meta[MetaStrictThreshold] = strconv.FormatFloat(float64(strict), 'g', 6, 32)
	return nil
}

// Clone returns an Embedder sharing nothing with e (its own model copy),
// for use on another goroutine.
func (e *Embedder) Clone() (*Embedder, error) {
	m, err := e.Model.Clone()
	if err != nil {
		return nil, err
	}
	c := *e
	c.Model, c.crop, c.input, c.both, c.folded = m, nil, nil, nil, nil
	if e.folded != nil {
		if err := c.ForInference(); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

// Workers returns n clones of e (Clone), each embedding with its batch
// norms folded (ForInference), for n goroutines that only embed: eval's
// workers in cmd/soup and cmd/cohort.
func (e *Embedder) Workers(n int) ([]*Embedder, error) {
	if n < 1 {
		return nil, fmt.Errorf("embedder: %d workers: need at least 1", n)
	}
	out := make([]*Embedder, n)
	for i := range out {
		c, err := e.Clone()
		if err != nil {
			return nil, err
		}
		if err := c.ForInference(); err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// Dim is the embedding's length (128 for the shipped models), found by
// running one zero crop.
func (e *Embedder) Dim() (int, error) {
	v, err := e.EmbedCrop(e.Template.NewCrop())
	if err != nil {
		return 0, err
	}
	return len(v), nil
}

// Embed aligns the face in img from eyes (the pupils, or for a five-point
// template what face.Detector.AlignEyes gives) and embeds it.
func (e *Embedder) Embed(img image.Image, eyes face.Eyes) ([]float32, error) {
	if e.crop == nil {
		e.crop = e.Template.NewCrop()
	}
	if err := face.Align(e.crop, img, eyes, e.Template); err != nil {
		return nil, err
	}
	return e.EmbedCrop(e.crop)
}

// EmbedCrop embeds an already aligned crop of e.Template's size. The
// result is a new slice the caller owns.
func (e *Embedder) EmbedCrop(crop *image.RGBA) ([]float32, error) {
	out, err := e.EmbedCrops([]*image.RGBA{crop})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// EmbedCrops embeds a batch of aligned crops in one forward pass.
func (e *Embedder) EmbedCrops(crops []*image.RGBA) ([][]float32, error) {
	if len(crops) == 0 {
		return nil, nil
	}
	w, h := e.Template.Width, e.Template.Height
	per := w * h * 3
	if cap(e.input) < per*len(crops) {
		e.input = make([]float32, per*len(crops))
	}
	in := e.input[:per*len(crops)]
	for i, c := range crops {
		if c == nil {
			return nil, fmt.Errorf("embedder: crop %d is nil", i)
		}
		if b := c.Bounds(); b.Dx() != w || b.Dy() != h {
			return nil, fmt.Errorf("embedder: crop %d is %d×%d, this model takes %d×%d crops", i, b.Dx(), b.Dy(), w, h)
		}
		if err := face.Tensor(in[i*per:(i+1)*per], c, e.Norm); err != nil {
			return nil, err
		}
	}
	return e.EmbedTensor(in, len(crops))
}

// EmbedTensor embeds n normalised HWC crops packed in x. With e.Mirror
// each embedding is the unit-length mean of the crop's and its mirror
// image's.
func (e *Embedder) EmbedTensor(x []float32, n int) ([][]float32, error) {
	if !e.Mirror {
		return e.forward(x, n)
	}
	h, w := e.Template.Height, e.Template.Width
	if len(x) != n*h*w*3 {
		return nil, fmt.Errorf("embedder: %d input values for %d crops of %d×%d×3", len(x), n, h, w)
	}
	if cap(e.both) < 2*len(x) {
		e.both = make([]float32, 2*len(x))
	}
	both := e.both[:2*len(x)]
	copy(both, x)
	mirrorHWC(both[len(x):], x, n, h, w)
	y, err := e.forward(both, 2*n)
	if err != nil {
		return nil, err
	}
	out := y[:n]
	for i, v := range out {
		var s float64
		for j := range v {
			v[j] += y[n+i][j]
			s += float64(v[j]) * float64(v[j])
		}
		if s > 0 {
			r := 1 / math.Sqrt(s)
			for j := range v {
				v[j] = float32(float64(v[j]) * r)
			}
		}
	}
	return out, nil
}

// mirrorHWC writes into dst the n H×W×3 crops of src flipped left to right.
func mirrorHWC(dst, src []float32, n, h, w int) {
	for i := range n * h {
		row := i * w * 3
		for x := range w {
			copy(dst[row+x*3:row+x*3+3], src[row+(w-1-x)*3:row+(w-1-x)*3+3])
		}
	}
}

// forward runs the model on n normalised HWC crops packed in x.
func (e *Embedder) forward(x []float32, n int) ([][]float32, error) {
	t, err := nn.FromSlice(x, n, e.Template.Height, e.Template.Width, 3)
	if err != nil {
		return nil, err
	}
	m := e.Model
	if e.folded != nil {
		m = e.folded
	}
	y, err := m.Forward(t, false)
	if err != nil {
		return nil, err
	}
	s := y.Shape()
	if len(s) != 2 || s[0] != n {
		return nil, fmt.Errorf("embedder: model output has shape %v, want (%d, dim)", s, n)
	}
	d := y.Float32s()
	out := make([][]float32, n)
	for i := range out {
		out[i] = append([]float32(nil), d[i*s[1]:(i+1)*s[1]]...)
	}
	return out, nil
}
