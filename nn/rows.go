package nn

import "math"

// Row kernels: the per-value arithmetic of batch norm and PReLU on one row
// of C channels (NHWC keeps a pixel's channels together), from channel i0
// on. rows_scalar.go runs them from channel 0; rows_simd.go, where the simd
// experiment is on, runs whole vectors of channels first and these on the
// rest. Both compute the same bits: each value is the same sequence of
// float32 operations, with no fused multiply-add. The layers' math, as
// plain loops, is in reference.go.

// affineRowTail: y = x·scale + shift.
func affineRowTail(i0 int, y, x, scale, shift []float32) {
	n := len(y)
	x, scale, shift = x[:n], scale[:n], shift[:n]
	for i := i0; i < n; i++ {
		y[i] = x[i]*scale[i] + shift[i]
	}
}

// normaliseRowTail: x̂ = (x − μ)·inv into h, y = γ·x̂ + β.
func normaliseRowTail(i0 int, y, h, x, mu, inv, g, b []float32) {
	n := len(y)
	h, x, mu, inv, g, b = h[:n], x[:n], mu[:n], inv[:n], g[:n], b[:n]
	for i := i0; i < n; i++ {
		v := (x[i] - mu[i]) * inv[i]
		h[i] = v
		y[i] = g[i]*v + b[i]
	}
}

// bnGradRowTail: dx = k·(dy − a − x̂·b).
func bnGradRowTail(i0 int, dx, dy, h, k, a, b []float32) {
	n := len(dx)
	dy, h, k, a, b = dy[:n], h[:n], k[:n], a[:n], b[:n]
	for i := i0; i < n; i++ {
		dx[i] = k[i] * (dy[i] - a[i] - h[i]*b[i])
	}
}

// preluRowTail: y = max(x, 0) + α·min(x, 0).
func preluRowTail(i0 int, y, x, a []float32) {
	n := len(y)
	x, a = x[:n], a[:n]
	for i := i0; i < n; i++ {
		v := x[i]
		pos := relu(v)
		y[i] = pos + a[i]*(v-pos) // v − max(v, 0) = min(v, 0)
	}
}

// preluGradRowTail: dx = dy where x > 0 and α·dy elsewhere; dL/dα, dy·min(x, 0), added into da.
func preluGradRowTail(i0 int, dx, da, x, dy, a []float32) {
	n := len(dx)
	da, x, dy, a = da[:n], x[:n], dy[:n], a[:n]
	for i := i0; i < n; i++ {
		v := x[i]
		// slope 1 where x > 0, α elsewhere, chosen without a branch
		m := positiveMask(v)
		slope := math.Float32frombits(0x3f800000&m | math.Float32bits(a[i])&^m)
		g := dy[i]
		dx[i] = g * slope
		da[i] += g * (v - relu(v))
	}
}
