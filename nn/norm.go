package nn

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"
)

// DefaultL2Eps is the ε of L2Normalize when a Spec leaves it zero.
const DefaultL2Eps = 1e-10

// L2Normalize scales each row of an (N, F) matrix to unit length,
//
//	y = x / sqrt(Σ x² + ε),
//
// the last layer of an embedder: squared distances between its outputs lie
// in [0, 4]. ε keeps a zero row finite (it maps to zero).
// l2NormalizeForwardRef and l2NormalizeBackwardRef (reference.go) are its
// math as plain loops.
type L2Normalize struct {
	Name string
	Eps  float32

	trained bool
	norm    []float32 // sqrt(Σx² + ε) of each row of the last Forward
	y, dx   *tensor.Dense
}

func init() {
	register("l2normalize", func(s Spec) (Layer, error) {
		if !(s.Eps >= 0) {
			return nil, fmt.Errorf("nn: %s: eps %g is negative", layerID("l2normalize", s.Name), s.Eps)
		}
		return NewL2Normalize(s.Name, s.Eps), nil
	})
}

// NewL2Normalize makes the layer; eps 0 means DefaultL2Eps.
func NewL2Normalize(name string, eps float32) *L2Normalize {
	if eps == 0 {
		eps = DefaultL2Eps
	}
	return &L2Normalize{Name: name, Eps: eps}
}

func (l *L2Normalize) id() layerName { return layerID("l2normalize", l.Name) }

// Forward: y = x / sqrt(Σx² + ε) row by row.
func (l *L2Normalize) Forward(x *tensor.Dense, training bool) (*tensor.Dense, error) {
	l.trained = false
	if err := checkInput(l.id(), x); err != nil {
		return nil, err
	}
	s := x.Shape()
	if len(s) != 2 {
		return nil, fmt.Errorf("nn: %s wants an (N, F) matrix, got shape %v", l.id(), s)
	}
	if !(l.Eps >= 0) {
		return nil, fmt.Errorf("nn: %s: eps %g is negative", l.id(), l.Eps)
	}
	n, f := s[0], s[1]
	l.y = reuse(l.y, n, f)
	l.norm = growF32(l.norm, n)
	xs, ys := x.Float32s(), l.y.Float32s()
	for r := 0; r < n; r++ {
		xr, yr := xs[r*f:(r+1)*f], ys[r*f : (r+1)*f][:f]
		var ss float64
		for _, v := range xr {
			ss += float64(v) * float64(v)
		}
		nrm := math.Sqrt(ss + float64(l.Eps))
		l.norm[r] = float32(nrm)
		inv := float32(1 / nrm)
		if nrm == 0 {
			inv = 0
		}
		for i, v := range xr {
			yr[i] = v * inv
		}
	}
	l.trained = training
	return l.y, nil
}

// Backward: dx = (dy − y·(y·dy)) / sqrt(Σx² + ε), row by row, which is
// exact for the ε-regularised norm.
func (l *L2Normalize) Backward(dy *tensor.Dense) (*tensor.Dense, error) {
	if err := checkBackward(l.id(), l.trained, l.y, dy); err != nil {
		return nil, err
	}
	n, f := l.y.Shape()[0], l.y.Shape()[1]
	l.dx = reuse(l.dx, n, f)
	ys, gs, dxs := l.y.Float32s(), dy.Float32s(), l.dx.Float32s()
	for r := 0; r < n; r++ {
		yr, gr, dr := ys[r*f:(r+1)*f], gs[r*f : (r+1)*f][:f], dxs[r*f : (r+1)*f][:f]
		var dot float64
		for i, v := range yr {
			dot += float64(v) * float64(gr[i])
		}
		d := float32(dot)
		inv := float32(0)
		if l.norm[r] > 0 {
			inv = 1 / l.norm[r]
		}
		for i, v := range yr {
			dr[i] = (gr[i] - v*d) * inv
		}
	}
	return l.dx, nil
}

// Params: L2Normalize has none.
func (l *L2Normalize) Params() []*Param { return nil }

// Spec describes the layer.
func (l *L2Normalize) Spec() Spec { return Spec{Type: "l2normalize", Name: l.Name, Eps: l.Eps} }
