//go:build goexperiment.simd

package nn

import "simd"

// depthwise3x3Row computes one output row of a 3×3 depthwise convolution
// (see depthwise3x3Row's scalar twin in depthwise_scalar.go) a vector of
// channels at a time: for each vector of channels its nine filter taps
// and its bias are loaded once and stay in registers while the loop walks
// along the row, each output pixel then costing nine loads of the input
// and nine multiply-adds. The channels past the last whole vector go
// through depthwise3x3Tail.
func depthwise3x3Row(y, bias, r0, r1, r2, w []float32, ch, stride int) {
	ow, L, step := len(y)/ch, lanes, stride*ch
	bias, w = bias[:ch], w[:9*ch]
	i := 0
	for ; i+L <= ch; i += L {
		b := simd.LoadFloat32s(bias[i : i+L])
		w0, w1, w2 := simd.LoadFloat32s(w[i:i+L]), simd.LoadFloat32s(w[ch+i:ch+i+L]), simd.LoadFloat32s(w[2*ch+i:2*ch+i+L])
		w3, w4, w5 := simd.LoadFloat32s(w[3*ch+i:3*ch+i+L]), simd.LoadFloat32s(w[4*ch+i:4*ch+i+L]), simd.LoadFloat32s(w[5*ch+i:5*ch+i+L])
		w6, w7, w8 := simd.LoadFloat32s(w[6*ch+i:6*ch+i+L]), simd.LoadFloat32s(w[7*ch+i:7*ch+i+L]), simd.LoadFloat32s(w[8*ch+i:8*ch+i+L])
		for ox, o := 0, i; ox < ow; ox, o = ox+1, o+step {
			a, m, c := r0[o:o+2*ch+L], r1[o:o+2*ch+L], r2[o:o+2*ch+L]
			acc := simd.LoadFloat32s(a[:L]).MulAdd(w0, b)
			acc = simd.LoadFloat32s(a[ch:ch+L]).MulAdd(w1, acc)
			acc = simd.LoadFloat32s(a[2*ch:2*ch+L]).MulAdd(w2, acc)
			acc = simd.LoadFloat32s(m[:L]).MulAdd(w3, acc)
			acc = simd.LoadFloat32s(m[ch:ch+L]).MulAdd(w4, acc)
			acc = simd.LoadFloat32s(m[2*ch:2*ch+L]).MulAdd(w5, acc)
			acc = simd.LoadFloat32s(c[:L]).MulAdd(w6, acc)
			acc = simd.LoadFloat32s(c[ch:ch+L]).MulAdd(w7, acc)
			acc = simd.LoadFloat32s(c[2*ch:2*ch+L]).MulAdd(w8, acc)
			acc.Store(y[ox*ch+i : ox*ch+i+L])
		}
	}
	if i < ch {
		for ox := range ow {
			o := ox * step
			depthwise3x3Tail(i, y[ox*ch:(ox+1)*ch], bias, r0[o:o+3*ch], r1[o:o+3*ch], r2[o:o+3*ch], w)
		}
	}
}

// depthwise3Back is one filter row of the 3×3 depthwise backward for one
// output pixel (see depthwise3BackTail) a vector of channels at a time,
// the channels past the last whole vector through depthwise3BackTail.
func depthwise3Back(g, x, dx, w, dw []float32) {
	n, L := len(g), lanes
	x, dx, w, dw = x[:3*n], dx[:3*n], w[:3*n], dw[:3*n]
	i := 0
	for ; i+L <= n; i += L {
		gi := simd.LoadFloat32s(g[i : i+L])
		for k := range 3 {
			o := k*n + i
			d := simd.LoadFloat32s(dx[o : o+L])
			gi.MulAdd(simd.LoadFloat32s(w[o:o+L]), d).Store(dx[o : o+L])
			v := simd.LoadFloat32s(dw[o : o+L])
			gi.MulAdd(simd.LoadFloat32s(x[o:o+L]), v).Store(dw[o : o+L])
		}
	}
	depthwise3BackTail(i, g, x, dx, w, dw)
}
