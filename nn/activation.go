package nn

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"
)

// ReLU is y = max(x, 0) elementwise, on tensors of any shape
// (reluForwardRef and reluBackwardRef in reference.go).
type ReLU struct {
	Name    string
	trained bool
	y       *tensor.Dense
	dx      *tensor.Dense
}

func init() {
	register("relu", func(s Spec) (Layer, error) { return &ReLU{Name: s.Name}, nil })
}

// relu is max(v, 0) by clearing every bit of a negative number: no branch
// to mispredict on random signs, and about three times faster than an if
// or the max builtin both natively and in wasm. NaN passes through.
func relu(v float32) float32 {
	u := math.Float32bits(v)
	return math.Float32frombits(u &^ uint32(int32(u)>>31))
}

// positiveMask is all ones when v > 0 (or NaN) and zero when v is ±0 or
// negative, for selecting without a branch.
func positiveMask(v float32) uint32 {
	u := math.Float32bits(v) &^ (1 << 31) // |v|
	neg := uint32(int32(math.Float32bits(v)) >> 31)
	return ^uint32(int32(u-1)>>31) &^ neg
}

// Forward: y = max(x, 0).
func (r *ReLU) Forward(x *tensor.Dense, training bool) (*tensor.Dense, error) {
	r.trained = false
	if err := checkInput(layerID("relu", r.Name), x); err != nil {
		return nil, err
	}
	r.y = reuse(r.y, x.Shape()...)
	xs, ys := x.Float32s(), r.y.Float32s()
	ys = ys[:len(xs)]
	for i, v := range xs {
		ys[i] = relu(v)
	}
	r.trained = training
	return r.y, nil
}

// Backward: dx = dy where y > 0, else 0.
func (r *ReLU) Backward(dy *tensor.Dense) (*tensor.Dense, error) {
	if err := checkBackward(layerID("relu", r.Name), r.trained, r.y, dy); err != nil {
		return nil, err
	}
	r.dx = reuse(r.dx, dy.Shape()...)
	ys, gs, dxs := r.y.Float32s(), dy.Float32s(), r.dx.Float32s()
	gs, dxs = gs[:len(ys)], dxs[:len(ys)]
	for i, v := range ys {
		// y ≥ 0, so y > 0 exactly when its bits are not all zero.
		m := ^uint32(int32(math.Float32bits(v)-1) >> 31)
		dxs[i] = math.Float32frombits(math.Float32bits(gs[i]) & m)
	}
	return r.dx, nil
}

// Params: ReLU has none.
func (r *ReLU) Params() []*Param { return nil }

// Spec describes the layer.
func (r *ReLU) Spec() Spec { return Spec{Type: "relu", Name: r.Name} }

// PReLU is the parametric ReLU, y = x for x > 0 and y = α[c]·x otherwise,
// with a learned slope α per channel c (the last axis of an NHWC tensor or
// of an (N, F) matrix).
//
// preluForwardRef and preluBackwardRef (reference.go) are its math as plain
// loops. Forward and Backward split the rows into bands (preluForward,
// preluBackward, see forBands) and run the row kernels preluRow and
// preluGradRow (rows.go, in vectors in rows_simd.go) on each row.
type PReLU struct {
	Name string
	C    int
	// Alpha is the slope for negative inputs, (C), "alpha"; it starts at 0.25.
	Alpha *Param

	trained bool
	rows    int
	x       *tensor.Dense // input of the last training Forward
	y, dx   *tensor.Dense
	part    []float32 // scratch for the bands' own dL/dα, reused between calls
}

func init() {
	register("prelu", func(s Spec) (Layer, error) { return NewPReLU(s.Name, s.In) })
}

// NewPReLU makes a PReLU over c channels with every slope at 0.25.
func NewPReLU(name string, c int) (*PReLU, error) {
	if c < 1 {
		return nil, fmt.Errorf("nn: %s: %d channels, must be at least 1", layerID("prelu", name), c)
	}
	p := &PReLU{Name: name, C: c, Alpha: NewParam("alpha", c)}
	fill(p.Alpha.Value, 0.25)
	return p, nil
}

func (p *PReLU) id() layerName { return layerID("prelu", p.Name) }

// Forward: y = x where x > 0, α·x elsewhere.
func (p *PReLU) Forward(x *tensor.Dense, training bool) (*tensor.Dense, error) {
	p.trained, p.x = false, nil
	if !paramOK(p.Alpha, p.C, true) {
		return nil, fmt.Errorf("nn: %s: alpha is not a %d-long vector", p.id(), p.C)
	}
	rows, err := channelRows(p.id(), x, p.C)
	if err != nil {
		return nil, err
	}
	c := p.C
	p.y = reuse(p.y, x.Shape()...)
	forBands(rows, bandCount(rows, c), preluForward{c: c, x: x.Float32s(), y: p.y.Float32s(), alpha: p.Alpha.Value.Float32s()[:c]}, preluForwardRows)
	if training {
		p.trained, p.x, p.rows = true, x, rows
	}
	return p.y, nil
}

// Backward: dx = dy where x > 0, α·dy elsewhere; dα += Σ dy·x over x ≤ 0.
func (p *PReLU) Backward(dy *tensor.Dense) (*tensor.Dense, error) {
	if err := checkBackward(p.id(), p.trained, p.y, dy); err != nil {
		return nil, err
	}
	c := p.C
	p.dx = reuse(p.dx, dy.Shape()...)
	nb := bandCount(p.rows, c)
	p.part = growF32(p.part, nb*c)
	clear(p.part)
	forBands(p.rows, nb, preluBackward{c: c, x: p.x.Float32s(), dy: dy.Float32s(), alpha: p.Alpha.Value.Float32s()[:c],
		dx: p.dx.Float32s(), dalpha: p.part}, preluBackwardRows)
	da := p.Alpha.Grad.Float32s()[:c]
	for b := range nb {
		addTo(da, p.part[b*c:(b+1)*c])
	}
	return p.dx, nil
}

// preluForward is the forward pass on bands of rows of C channels.
type preluForward struct {
	c     int
	x, y  []float32
	alpha []float32
}

func preluForwardRows(a preluForward, _, lo, hi int) {
	c, xs, ys := a.c, a.x, a.y
	alpha := a.alpha[:c]
	for r := lo; r < hi; r++ {
		preluRow(ys[r*c:(r+1)*c], xs[r*c:(r+1)*c], alpha)
	}
}

// preluBackward is the backward pass on bands of rows: dx, and dL/dα
// summed into band b's own C values of dalpha (nb·C, added up by Backward
// in band order).
type preluBackward struct {
	c      int
	x, dy  []float32
	alpha  []float32
	dx     []float32
	dalpha []float32
}

func preluBackwardRows(a preluBackward, b, lo, hi int) {
	c, xs, gs, dxs := a.c, a.x, a.dy, a.dx
	alpha := a.alpha[:c]
	da := a.dalpha[b*c : (b+1)*c]
	for r := lo; r < hi; r++ {
		preluGradRow(dxs[r*c:(r+1)*c], da, xs[r*c:(r+1)*c], gs[r*c:(r+1)*c], alpha)
	}
}

// Params lists "alpha".
func (p *PReLU) Params() []*Param { return []*Param{p.Alpha} }

// Spec describes the layer.
func (p *PReLU) Spec() Spec { return Spec{Type: "prelu", Name: p.Name, In: p.C} }
