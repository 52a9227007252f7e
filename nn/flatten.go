package nn

import (
	"fmt"

	"gorgonia.org/tensor"
)

// Flatten turns each sample into a row: (N, H, W, C) → (N, H·W·C), or more
// generally (N, …) → (N, product of the rest). Rows keep NHWC order, so a
// Dense after it sees h, then w, then c, channels fastest.
type Flatten struct {
	Name string

	trained bool
	shape   []int // input shape of the last Forward
	y, dx   *tensor.Dense
}

func init() {
	register("flatten", func(s Spec) (Layer, error) { return &Flatten{Name: s.Name}, nil })
}

func (f *Flatten) id() layerName { return layerID("flatten", f.Name) }

// Forward copies x into an (N, rest) matrix.
func (f *Flatten) Forward(x *tensor.Dense, training bool) (*tensor.Dense, error) {
	f.trained = false
	if err := checkInput(f.id(), x); err != nil {
		return nil, err
	}
	s := x.Shape()
	if len(s) < 2 {
		return nil, fmt.Errorf("nn: %s wants a batch of samples (2-d or more), got shape %v", f.id(), s)
	}
	n := s[0]
	f.shape = append(f.shape[:0], s...)
	f.y = reuse(f.y, n, s.TotalSize()/n)
	copy(f.y.Float32s(), x.Float32s())
	f.trained = training
	return f.y, nil
}

// Backward gives dy back the input's shape.
func (f *Flatten) Backward(dy *tensor.Dense) (*tensor.Dense, error) {
	if err := checkBackward(f.id(), f.trained, f.y, dy); err != nil {
		return nil, err
	}
	f.dx = reuse(f.dx, f.shape...)
	copy(f.dx.Float32s(), dy.Float32s())
	return f.dx, nil
}

// Params: Flatten has none.
func (f *Flatten) Params() []*Param { return nil }

// Spec describes the layer.
func (f *Flatten) Spec() Spec { return Spec{Type: "flatten", Name: f.Name} }
