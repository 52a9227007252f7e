//go:build !goexperiment.simd

package nn

// The row kernels of rows.go, one channel at a time.

func affineRow(y, x, scale, shift []float32) { affineRowTail(0, y, x, scale, shift) }

func normaliseRow(y, h, x, mu, inv, g, b []float32) { normaliseRowTail(0, y, h, x, mu, inv, g, b) }

func bnGradRow(dx, dy, h, k, a, b []float32) { bnGradRowTail(0, dx, dy, h, k, a, b) }

func preluRow(y, x, a []float32) { preluRowTail(0, y, x, a) }

func preluGradRow(dx, da, x, dy, a []float32) { preluGradRowTail(0, dx, da, x, dy, a) }
