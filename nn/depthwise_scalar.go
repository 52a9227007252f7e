//go:build !goexperiment.simd

package nn

// depthwise3x3Row computes one output row of a 3×3 depthwise convolution
// from the three zero-padded input rows under it (r0, r1, r2, each the
// padded row's pixels of ch channels): output pixel ox reads the three
// pixels from ox·stride on in each row (see depthwise3x3Tail), one channel
// at a time.
func depthwise3x3Row(y, bias, r0, r1, r2, w []float32, ch, stride int) {
	for ox := range len(y) / ch {
		o := ox * stride * ch
		depthwise3x3Tail(0, y[ox*ch:(ox+1)*ch], bias, r0[o:o+3*ch], r1[o:o+3*ch], r2[o:o+3*ch], w)
	}
}

// depthwise3Back is one filter row of the 3×3 depthwise backward for one
// output pixel (see depthwise3BackTail), one channel at a time.
func depthwise3Back(g, x, dx, w, dw []float32) {
	depthwise3BackTail(0, g, x, dx, w, dw)
}
