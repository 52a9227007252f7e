package nn

import (
	"fmt"
	"math/rand/v2"

	"gorgonia.org/tensor"
)

// Dense is a fully connected layer, y = x·W + b, from (N, In) to (N, Out).
// Put a Flatten or GlobalAvgPool before it to feed it an NHWC tensor.
// Forward and Backward are matrix products (gemm); denseForwardRef and
// denseBackwardRef (reference.go) are the same sums as plain loops.
type Dense struct {
	Name    string
	In, Out int
	// Weight is (In, Out), "weight".
	Weight *Param
	// Bias is (Out), "bias", or nil for a layer without bias.
	Bias *Param

	trained bool
	x       *tensor.Dense
	dw      []float32 // this batch's weight gradient, before accumulation
	y, dx   *tensor.Dense
}

func init() {
	register("dense", func(s Spec) (Layer, error) {
		d := &Dense{Name: s.Name, In: s.In, Out: s.Out}
		if s.In < 1 || s.Out < 1 {
			return nil, fmt.Errorf("nn: %s: sizes %d→%d, both must be at least 1", d.id(), s.In, s.Out)
		}
		d.Weight = NewParam("weight", s.In, s.Out)
		if s.Bias {
			d.Bias = NewParam("bias", s.Out)
		}
		return d, nil
	})
}

// NewDense makes a dense layer from in to out features, with weights
// normal of standard deviation sqrt(1/in) (LeCun initialisation, which
// keeps the scale of a linear output such as an embedding) drawn from rng
// (nil: a fixed seed), and a zero bias if bias is true.
func NewDense(name string, in, out int, bias bool, rng *rand.Rand) (*Dense, error) {
	d := &Dense{Name: name, In: in, Out: out}
	if in < 1 || out < 1 {
		return nil, fmt.Errorf("nn: %s: sizes %d→%d, both must be at least 1", d.id(), in, out)
	}
	d.Weight = NewParam("weight", in, out)
	heInit(d.Weight.Value.Float32s(), in, 1, rng)
	if bias {
		d.Bias = NewParam("bias", out)
	}
	return d, nil
}

func (d *Dense) id() layerName { return layerID("dense", d.Name) }

func (d *Dense) validState() error {
	if d.In < 1 || d.Out < 1 || !paramOK(d.Weight, d.In*d.Out, true) || !sameShape(d.Weight.Value.Shape(), []int{d.In, d.Out}) {
		return fmt.Errorf("nn: %s: weight is not (%d, %d)", d.id(), d.In, d.Out)
	}
	if d.Bias != nil && !paramOK(d.Bias, d.Out, true) {
		return fmt.Errorf("nn: %s: bias is not a %d-long vector", d.id(), d.Out)
	}
	return nil
}

// Forward: y = x·W + b for x of shape (N, In).
func (d *Dense) Forward(x *tensor.Dense, training bool) (*tensor.Dense, error) {
	d.trained, d.x = false, nil
	if err := d.validState(); err != nil {
		return nil, err
	}
	if err := checkInput(d.id(), x); err != nil {
		return nil, err
	}
	if s := x.Shape(); len(s) != 2 || s[1] != d.In {
		return nil, fmt.Errorf("nn: %s wants an (N, %d) matrix, got shape %v (flatten or pool an NHWC tensor first)", d.id(), d.In, s)
	}
	n := x.Shape()[0]
	d.y = reuse(d.y, n, d.Out)
	ys := d.y.Float32s()
	gemm(false, false, n, d.Out, d.In, x.Float32s(), d.Weight.Value.Float32s(), ys, false)
	if d.Bias != nil {
		b := d.Bias.Value.Float32s()[:d.Out]
		for r := 0; r < n; r++ {
			row := ys[r*d.Out : (r+1)*d.Out][:len(b)]
			for o, v := range b {
				row[o] += v
			}
		}
	}
	if training {
		d.trained, d.x = true, x
	}
	return d.y, nil
}

// Backward: dW += xᵀ·dy, db += Σ dy over the batch, dx = dy·Wᵀ.
func (d *Dense) Backward(dy *tensor.Dense) (*tensor.Dense, error) {
	if err := checkBackward(d.id(), d.trained, d.y, dy); err != nil {
		return nil, err
	}
	if err := d.validState(); err != nil {
		return nil, err
	}
	n := dy.Shape()[0]
	d.dx = reuse(d.dx, n, d.In)
	gs := dy.Float32s()
	d.dw = growF32(d.dw, d.In*d.Out)
	gemm(true, false, d.In, d.Out, n, d.x.Float32s(), gs, d.dw, false)
	addTo(d.Weight.Grad.Float32s(), d.dw)
	gemm(false, true, n, d.In, d.Out, gs, d.Weight.Value.Float32s(), d.dx.Float32s(), false)
	if d.Bias != nil {
		db := d.Bias.Grad.Float32s()[:d.Out]
		for r := 0; r < n; r++ {
			for o, g := range gs[r*d.Out : (r+1)*d.Out][:len(db)] {
				db[o] += g
			}
		}
	}
	return d.dx, nil
}

// Params lists "weight" and, when present, "bias".
func (d *Dense) Params() []*Param {
	if d.Bias == nil {
		return []*Param{d.Weight}
	}
	return []*Param{d.Weight, d.Bias}
}

// Spec describes the layer.
func (d *Dense) Spec() Spec {
	return Spec{Type: "dense", Name: d.Name, In: d.In, Out: d.Out, Bias: d.Bias != nil}
}
