//go:build goexperiment.simd

package nn

import "simd"

// depthwise3x3 computes one output pixel of a 3×3 depthwise convolution
// (see depthwise3x3Tail) a vector of channels at a time: the channels of a
// pixel are contiguous (NHWC), so each tap is one vector load of the input
// and one of the filter. The channels past the last whole vector go
// through depthwise3x3Tail.
func depthwise3x3(y, bias, r0, r1, r2, w []float32) {
	n, L := len(y), lanes
	bias, r0, r1, r2, w = bias[:n], r0[:3*n], r1[:3*n], r2[:3*n], w[:9*n]
	i := 0
	for ; i+L <= n; i += L {
		acc := simd.LoadFloat32s(bias[i : i+L])
		for t, row := range [3][]float32{r0, r1, r2} {
			for k := range 3 {
				x := simd.LoadFloat32s(row[k*n+i : k*n+i+L])
				acc = x.MulAdd(simd.LoadFloat32s(w[(3*t+k)*n+i:(3*t+k)*n+i+L]), acc)
			}
		}
		acc.Store(y[i : i+L])
	}
	depthwise3x3Tail(i, y, bias, r0, r1, r2, w)
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
