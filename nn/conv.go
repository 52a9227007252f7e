package nn

import (
	"fmt"
	"math/rand/v2"

	"gorgonia.org/tensor"
)

// Conv2D is a 2-d convolution of NHWC tensors with a square kernel, a
// stride, zero padding on all four sides, channel groups and an optional
// bias:
//
//	y[n, oy, ox, o] = b[o] + Σ_{kh, kw, c} x[n, oy·S−P+kh, ox·S−P+kw, g·Cg+c] · W[kh, kw, c, o]
//
// where g = o / (Out/Groups) is the group of output channel o and Cg =
// In/Groups the input channels of one group. Cells outside the input read
// as zero.
//
// The filter bank W is stored HWIO, (Kernel, Kernel, In/Groups, Out), which
// read row-major is the (Kernel·Kernel·Cg) × Out matrix of the lowered
// convolution. Forward and Backward take one of four paths, by shape:
//
//   - depthwise (Groups == In == Out): a direct loop along the channels, in
//     bands of images and SIMD vectors (conv_depthwise.go);
//   - pointwise (1×1, stride 1, no padding): the input already is the
//     (N·H·W) × In matrix of the lowering, so one gemm;
//   - one group: im2col lays the batch's patches out as a (N·OH·OW) ×
//     (Kernel·Kernel·In) matrix and one gemm gives the NHWC output
//     (conv_im2col.go);
//   - several groups: the same per group, on the group's own columns.
//
// conv2dForwardRef and conv2dBackwardRef (reference.go) are the formula
// above as plain loops; TestLayersMatchReference holds every path to them.
//
// The configuration fields are set by NewConv2D or Build; Forward checks
// them against the weights, so changing them afterwards gives errors, not
// wrong results.
type Conv2D struct {
	Name    string
	In, Out int // input and output channels
	Kernel  int // square kernel size
	Stride  int
	Pad     int // zero padding on each side
	Groups  int // In and Out are both split into Groups groups
	// Weight is the filter bank, (Kernel, Kernel, In/Groups, Out).
	Weight *Param
	// Bias is (Out), or nil for a convolution without bias.
	Bias *Param

	trained bool          // the last Forward was a training one
	x       *tensor.Dense // input of the last training Forward
	shape   convShape     // geometry of the last Forward
	y, dx   *tensor.Dense

	// Scratch, reused between calls; each pass is handed what it uses.
	cols, dcols  []float32 // im2col patches (all groups) and their gradient
	wg, yg, dyg  []float32 // one group's packed weights, output, gradient
	dwg, biasAcc []float32 // one group's (or band's) weight gradient, bias gradient sums
	zeroBias     []float32 // zeros standing in for a missing depthwise bias
	padded       []float32 // the zero-padded images of a 3×3 depthwise forward
}

func init() {
	register("conv2d", func(s Spec) (Layer, error) {
		stride, groups := s.Stride, s.Groups
		if stride == 0 {
			stride = 1
		}
		if groups == 0 {
			groups = 1
		}
		c := &Conv2D{Name: s.Name, In: s.In, Out: s.Out, Kernel: s.Kernel, Stride: stride, Pad: s.Pad, Groups: groups}
		if err := c.validConfig(); err != nil {
			return nil, err
		}
		c.Weight = NewParam("weight", s.Kernel, s.Kernel, s.In/groups, s.Out)
		if s.Bias {
			c.Bias = NewParam("bias", s.Out)
		}
		return c, nil
	})
}

// NewConv2D makes a convolution from in to out channels with a kernel×kernel
// filter, the given stride, zero padding pad and groups groups (1 for an
// ordinary convolution, in for depthwise when out == in). The weights get
// He initialisation, normal with standard deviation sqrt(2/(kernel²·in/groups)),
// from rng (nil: a fixed seed); the bias, if any, starts at zero.
func NewConv2D(name string, in, out, kernel, stride, pad, groups int, bias bool, rng *rand.Rand) (*Conv2D, error) {
	c := &Conv2D{Name: name, In: in, Out: out, Kernel: kernel, Stride: stride, Pad: pad, Groups: groups}
	if err := c.validConfig(); err != nil {
		return nil, err
	}
	c.Weight = NewParam("weight", kernel, kernel, in/groups, out)
	heInit(c.Weight.Value.Float32s(), kernel*kernel*in/groups, 2, rng)
	if bias {
		c.Bias = NewParam("bias", out)
	}
	return c, nil
}

// convShape is the geometry of one convolution call: input (N, H, W, In),
// a K×K filter moved by stride over the input zero-padded by pad on every
// side, In and Out split into groups, output (N, OH, OW, Out).
type convShape struct {
	n, h, w, in            int
	oh, ow, out            int
	k, stride, pad, groups int
}

