package gallery

import (
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
	"sync"
	"time"
	"unicode/utf8"
)

// Limits of a gallery. They bound what Enroll accepts and what the file
// reader allocates, so every gallery that can be built can be saved and
// read back.
const (
	// MaxIDBytes is the longest person id, in bytes of UTF-8.
	MaxIDBytes = 128
	// MaxFrames is the most frames one person can be enrolled from.
	MaxFrames = 32
	// MaxPeople is the most people a gallery holds.
	MaxPeople = 10000
	// MaxDim is the longest embedding, in values.
	MaxDim = 4096
	// MaxCropSide is the largest width or height of a kept crop, in pixels.
	MaxCropSide = 256
	// MaxModelBytes is the longest model fingerprint, in bytes of UTF-8.
	MaxModelBytes = 255
	// MaxFileBytes is the largest gallery file, in bytes.
	MaxFileBytes = 256 << 20
)

// MaxDistance is the largest squared distance between two unit vectors
// (two opposite directions): ‖a − b‖² = 2 − 2·cos θ ≤ 4.
const MaxDistance = 4

// ErrNotEnrolled is wrapped by the error of every call naming an id that no
// person is enrolled as; test for it with errors.Is.
var ErrNotEnrolled = errors.New("no person enrolled")

// ErrEnrollAgain says that a person's kept crops cannot be embedded by the
// model in use, so the person must enroll again. An EmbedFunc returns an
// error wrapping it for such a crop; re-embedding then keeps the person
// listed, with their crops, in the "enroll again" state (Person.EnrollAgain)
// instead of failing, and Verify of them returns an error wrapping it.
var ErrEnrollAgain = errors.New("enroll again")

// DimensionError says an embedding's length is not the gallery's. It
// usually means the embedding was made by another model than the gallery's
// embeddings.
type DimensionError struct {
	// Got is the embedding's length; Want the gallery's.
	Got, Want int
}

// Error says what was wrong and what it probably means.
func (e *DimensionError) Error() string {
	return fmt.Sprintf("embedding has %d values, the gallery holds %d-value embeddings — was it made by another model?", e.Got, e.Want)
}

// Config sets up a new Gallery.
type Config struct {
	// Threshold is the default verification threshold on the squared
	// distance: the model's calibrated one (embedder.Embedder.Threshold).
	// 0 means none: every call must then pass its own.
	Threshold float32
	// Model is the fingerprint of the model whose embeddings the gallery
	// holds (see Fingerprint); it is saved with the gallery so that a
	// gallery made by another model can be told apart. It may be empty.
	Model string
	// Dim is the length of the embeddings (128 for the shipped models).
	// 0 lets the first enrollment into an empty gallery set it.
	Dim int
	// Cohort, when not nil, normalises every comparison of Verify and
	// Identify (see the package comment on cohort normalisation): the
	// model's cohort (embedder.Embedder.Cohort), of the model's embedding
	// length. Each comparison then costs a pass over the cohort for the
	// probe (~0.6 ms natively for the shipped model's ~4,000 faces), and the
	// first comparison with each person one more for their template, kept
	// until the person or the cohort changes.
	Cohort *Cohort
}

// Gallery is a set of enrolled people, each with the embeddings of the
// frames they were enrolled from, the crops those came from and their
// template (see the package comment). Make one with New; the zero Gallery
// is an empty gallery with no default threshold and no model fingerprint.
//
// A Gallery is safe for concurrent use.
type Gallery struct {
	mu        sync.RWMutex
	threshold float32
	model     string
	dim       int
	fixedDim  bool // dim was given (Config.Dim or a file), not learnt from an enrollment
	people    map[string]*person
	cohort    *Cohort // nil: raw distances

	// statsMu guards stats, the cohort statistics of templates, filled as
	// Verify and Identify need them (under g.mu's read lock) and emptied
	// when the cohort changes.
	statsMu sync.Mutex
	stats   map[*person]CohortStats
}

// person is one enrolled person. It is never changed after it is built:
// changes replace the whole value.
type person struct {
	id       string
	enrolled int64 // Unix milliseconds
	frames   []frame
	template []float32
	spread   float32
	// again is why the person must enroll again: the model in use cannot
	// embed their kept crops. Their frames then have no embeddings, and
	// template is nil; "" for everyone else.
	again string
}

// frame is one accepted frame: its unit embedding and its aligned crop.
type frame struct {
	emb  []float32
	w, h int
	pix  []byte // w×h×4 RGBA bytes, no row padding
}

// New makes an empty gallery.
func New(c Config) (*Gallery, error) {
	if c.Threshold != 0 {
		if err := ValidateThreshold(c.Threshold); err != nil {
			return nil, err
		}
	}
	if err := validateModel(c.Model); err != nil {
		return nil, err
	}
	if c.Dim < 0 || c.Dim > MaxDim {
		return nil, fmt.Errorf("embedding length %d is not between 0 (learn it from the first enrollment) and %d", c.Dim, MaxDim)
	}
	if c.Cohort != nil && c.Dim != 0 && c.Cohort.Dim() != c.Dim {
		return nil, fmt.Errorf("the cohort holds %d-value embeddings, the gallery %d-value ones", c.Cohort.Dim(), c.Dim)
	}
	return &Gallery{
		threshold: c.Threshold,
		model:     c.Model,
		dim:       c.Dim,
		fixedDim:  c.Dim > 0,
		people:    map[string]*person{},
		cohort:    c.Cohort,
	}, nil
}

