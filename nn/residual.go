package nn

import (
	"fmt"

	"gorgonia.org/tensor"
)

// Residual is a residual block, y = Body(x) + Shortcut(x), where an empty
// Shortcut is the identity. The two branches must give the same shape; a
// block that changes size or channels puts a strided 1×1 convolution (and
// its norm) in Shortcut. Apply any activation after the sum as a separate
// layer following the block.
//
// Parameter names are prefixed "body." and "shortcut.", then the child's
// name or index as in Sequential: "body.conv1.weight", "shortcut.0.weight".
type Residual struct {
	Name     string
	Body     *Sequential
	Shortcut *Sequential

	trained bool
	y, dx   *tensor.Dense
}

func init() {
	register("residual", func(s Spec) (Layer, error) {
		body, err := Build(Spec{Type: "sequential", Body: s.Body})
		if err != nil {
			return nil, fmt.Errorf("%s body: %w", layerID("residual", s.Name), err)
		}
		short, err := Build(Spec{Type: "sequential", Body: s.Shortcut})
		if err != nil {
			return nil, fmt.Errorf("%s shortcut: %w", layerID("residual", s.Name), err)
		}
		return &Residual{Name: s.Name, Body: body.(*Sequential), Shortcut: short.(*Sequential)}, nil
	})
}

// NewResidual makes a residual block; a nil or empty shortcut is the
// identity.
func NewResidual(name string, body, shortcut *Sequential) *Residual {
	if body == nil {
		body = &Sequential{}
	}
	if shortcut == nil {
		shortcut = &Sequential{}
	}
	return &Residual{Name: name, Body: body, Shortcut: shortcut}
}

func (r *Residual) id() layerName { return layerID("residual", r.Name) }

func (r *Residual) branches() (body, short *Sequential) {
	body, short = r.Body, r.Shortcut
	if body == nil {
		body = &Sequential{}
	}
	if short == nil {
		short = &Sequential{}
	}
	return body, short
}

// Forward: y = Body(x) + Shortcut(x).
func (r *Residual) Forward(x *tensor.Dense, training bool) (*tensor.Dense, error) {
	r.trained = false
	if err := checkInput(r.id(), x); err != nil {
		return nil, err
	}
	body, short := r.branches()
	yb, err := body.Forward(x, training)
	if err != nil {
		return nil, fmt.Errorf("%s body: %w", r.id(), err)
	}
	ys, err := short.Forward(x, training)
	if err != nil {
		return nil, fmt.Errorf("%s shortcut: %w", r.id(), err)
	}
	if !sameShape(yb.Shape(), ys.Shape()) {
		return nil, fmt.Errorf("nn: %s: body gives shape %v but shortcut gives %v; they must match", r.id(), yb.Shape(), ys.Shape())
	}
	r.y = reuse(r.y, yb.Shape()...)
	out, a, b := r.y.Float32s(), yb.Float32s(), ys.Float32s()
	for i, v := range a[:len(out)] {
		out[i] = v + b[i]
	}
	r.trained = training
	return r.y, nil
}

// Backward sends dy down both branches and adds what comes back.
func (r *Residual) Backward(dy *tensor.Dense) (*tensor.Dense, error) {
	if err := checkBackward(r.id(), r.trained, r.y, dy); err != nil {
		return nil, err
	}
	body, short := r.branches()
	db, err := body.Backward(dy)
	if err != nil {
		return nil, fmt.Errorf("%s body: %w", r.id(), err)
	}
	r.dx = reuse(r.dx, db.Shape()...)
	dx := r.dx.Float32s()
	copy(dx, db.Float32s())
	ds, err := short.Backward(dy)
	if err != nil {
		return nil, fmt.Errorf("%s shortcut: %w", r.id(), err)
	}
	if !sameShape(ds.Shape(), db.Shape()) {
		return nil, fmt.Errorf("nn: %s backward: body gives input gradient %v but shortcut %v", r.id(), db.Shape(), ds.Shape())
	}
	for i, v := range ds.Float32s()[:len(dx)] {
		dx[i] += v
	}
	return r.dx, nil
}

// Params lists the body's parameters prefixed "body." and the shortcut's
// prefixed "shortcut.".
func (r *Residual) Params() []*Param {
	body, short := r.branches()
	var out []*Param
	for _, branch := range []struct {
		prefix string
		seq    *Sequential
	}{{"body.", body}, {"shortcut.", short}} {
		for _, p := range branch.seq.Params() {
			out = append(out, &Param{Name: branch.prefix + p.Name, Value: p.Value, Grad: p.Grad,
				Buffer: p.Buffer, Frozen: p.Frozen, origin: p.originOr()})
		}
	}
	return out
}

// Spec describes the block, its body in Body and its shortcut in Shortcut.
func (r *Residual) Spec() Spec {
	body, short := r.branches()
	return Spec{Type: "residual", Name: r.Name, Body: body.Spec().Body, Shortcut: short.Spec().Body}
}
