package gallery

import (
	"errors"
	"fmt"
	"math"

	"github.com/oneshotface/oneshot/loss"
)

// unitTolerance is how far from 1 the length of a stored embedding may be.
// Embeddings are normalised in float64 and rounded to float32, which leaves
// them within about 1e-7 of unit length; anything further was not written
// by this package.
const unitTolerance = 1e-3

// norm returns ‖v‖, accumulated in float64, or an error when a value is
// not finite.
func norm(v []float32) (float64, error) {
	var s float64
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return 0, fmt.Errorf("embedding value %d is %v", i, x)
		}
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s), nil
}

// Unit returns v scaled to unit length, as a new slice. It refuses empty
// and all-zero vectors (which have no direction) and non-finite values.
func Unit(v []float32) ([]float32, error) {
	if len(v) == 0 {
		return nil, errors.New("embedding is empty")
	}
	n, err := norm(v)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errors.New("embedding is all zeros: it has no direction")
	}
	u := make([]float32, len(v))
	for i, x := range v {
		u[i] = float32(float64(x) / n)
	}
	return u, nil
}

// checkUnit reports whether v is a stored unit embedding: finite values and
// a length within unitTolerance of 1.
func checkUnit(v []float32) error {
	n, err := norm(v)
	if err != nil {
		return err
	}
	if math.Abs(n-1) > unitTolerance {
		return fmt.Errorf("embedding has length %.4g, not 1", n)
	}
	return nil
}

// MeanUnit is the template of unit embeddings: their mean, re-normalised to
// unit length (the package comment says why), as enrollment makes a
// person's template from their frames. Embeddings that point in opposite
// directions have no mean direction and give an error, as do none at all
// and embeddings of different lengths.
func MeanUnit(embs [][]float32) ([]float32, error) {
	if len(embs) == 0 {
		return nil, errors.New("no embeddings to average")
	}
	dim := len(embs[0])
	sum := make([]float64, dim)
	for _, e := range embs {
		if len(e) != dim {
			return nil, fmt.Errorf("embeddings of %d and %d values", dim, len(e))
		}
		for k, x := range e {
			sum[k] += float64(x)
		}
	}
	var s float64
	for _, x := range sum {
		s += x * x
	}
	n := math.Sqrt(s)
	if n < 1e-6*float64(len(embs)) {
		return nil, errors.New("the frames' embeddings cancel out: their mean has no direction")
	}
	t := make([]float32, dim)
	for k, x := range sum {
		t[k] = float32(x / n)
	}
	return t, nil
}

// newPerson builds a person from frames whose embeddings are unit vectors
// of one length: it computes the template and the spread.
func newPerson(id string, enrolled int64, frames []frame) (*person, error) {
	embs := make([][]float32, len(frames))
	for i, f := range frames {
		embs[i] = f.emb
	}
	t, err := MeanUnit(embs)
	if err != nil {
		return nil, err
	}
	var spread float64
	for _, e := range embs {
		spread += float64(dist(e, t))
	}
	return &person{
		id:       id,
		enrolled: enrolled,
		frames:   frames,
		template: t,
		spread:   float32(spread / float64(len(embs))),
	}, nil
}

// dist is the squared distance of two vectors whose lengths were checked.
func dist(a, b []float32) float32 {
	d, err := loss.SquaredDistance(a, b)
	if err != nil {
		panic("gallery: " + err.Error()) // lengths are checked by every caller
	}
	return d
}