// ValidateID reports whether id can name a person: it must be non-empty,
// at most MaxIDBytes bytes long and valid UTF-8.
func ValidateID(id string) error {
	switch {
	case id == "":
		return errors.New("person id is empty")
	case len(id) > MaxIDBytes:
		return fmt.Errorf("person id is %d bytes long, the limit is %d", len(id), MaxIDBytes)
	case !utf8.ValidString(id):
		return fmt.Errorf("person id %q is not valid UTF-8", id)
	}
	return nil
}

// ValidateThreshold reports whether t can be a verification threshold on
// the squared distance of unit vectors: finite and strictly between 0 and
// MaxDistance (a threshold of MaxDistance or more would accept everyone).
func ValidateThreshold(t float32) error {
	if math.IsNaN(float64(t)) || math.IsInf(float64(t), 0) || t <= 0 || t >= MaxDistance {
		return fmt.Errorf("threshold %v is not a number between 0 and %d (exclusive)", t, MaxDistance)
	}
	return nil
}

func validateModel(m string) error {
	if len(m) > MaxModelBytes {
		return fmt.Errorf("model fingerprint is %d bytes long, the limit is %d", len(m), MaxModelBytes)
	}
	if !utf8.ValidString(m) {
		return fmt.Errorf("model fingerprint %q is not valid UTF-8", m)
	}
	return nil
}

func notEnrolled(id string) error { return fmt.Errorf("%w as %q", ErrNotEnrolled, id) }

// Threshold is the gallery's default verification threshold (0: none).
func (g *Gallery) Threshold() float32 {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.threshold
}

// SetThreshold sets the default verification threshold; 0 removes it.
func (g *Gallery) SetThreshold(t float32) error {
	if t != 0 {
		if err := ValidateThreshold(t); err != nil {
			return err
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.threshold = t
	return nil
}

// SetCohort sets the cohort that normalises comparisons (nil: raw
// distances from now on). Set it together with the threshold calibrated
// for it (SetThreshold): a normalised distance and a raw one are compared
// with different thresholds. A cohort whose embedding length is not the
// gallery's is refused.
func (g *Gallery) SetCohort(c *Cohort) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c != nil && g.dim != 0 && c.Dim() != g.dim {
		return &DimensionError{Got: c.Dim(), Want: g.dim}
	}
	g.cohort = c
	g.statsMu.Lock()
	g.stats = nil
	g.statsMu.Unlock()
	return nil
}

// Cohort is the cohort that normalises comparisons (nil: none).
func (g *Gallery) Cohort() *Cohort {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.cohort
}

// Model is the fingerprint of the model whose embeddings the gallery holds
// (see Config.Model).
func (g *Gallery) Model() string {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.model
}

// Dim is the length of the gallery's embeddings (0 while unknown).
func (g *Gallery) Dim() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.dim
}

// Len is the number of people enrolled.
func (g *Gallery) Len() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return len(g.people)
}

// IDs lists the ids of the people enrolled, sorted.
func (g *Gallery) IDs() []string {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.sortedIDs()
}

func (g *Gallery) sortedIDs() []string {
	ids := make([]string, 0, len(g.people))
	for id := range g.people {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Person is what the gallery knows of one enrolled person. Its slices and
// images are copies the caller owns.
type Person struct {
	// ID names the person.
	ID string
	// Enrolled is when the person was enrolled, to the millisecond.
	Enrolled time.Time
	// Template is the unit vector faces are compared with: the
	// re-normalised mean of Embeddings.
	Template []float32
	// Embeddings are the unit embeddings of the accepted frames.
	Embeddings [][]float32
	// Crops are the aligned crops of the accepted frames, in the order
	// of Embeddings.
	Crops []*image.RGBA
	// Spread is the mean squared distance of the frames' embeddings to
	// the template: 0 when they agree perfectly. A spread near the
	// threshold means the frames hardly look like one person.
	Spread float32
	// EnrollAgain, when not "", says why the person must enroll again:
	// the model in use cannot embed their kept crops. They have no
	// Template nor Embeddings then, only Crops; Verify refuses them and
	// Identify passes them by.
	EnrollAgain string
}

// EnrollAgain lists, sorted, the people who must enroll again (see
// Person.EnrollAgain).
func (g *Gallery) EnrollAgain() []string {
	g.mu.RLock()
	defer g.mu.RUnlock()
	var ids []string
	for _, id := range g.sortedIDs() {
		if g.people[id].again != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// Person returns what the gallery knows of the person enrolled as id.
func (g *Gallery) Person(id string) (Person, error) {
	if err := ValidateID(id); err != nil {
		return Person{}, err
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	p, ok := g.people[id]
	if !ok {
		return Person{}, notEnrolled(id)
	}
	info := Person{
		ID:          p.id,
		Enrolled:    time.UnixMilli(p.enrolled),
		Template:    slices.Clone(p.template),
		Spread:      p.spread,
		EnrollAgain: p.again,
	}
	for _, f := range p.frames {
		if p.again == "" {
			info.Embeddings = append(info.Embeddings, slices.Clone(f.emb))
		}
		info.Crops = append(info.Crops, f.image())
	}
	return info, nil
}

// Remove forgets the person enrolled as id.
func (g *Gallery) Remove(id string) error {
	if err := ValidateID(id); err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.people[id]; !ok {
		return notEnrolled(id)
	}
	delete(g.people, id)
	if len(g.people) == 0 && !g.fixedDim {
		g.dim = 0
	}
	return nil
}

// image returns a copy of f's crop.
func (f frame) image() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, f.w, f.h))
	copy(img.Pix, f.pix)
	return img
}
