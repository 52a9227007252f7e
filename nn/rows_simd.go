//go:build goexperiment.simd

package nn

import "simd"

// The row kernels of rows.go a vector of channels at a time, the channels
// past the last whole vector through their Tail versions. Multiplies and
// adds stay separate (no MulAdd) so that each value is the scalar code's.

func affineRow(y, x, scale, shift []float32) {
	n, L := len(y), lanes
	x, scale, shift = x[:n], scale[:n], shift[:n]
	i := 0
	for ; i+L <= n; i += L {
		v := simd.LoadFloat32s(x[i : i+L]).Mul(simd.LoadFloat32s(scale[i : i+L]))
		v.Add(simd.LoadFloat32s(shift[i : i+L])).Store(y[i : i+L])
	}
	affineRowTail(i, y, x, scale, shift)
}

func normaliseRow(y, h, x, mu, inv, g, b []float32) {
	n, L := len(y), lanes
	h, x, mu, inv, g, b = h[:n], x[:n], mu[:n], inv[:n], g[:n], b[:n]
	i := 0
	for ; i+L <= n; i += L {
		v := simd.LoadFloat32s(x[i : i+L]).Sub(simd.LoadFloat32s(mu[i : i+L])).Mul(simd.LoadFloat32s(inv[i : i+L]))
		v.Store(h[i : i+L])
		simd.LoadFloat32s(g[i : i+L]).Mul(v).Add(simd.LoadFloat32s(b[i : i+L])).Store(y[i : i+L])
	}
	normaliseRowTail(i, y, h, x, mu, inv, g, b)
}

func bnGradRow(dx, dy, h, k, a, b []float32) {
	n, L := len(dx), lanes
	dy, h, k, a, b = dy[:n], h[:n], k[:n], a[:n], b[:n]
	i := 0
	for ; i+L <= n; i += L {
		hb := simd.LoadFloat32s(h[i : i+L]).Mul(simd.LoadFloat32s(b[i : i+L]))
		d := simd.LoadFloat32s(dy[i : i+L]).Sub(simd.LoadFloat32s(a[i : i+L])).Sub(hb)
		simd.LoadFloat32s(k[i : i+L]).Mul(d).Store(dx[i : i+L])
	}
	bnGradRowTail(i, dx, dy, h, k, a, b)
}

func preluRow(y, x, a []float32) {
	n, L := len(y), lanes
	x, a = x[:n], a[:n]
	zero := simd.BroadcastFloat32s(0)
	i := 0
	for ; i+L <= n; i += L {
		v := simd.LoadFloat32s(x[i : i+L])
		pos := v.Max(zero)
		pos.Add(simd.LoadFloat32s(a[i : i+L]).Mul(v.Sub(pos))).Store(y[i : i+L])
	}
	preluRowTail(i, y, x, a)
}

func preluGradRow(dx, da, x, dy, a []float32) {
	n, L := len(dx), lanes
	da, x, dy, a = da[:n], x[:n], dy[:n], a[:n]
	zero, one := simd.BroadcastFloat32s(0), simd.BroadcastFloat32s(1)
	i := 0
	for ; i+L <= n; i += L {
		v := simd.LoadFloat32s(x[i : i+L])
		g := simd.LoadFloat32s(dy[i : i+L])
		slope := one.IfElse(v.Greater(zero), simd.LoadFloat32s(a[i:i+L]))
		g.Mul(slope).Store(dx[i : i+L])
		simd.LoadFloat32s(da[i : i+L]).Add(g.Mul(v.Sub(v.Max(zero)))).Store(da[i : i+L])
	}
	preluGradRowTail(i, dx, da, x, dy, a)
}