func (c *Conv2D) id() layerName { return layerID("conv2d", c.Name) }

func (c *Conv2D) validConfig() error {
	switch {
	case c.In < 1 || c.Out < 1:
		return fmt.Errorf("nn: %s: channels %d→%d, both must be at least 1", c.id(), c.In, c.Out)
	case c.Kernel < 1:
		return fmt.Errorf("nn: %s: kernel size %d, must be at least 1", c.id(), c.Kernel)
	case c.Stride < 1:
		return fmt.Errorf("nn: %s: stride %d, must be at least 1", c.id(), c.Stride)
	case c.Pad < 0:
		return fmt.Errorf("nn: %s: padding %d is negative", c.id(), c.Pad)
	case c.Groups < 1 || c.In%c.Groups != 0 || c.Out%c.Groups != 0:
		return fmt.Errorf("nn: %s: %d groups must divide both %d input and %d output channels", c.id(), c.Groups, c.In, c.Out)
	}
	return nil
}

// validState checks the configuration against the parameter tensors.
func (c *Conv2D) validState() error {
	if err := c.validConfig(); err != nil {
		return err
	}
	if !paramOK(c.Weight, c.Kernel*c.Kernel*c.In/c.Groups*c.Out, true) || !sameShape(c.Weight.Value.Shape(), []int{c.Kernel, c.Kernel, c.In / c.Groups, c.Out}) {
		return fmt.Errorf("nn: %s: weight is not (%d, %d, %d, %d)", c.id(), c.Kernel, c.Kernel, c.In/c.Groups, c.Out)
	}
	if c.Bias != nil && !paramOK(c.Bias, c.Out, true) {
		return fmt.Errorf("nn: %s: bias has shape %v, want (%d)", c.id(), c.Bias.Value.Shape(), c.Out)
	}
	return nil
}

func (c *Conv2D) depthwise() bool { return c.Groups == c.In && c.In == c.Out }

func (c *Conv2D) pointwise() bool {
	return c.Kernel == 1 && c.Stride == 1 && c.Pad == 0 && c.Groups == 1
}

// Forward computes the convolution of the batch x, (N, H, W, In), giving
// (N, OH, OW, Out) with OH = (H + 2·Pad − Kernel)/Stride + 1, likewise OW.
func (c *Conv2D) Forward(x *tensor.Dense, training bool) (*tensor.Dense, error) {
	c.trained, c.x = false, nil
	if err := c.validState(); err != nil {
		return nil, err
	}
	n, h, w, _, err := input4(c.id(), x, c.In)
	if err != nil {
		return nil, err
	}
	oh, err := windowOut(c.id(), h, c.Kernel, c.Stride, c.Pad)
	if err != nil {
		return nil, err
	}
	ow, err := windowOut(c.id(), w, c.Kernel, c.Stride, c.Pad)
	if err != nil {
		return nil, err
	}
	s := convShape{n: n, h: h, w: w, in: c.In, oh: oh, ow: ow, out: c.Out,
		k: c.Kernel, stride: c.Stride, pad: c.Pad, groups: c.Groups}
	c.shape = s
	c.y = reuse(c.y, n, oh, ow, c.Out)
	xs, ys, ws := x.Float32s(), c.y.Float32s(), c.Weight.Value.Float32s()
	m := n * oh * ow
	cg, og := c.In/c.Groups, c.Out/c.Groups
	kc := c.Kernel * c.Kernel * cg
	// Where accumulating is free (the packed kernel), the bias of a
	// one-group convolution starts the product's sums, so adding it costs
	// no pass of its own (depthwise adds it in its loop).
	biasFirst := gemmAccumulatesFree && c.Bias != nil && !c.depthwise() && c.Groups == 1
	if biasFirst {
		b := c.Bias.Value.Float32s()[:c.Out]
		for r := 0; r < m; r++ {
			copy(ys[r*c.Out:(r+1)*c.Out], b)
		}
	}
	switch {
	case c.depthwise():
		c.forwardDepthwise(s, xs, ys, ws)
	case c.pointwise(): // y = x·W
		gemm(false, false, m, c.Out, c.In, xs, ws, ys, biasFirst)
	case c.Groups == 1: // y = cols·W, cols kept for Backward
		c.cols = growF32(c.cols, m*kc)
		im2col(s, xs, c.cols, 0, cg)
		gemm(false, false, m, c.Out, kc, c.cols, ws, ys, biasFirst)
	default: // per group g: y[:, g's outputs] = cols_g·W[:, g's outputs]
		c.cols = growF32(c.cols, c.Groups*m*kc)
		c.wg = growF32(c.wg, kc*og)
		c.yg = growF32(c.yg, m*og)
		for g := 0; g < c.Groups; g++ {
			cols := c.cols[g*m*kc : (g+1)*m*kc]
			im2col(s, xs, cols, g*cg, cg)
			packColumns(c.wg, ws, kc, c.Out, g*og, og)
			gemm(false, false, m, og, kc, cols, c.wg, c.yg, false)
			unpackColumns(ys, c.yg, m, c.Out, g*og, og, false)
		}
	}
	if c.Bias != nil && !c.depthwise() && !biasFirst {
		b := c.Bias.Value.Float32s()[:c.Out]
		for r := 0; r < m; r++ {
			row := ys[r*c.Out : (r+1)*c.Out]
			for o, v := range b {
				row[o] += v
			}
		}
	}
	if training {
		c.trained, c.x = true, x
	}
	return c.y, nil
}

