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
// read row-major is the (Kernel·Kernel·In/Groups) × Out matrix of the
// lowered convolution: im2col copies the patches of the whole batch into a
// (N·OH·OW) × (Kernel·Kernel·Cg) matrix and one gemm per group gives the
// NHWC output. Two shapes skip the lowering: a 1×1 stride-1 unpadded
// convolution (pointwise) multiplies the input itself, and a depthwise
// convolution (Groups == In == Out) runs a direct loop.
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
	case c.pointwise():
		gemm(false, false, m, c.Out, c.In, xs, ws, ys, biasFirst)
	case c.Groups == 1:
		c.cols = growF32(c.cols, m*kc)
		im2col(s, xs, c.cols, 0, cg)
		gemm(false, false, m, c.Out, kc, c.cols, ws, ys, biasFirst)
	default:
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
// gradients, and returns dL/dx = col2im(dy·Wᵀ).
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

// im2col copies the patches of channels [c0, c0+cg) of every output position
// into cols, one row of Kernel·Kernel·cg values per position, ordered
// (kh, kw, c) like the rows of the weight matrix. Padding reads as zero.
func im2col(sh convShape, xs, cols []float32, c0, cg int) {
	k, s, p, h, w, ch := sh.k, sh.stride, sh.pad, sh.h, sh.w, sh.in
	kc := k * k * cg
	r := 0
	for b := 0; b < sh.n; b++ {
		for oy := 0; oy < sh.oh; oy++ {
			for ox := 0; ox < sh.ow; ox++ {
				row := cols[r*kc : (r+1)*kc]
				r++
				for kh := 0; kh < k; kh++ {
					seg := row[kh*k*cg : (kh+1)*k*cg]
					ih := oy*s - p + kh
					if ih < 0 || ih >= h {
						clear(seg)
						continue
					}
					base := (b*h + ih) * w
					for kw := 0; kw < k; kw++ {
						dst := seg[kw*cg : (kw+1)*cg]
						iw := ox*s - p + kw
						if iw < 0 || iw >= w {
							clear(dst)
							continue
						}
						off := (base+iw)*ch + c0
						copy(dst, xs[off:off+cg])
					}
				}
			}
		}
	}
}

// col2im is the adjoint of im2col: it adds each patch row of dcols back into
// channels [c0, c0+cg) of dx at the cells it was read from.
func col2im(sh convShape, dcols, dxs []float32, c0, cg int) {
	k, s, p, h, w, ch := sh.k, sh.stride, sh.pad, sh.h, sh.w, sh.in
	kc := k * k * cg
	r := 0
	for b := 0; b < sh.n; b++ {
		for oy := 0; oy < sh.oh; oy++ {
			for ox := 0; ox < sh.ow; ox++ {
				row := dcols[r*kc : (r+1)*kc]
				r++
				for kh := 0; kh < k; kh++ {
					ih := oy*s - p + kh
					if ih < 0 || ih >= h {
						continue
					}
					base := (b*h + ih) * w
					for kw := 0; kw < k; kw++ {
						iw := ox*s - p + kw
						if iw < 0 || iw >= w {
							continue
						}
						src := row[(kh*k+kw)*cg : (kh*k+kw+1)*cg]
						off := (base+iw)*ch + c0
						dst := dxs[off : off+cg]
						for i, v := range src {
							dst[i] += v
						}
					}
				}
			}
		}
	}
}

// forwardDepthwise is the direct loop for Groups == In == Out: each channel
// is convolved with its own Kernel×Kernel filter, W[kh, kw, 0, c]. A 3×3
// window wholly inside the input, the common case, sums its nine taps in
// one pass over the channels, storing each output once.
func (c *Conv2D) forwardDepthwise(s convShape, xs, ys, ws []float32) {
	ch := s.in
	var bias []float32
	if c.Bias != nil {
		bias = c.Bias.Value.Float32s()[:ch]
	} else {
		c.zeroBias = growF32(c.zeroBias, ch)
		bias = c.zeroBias[:ch]
		clear(bias)
	}
	// Images are independent: each band of them is convolved on its own
	// (see forBands).
	forBands(s.n, bandCount(s.n, s.oh*s.ow*ch*s.k*s.k), depthwiseForward{shape: s, x: xs, y: ys, w: ws, bias: bias}, depthwiseForwardImages)
}

// depthwiseForward is the depthwise forward pass on bands of images: y
// from x, the filters w, (K, K, 1, C), and bias (zeros for none).
type depthwiseForward struct {
	shape         convShape
	x, y, w, bias []float32
}

