//go:build !goexperiment.simd

package nn

// depthwise3x3 computes one output pixel of a 3×3 depthwise convolution
// (see depthwise3x3Tail), one channel at a time.
func depthwise3x3(y, bias, r0, r1, r2, w []float32) {
	depthwise3x3Tail(0, y, bias, r0, r1, r2, w)
}

// depthwise3Back is one filter row of the 3×3 depthwise backward for one
// output pixel (see depthwise3BackTail), one channel at a time.
func depthwise3Back(g, x, dx, w, dw []float32) {
	depthwise3BackTail(0, g, x, dx, w, dw)
}
