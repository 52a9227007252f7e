package nn

// Depthwise convolution (Groups == In == Out): each channel is convolved
// with its own K×K filter, W[kh, kw, 0, c], by a direct loop instead of a
// matrix product (one channel per group would make products of width 1).
// NHWC keeps a pixel's channels together, so the loops run along the
// channels of one input pixel and one filter tap at a time.
//
// A 3×3 filter, the common case, is run on a zero-padded copy of each
// image: every output pixel's window then lies wholly inside it, so one
// kernel, depthwise3x3Row, computes a whole output row with no border
// cases, holding a vector of channels' nine taps in registers
// (depthwise_simd.go where Go's simd experiment is on, depthwise_scalar.go
// otherwise). Other filters take the general loop. The backward pass
// keeps the direct form, with an interior fast path (depthwise3Back). The
// images of a batch are split into bands that run on all cores
// (forBands). conv2dForwardRef and conv2dBackwardRef in reference.go are
// the same sums written directly.

// forwardDepthwise is the direct loop for Groups == In == Out: each channel
// is convolved with its own Kernel×Kernel filter, W[kh, kw, 0, c].
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
	var padded []float32
	if s.k == 3 {
		c.padded = growF32(c.padded, s.n*(s.h+2*s.pad)*(s.w+2*s.pad)*ch)
		padded = c.padded
	}
	// Images are independent: each band of them is convolved on its own
	// (see forBands).
	forBands(s.n, bandCount(s.n, s.oh*s.ow*ch*s.k*s.k), depthwiseForward{shape: s, x: xs, y: ys, w: ws, bias: bias, padded: padded}, depthwiseForwardImages)
}

// depthwiseForward is the depthwise forward pass on bands of images: y
// from x, the filters w, (K, K, 1, C), and bias (zeros for none); for a
// 3×3 filter, padded holds the zero-padded copies of the images.
type depthwiseForward struct {
	shape                 convShape
	x, y, w, bias, padded []float32
}

// depthwiseForwardImages is forwardDepthwise for images [lo, hi).
func depthwiseForwardImages(a depthwiseForward, _, lo, hi int) {
	sh := a.shape
	if sh.k == 3 {
		depthwise3x3Images(a, lo, hi)
		return
	}
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

// depthwise3x3Images is the 3×3 forward pass of images [lo, hi): each
// image is copied into its own part of a.padded inside a border of pad
// zeros, then each output row is one depthwise3x3Row over the three padded
// rows under it.
func depthwise3x3Images(a depthwiseForward, lo, hi int) {
	sh := a.shape
	s, p, h, w, ch := sh.stride, sh.pad, sh.h, sh.w, sh.in
	ph, pw := h+2*p, w+2*p
	row, prow, yrow := w*ch, pw*ch, sh.ow*ch
	xs, ys, ws, bias := a.x, a.y, a.w, a.bias
	for b := lo; b < hi; b++ {
		img := a.padded[b*ph*prow : (b+1)*ph*prow]
		clear(img[:p*prow])
		clear(img[(ph-p)*prow:])
		for iy := range h {
			dst := img[(iy+p)*prow : (iy+p+1)*prow]
			clear(dst[:p*ch])
			copy(dst[p*ch:p*ch+row], xs[(b*h+iy)*row:(b*h+iy+1)*row])
			clear(dst[p*ch+row:])
		}
		for oy := range sh.oh {
			iy := oy * s
			depthwise3x3Row(ys[(b*sh.oh+oy)*yrow:(b*sh.oh+oy+1)*yrow], bias,
				img[iy*prow:(iy+1)*prow], img[(iy+1)*prow:(iy+2)*prow], img[(iy+2)*prow:(iy+3)*prow], ws, ch, s)
		}
	}
}

// depthwise3x3Tail computes channels [i0, C) of one output pixel of a
// 3×3 depthwise convolution from the three input rows under it (each three
// pixels of C channels) and the filters w, (3, 3, C): y[i] = bias[i] +
// Σ taps x·w. depthwise3x3Row (depthwise_scalar.go, depthwise_simd.go)
// is this along a row, in vectors where the simd experiment is on.
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