// depthwiseForwardImages is forwardDepthwise for images [lo, hi).
func depthwiseForwardImages(a depthwiseForward, _, lo, hi int) {
	sh := a.shape
	k, s, p, h, w, ch := sh.k, sh.stride, sh.pad, sh.h, sh.w, sh.in
	xs, ys, ws, bias := a.x, a.y, a.w, a.bias
	r := lo * sh.oh * sh.ow
	for b := lo; b < hi; b++ {
		for oy := 0; oy < sh.oh; oy++ {
			ih0 := oy*s - p
			for ox := 0; ox < sh.ow; ox++ {
				yrow := ys[r*ch : (r+1)*ch]
				r++
				iw0 := ox*s - p
				if k == 3 && ih0 >= 0 && ih0+3 <= h && iw0 >= 0 && iw0+3 <= w {
					off := ((b*h+ih0)*w + iw0) * ch
					depthwise3x3(yrow, bias, xs[off:off+3*ch], xs[off+w*ch:off+w*ch+3*ch], xs[off+2*w*ch:off+2*w*ch+3*ch], ws[:9*ch])
					continue
				}
				copy(yrow, bias)
				for kh := 0; kh < k; kh++ {
					ih := ih0 + kh
					if ih < 0 || ih >= h {
						continue
					}
					for kw := 0; kw < k; kw++ {
						iw := iw0 + kw
						if iw < 0 || iw >= w {
							continue
						}
						off := ((b*h+ih)*w + iw) * ch
						xrow := xs[off : off+ch]
						wrow := ws[(kh*k+kw)*ch : (kh*k+kw+1)*ch]
						xrow, wrow = xrow[:len(yrow)], wrow[:len(yrow)]
						for i := range yrow {
							yrow[i] += xrow[i] * wrow[i]
						}
					}
				}
			}
		}
	}
}

// depthwise3x3Tail computes channels [i0, C) of one output pixel of a
// 3×3 depthwise convolution from the three input rows under it (each three
// pixels of C channels) and the filters w, (3, 3, C): y[i] = bias[i] +
// Σ taps x·w. depthwise3x3 (depthwise_scalar.go, depthwise_simd.go) is
// this over all C channels, in vectors where the simd experiment is on.
func depthwise3x3Tail(i0 int, y, bias, r0, r1, r2, w []float32) {
	n := len(y)
	bias = bias[:n]
	a0, a1, a2 := r0[:n], r0[n:2*n], r0[2*n:3*n]
	b0, b1, b2 := r1[:n], r1[n:2*n], r1[2*n:3*n]
	c0, c1, c2 := r2[:n], r2[n:2*n], r2[2*n:3*n]
	w0, w1, w2 := w[:n], w[n:2*n], w[2*n:3*n]
	w3, w4, w5 := w[3*n:4*n], w[4*n:5*n], w[5*n:6*n]
	w6, w7, w8 := w[6*n:7*n], w[7*n:8*n], w[8*n:9*n]
	for i := i0; i < n; i++ {
		y[i] = bias[i] +
			a0[i]*w0[i] + a1[i]*w1[i] + a2[i]*w2[i] +
			b0[i]*w3[i] + b1[i]*w4[i] + b2[i]*w5[i] +
			c0[i]*w6[i] + c1[i]*w7[i] + c2[i]*w8[i]
	}
}

// backwardDepthwise adds dL/dW into dws and writes dL/dx into dxs, with
// the same interior fast path for 3×3 windows as forwardDepthwise.
// Each band of images adds its dL/dW into a scratch of its own; the bands'
// are added to dws in band order (see forBands).
func (c *Conv2D) backwardDepthwise(s convShape, xs, gs, dxs, ws, dws []float32) {
	clear(dxs)
	nw := s.k * s.k * s.in
	nb := bandCount(s.n, s.oh*s.ow*nw)
	c.dwg = growF32(c.dwg, nb*nw)
	clear(c.dwg)
	forBands(s.n, nb, depthwiseBackward{shape: s, x: xs, dy: gs, w: ws, dx: dxs, dw: c.dwg}, depthwiseBackwardImages)
	for b := range nb {
		addTo(dws[:nw], c.dwg[b*nw:(b+1)*nw])
	}
}

