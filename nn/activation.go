package nn

import (
	"fmt"

	"gorgonia.org/tensor"
)

// ReLU is y = max(x, 0) elementwise, on tensors of any shape.
type ReLU struct {
	Name string
	y    *tensor.Dense
	dx   *tensor.Dense
}

func init() {
	register("relu", func(s Spec) (Layer, error) { return &ReLU{Name: s.Name}, nil })
}

// Forward: y = max(x, 0).
func (r *ReLU) Forward(x *tensor.Dense, training bool) (*tensor.Dense, error) {
	r.y = reuse(r.y, x.Shape()...)
	xs, ys := x.Float32s(), r.y.Float32s()
	for i, v := range xs {
		if v > 0 {
			ys[i] = v
		} else {
			ys[i] = 0
		}
	}
	return r.y, nil
}

// Backward: dx = dy where y > 0, else 0.
func (r *ReLU) Backward(dy *tensor.Dense) (*tensor.Dense, error) {
	if r.y == nil || !sameShape(r.y.Shape(), dy.Shape()) {
		return nil, fmt.Errorf("nn: relu backward: gradient shape %v does not match the last forward", dy.Shape())
	}
	r.dx = reuse(r.dx, dy.Shape()...)
	ys, gs, dxs := r.y.Float32s(), dy.Float32s(), r.dx.Float32s()
	for i, v := range ys {
		if v > 0 {
			dxs[i] = gs[i]
		} else {
			dxs[i] = 0
		}
	}
	return r.dx, nil
}

// Params: ReLU has none.
func (r *ReLU) Params() []*Param { return nil }

// Spec describes the layer.
func (r *ReLU) Spec() Spec { return Spec{Type: "relu", Name: r.Name} }