// Backward takes dL/dy, adds dL/dW = colsᵀ·dy and dL/db = Σ dy into the
// gradients, and returns dL/dx = col2im(dy·Wᵀ), on the path Forward took
// (for pointwise cols is x itself and col2im the identity).
func (c *Conv2D) Backward(dy *tensor.Dense) (*tensor.Dense, error) {
	if err := checkBackward(c.id(), c.trained, c.y, dy); err != nil {
		return nil, err
	}
	if err := c.validState(); err != nil {
		return nil, err
	}
	s := c.shape
	m := s.n * s.oh * s.ow
	cg, og := c.In/c.Groups, c.Out/c.Groups
	kc := c.Kernel * c.Kernel * cg
	c.dx = reuse(c.dx, s.n, s.h, s.w, c.In)
	xs, gs, dxs := c.x.Float32s(), dy.Float32s(), c.dx.Float32s()
	ws, dws := c.Weight.Value.Float32s(), c.Weight.Grad.Float32s()
	if c.Bias != nil {
		c.biasAcc = growF32(c.biasAcc, c.Out)
		acc := c.biasAcc
		clear(acc)
		for r := 0; r < m; r++ {
			row := gs[r*c.Out : (r+1)*c.Out]
			for o, v := range row {
				acc[o] += v
			}
		}
		db := c.Bias.Grad.Float32s()[:c.Out]
		for o, v := range acc {
			db[o] += v
		}
	}
	switch {
	case c.depthwise():
		c.backwardDepthwise(s, xs, gs, dxs, ws, dws)
	case c.pointwise():
		c.dwg = growF32(c.dwg, c.In*c.Out)
		gemm(true, false, c.In, c.Out, m, xs, gs, c.dwg, false)
		addTo(dws, c.dwg)
		gemm(false, true, m, c.In, c.Out, gs, ws, dxs, false)
	case c.Groups == 1:
		c.dcols = growF32(c.dcols, m*kc)
		c.dwg = growF32(c.dwg, kc*c.Out)
		gemm(true, false, kc, c.Out, m, c.cols, gs, c.dwg, false)
		addTo(dws, c.dwg)
		gemm(false, true, m, kc, c.Out, gs, ws, c.dcols, false)
		clear(dxs)
		col2im(s, c.dcols, dxs, 0, cg)
	default:
		c.dcols = growF32(c.dcols, m*kc)
		c.wg = growF32(c.wg, kc*og)
		c.dyg = growF32(c.dyg, m*og)
		c.dwg = growF32(c.dwg, kc*og)
		clear(dxs)
		for g := 0; g < c.Groups; g++ {
			cols := c.cols[g*m*kc : (g+1)*m*kc]
			packColumns(c.dyg, gs, m, c.Out, g*og, og)
			packColumns(c.wg, ws, kc, c.Out, g*og, og)
			gemm(true, false, kc, og, m, cols, c.dyg, c.dwg, false)
			unpackColumns(dws, c.dwg, kc, c.Out, g*og, og, true)
			gemm(false, true, m, kc, og, c.dyg, c.wg, c.dcols, false)
			col2im(s, c.dcols, dxs, g*cg, cg)
		}
	}
	return c.dx, nil
}

// Params lists "weight" and, when present, "bias".
func (c *Conv2D) Params() []*Param {
	if c.Bias == nil {
		return []*Param{c.Weight}
	}
	return []*Param{c.Weight, c.Bias}
}

// Spec describes the convolution.
func (c *Conv2D) Spec() Spec {
	return Spec{Type: "conv2d", Name: c.Name, In: c.In, Out: c.Out, Kernel: c.Kernel,
		Stride: c.Stride, Pad: c.Pad, Groups: c.Groups, Bias: c.Bias != nil}
}