// depthwiseBackward is the depthwise backward pass on bands of images:
// from x, dy and the filters w it writes dL/dx into dx and adds band b's
// dL/dW into its own K·K·C values of dw (nb of them, added up by
// backwardDepthwise in band order).
type depthwiseBackward struct {
	shape    convShape
	x, dy, w []float32
	dx, dw   []float32
}

// depthwiseBackwardImages is backwardDepthwise for band b, images
// [lo, hi): dL/dx into their own part of dx, dL/dW into band b's part.
func depthwiseBackwardImages(a depthwiseBackward, band, lo, hi int) {
	sh := a.shape
	k, s, p, h, w, ch := sh.k, sh.stride, sh.pad, sh.h, sh.w, sh.in
	nw := k * k * ch
	xs, gs, dxs, ws, dws := a.x, a.dy, a.dx, a.w, a.dw[band*nw:(band+1)*nw]
	r := lo * sh.oh * sh.ow
	for b := lo; b < hi; b++ {
		for oy := 0; oy < sh.oh; oy++ {
			ih0 := oy*s - p
			for ox := 0; ox < sh.ow; ox++ {
				grow := gs[r*ch : (r+1)*ch]
				r++
				iw0 := ox*s - p
				if k == 3 && ih0 >= 0 && ih0+3 <= h && iw0 >= 0 && iw0+3 <= w {
					off := ((b*h+ih0)*w + iw0) * ch
					for kh := 0; kh < 3; kh++ {
						o := off + kh*w*ch
						depthwise3Back(grow, xs[o:o+3*ch], dxs[o:o+3*ch], ws[3*kh*ch:3*(kh+1)*ch], dws[3*kh*ch:3*(kh+1)*ch])
					}
					continue
				}
				for kh := 0; kh < k; kh++ {
					ih := ih0 + kh
					if ih < 0 || ih >= h {
						continue
					}
					for kw := 0; kw < k; kw++ {
						iw := iw0 + kw
						if iw < 0 || iw >= w {
							continue
						}
						off := ((b*h+ih)*w + iw) * ch
						xrow := xs[off : off+ch][:len(grow)]
						dxrow := dxs[off : off+ch][:len(grow)]
						wrow := ws[(kh*k+kw)*ch : (kh*k+kw+1)*ch][:len(grow)]
						dwrow := dws[(kh*k+kw)*ch : (kh*k+kw+1)*ch][:len(grow)]
						for i, g := range grow {
							dxrow[i] += g * wrow[i]
							dwrow[i] += g * xrow[i]
						}
					}
				}
			}
		}
	}
}

// depthwise3BackTail is channels [i0, C) of one filter row of the 3×3
// depthwise backward for one output pixel: g is dL/dy there, x and dx
// hold the three input pixels under it (C channels each), w and dw the
// three taps of that row. depthwise3Back (depthwise_scalar.go,
// depthwise_simd.go) is this over all C channels.
func depthwise3BackTail(i0 int, g, x, dx, w, dw []float32) {
	n := len(g)
	x0, x1, x2 := x[:n], x[n:2*n], x[2*n:3*n]
	d0, d1, d2 := dx[:n], dx[n:2*n], dx[2*n:3*n]
	w0, w1, w2 := w[:n], w[n:2*n], w[2*n:3*n]
	v0, v1, v2 := dw[:n], dw[n:2*n], dw[2*n:3*n]
	for i := i0; i < n; i++ {
		gi := g[i]
		d0[i] += gi * w0[i]
		d1[i] += gi * w1[i]
		d2[i] += gi * w2[i]
		v0[i] += gi * x0[i]
		v1[i] += gi * x1[i]
		v2[i] += gi * x2[i]
	}
}

// packColumns copies columns [c0, c0+nc) of the rows×stride matrix src into
// the contiguous rows×nc matrix dst.
func packColumns(dst, src []float32, rows, stride, c0, nc int) {
	for r := 0; r < rows; r++ {
		copy(dst[r*nc:(r+1)*nc], src[r*stride+c0:r*stride+c0+nc])
	}
}

// unpackColumns writes (or, with add, adds) the rows×nc matrix src into
// columns [c0, c0+nc) of the rows×stride matrix dst.
func unpackColumns(dst, src []float32, rows, stride, c0, nc int, add bool) {
	for r := 0; r < rows; r++ {
		d, s := dst[r*stride+c0:r*stride+c0+nc], src[r*nc:(r+1)*nc]
		if !add {
			copy(d, s)
			continue
		}
		for i, v := range s {
			d[i] += v
		}
	}
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
