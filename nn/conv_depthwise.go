package nn

// Depthwise convolution (Groups == In == Out): each channel is convolved
// with its own K×K filter, W[kh, kw, 0, c], by a direct loop instead of a
// matrix product (one channel per group would make products of width 1).
// NHWC keeps a pixel's channels together, so the loop runs along the
// channels of one input pixel and one filter tap at a time; a 3×3 window
// wholly inside the input, the common case, goes through depthwise3x3 and
// depthwise3Back, which depthwise_simd.go runs in SIMD vectors where
// Go's simd experiment is on (depthwise_scalar.go otherwise). The
// images of a batch are split into bands that run on all cores
// (forBands). conv2dForwardRef and conv2dBackwardRef in reference.go are
// the same sums written directly.

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
