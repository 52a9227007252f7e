package nn

import (
	"fmt"

	"gorgonia.org/tensor"
)

// Affine is a fixed-form per-channel affine map, y = x·scale[c] + bias[c],
// on the last axis of an NHWC tensor or an (N, F) matrix. The teacher
// network (dlib's ResNet, as ported to TensorFlow.js) uses it where a
// trained batch norm would be: it is batch norm with the statistics folded
// in, and FoldAffine merges it into the convolution before it. Its loops
// are the math itself (affineForwardRef, affineBackwardRef in
// reference.go are the same).
type Affine struct {
	Name string
	C    int
	// Scale, "scale", starts at 1; Bias, "bias", at 0. Both (C).
	Scale, Bias *Param

	trained bool
	rows    int
	x       *tensor.Dense
	y, dx   *tensor.Dense
}

func init() {
	register("affine", func(s Spec) (Layer, error) { return NewAffine(s.Name, s.In) })
}

// NewAffine makes an identity affine map over c channels.
func NewAffine(name string, c int) (*Affine, error) {
	if c < 1 {
		return nil, fmt.Errorf("nn: %s: %d channels, must be at least 1", layerID("affine", name), c)
	}
	a := &Affine{Name: name, C: c, Scale: NewParam("scale", c), Bias: NewParam("bias", c)}
	fill(a.Scale.Value, 1)
	return a, nil
}

func (a *Affine) id() layerName { return layerID("affine", a.Name) }

func (a *Affine) validState() error {
	if !paramOK(a.Scale, a.C, true) || !paramOK(a.Bias, a.C, true) {
		return fmt.Errorf("nn: %s: scale and bias are not %d-long vectors", a.id(), a.C)
	}
	return nil
}

// Forward: y = x·scale + bias per channel.
func (a *Affine) Forward(x *tensor.Dense, training bool) (*tensor.Dense, error) {
	a.trained, a.x = false, nil
	if err := a.validState(); err != nil {
		return nil, err
	}
	rows, err := channelRows(a.id(), x, a.C)
	if err != nil {
		return nil, err
	}
	c := a.C
	a.y = reuse(a.y, x.Shape()...)
	xs, ys := x.Float32s(), a.y.Float32s()
	s, b := a.Scale.Value.Float32s()[:c], a.Bias.Value.Float32s()[:c]
	for r := 0; r < rows; r++ {
		xr, yr := xs[r*c : (r+1)*c][:len(s)], ys[r*c : (r+1)*c][:len(s)]
		for i, v := range xr {
			yr[i] = v*s[i] + b[i]
		}
	}
	if training {
		a.trained, a.x, a.rows = true, x, rows
	}
	return a.y, nil
}

// Backward: dx = dy·scale; dscale += Σ dy·x; dbias += Σ dy.
func (a *Affine) Backward(dy *tensor.Dense) (*tensor.Dense, error) {
	if err := checkBackward(a.id(), a.trained, a.y, dy); err != nil {
		return nil, err
	}
	c := a.C
	a.dx = reuse(a.dx, dy.Shape()...)
	xs, gs, dxs := a.x.Float32s(), dy.Float32s(), a.dx.Float32s()
	s := a.Scale.Value.Float32s()[:c]
	ds, db := a.Scale.Grad.Float32s()[:c], a.Bias.Grad.Float32s()[:c]
	for r := 0; r < a.rows; r++ {
		xr, gr, dr := xs[r*c : (r+1)*c][:len(s)], gs[r*c : (r+1)*c][:len(s)], dxs[r*c : (r+1)*c][:len(s)]
		for i, g := range gr {
			dr[i] = g * s[i]
			ds[i] += g * xr[i]
			db[i] += g
		}
	}
	return a.dx, nil
}

// Params lists "scale" and "bias".
func (a *Affine) Params() []*Param { return []*Param{a.Scale, a.Bias} }

// Spec describes the layer.
func (a *Affine) Spec() Spec { return Spec{Type: "affine", Name: a.Name, In: a.C} }

// FoldAffine merges an Affine into the convolution before it, so that conv
// alone computes conv followed by a; remove a from the network afterwards.
func FoldAffine(conv *Conv2D, a *Affine) error {
	if conv == nil || a == nil {
		return fmt.Errorf("nn: FoldAffine needs a convolution and an affine layer, got nil")
	}
	if err := a.validState(); err != nil {
		return err
	}
	if a.C != conv.Out {
		return fmt.Errorf("nn: cannot fold %s (%d channels) into %s (%d output channels)", a.id(), a.C, conv.id(), conv.Out)
	}
	return foldScale(conv, a.Scale.Value.Float32s(), a.Bias.Value.Float32s())
}
