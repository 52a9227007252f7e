package nn

import (
	"runtime"
	"sync"
)

// The packed matrix product. C (m×n) is computed in tiles of
// tileRows rows × panel columns: B is first copied into column panels
// (for each group of panel columns, its k rows stored one after the
// other; a B whose rows are already whole panels is read in place), so
// the innermost loop reads A's tileRows values of step p and
// one contiguous stretch of the panel, and keeps the whole tile of C in
// registers over the k steps. Packing costs O(k·n) for an O(m·n·k)
// product, and also takes care of a transposed B; a transposed A is
// copied once into row-major order.
//
// microKernel and panel come from gemm_simd.go (GOEXPERIMENT=simd:
// the portable simd package, SIMD128 in WebAssembly) or gemm_scalar.go
// (plain Go). Both are tested against a direct triple loop on every build.

// tileRows is the number of rows of C one micro-kernel call computes.
const tileRows = 4

// packPool holds the packing buffers, reused between calls.
var packPool = sync.Pool{New: func() any { return new(packBuffers) }}

type packBuffers struct {
	b, a []float32
}

// gemmPacked is gemm on the packed kernel; see gemm for the arguments.
func gemmPacked(transA, transB bool, m, n, k int, a, b, c []float32, accumulate bool) {
	if m == 0 || n == 0 {
		return
	}
	c = c[:m*n]
	if k == 0 {
		if !accumulate {
			clear(c)
		}
		return
	}
	buf := packPool.Get().(*packBuffers)
	defer packPool.Put(buf)
	if transA {
		buf.a = growFloats(buf.a, m*k)
		at := a[:k*m]
		for p := 0; p < k; p++ {
			row := at[p*m : (p+1)*m]
			for i, v := range row {
				buf.a[i*k+p] = v
			}
		}
		a = buf.a
	}
	a = a[:m*k]
	w := panel
	panels := (n + w - 1) / w
	// A row-major B whose width is a whole number of panels is read in
	// place, panel j being columns j·w… of each row (stride n); otherwise
	// it is packed, panel j being k·w contiguous values (stride w).
	packed, ldb := transB || n%w != 0, n
	if packed {
		buf.b = growFloats(buf.b, panels*k*w)
		packB(transB, n, k, b, buf.b, w)
		ldb = w
	} else {
		b = b[:k*n]
	}
	// Each goroutine computes its own rows of C against every panel.
	rows := func(lo, hi int) {
		for j0 := 0; j0 < panels; j0++ {
			var pb []float32
			if packed {
				pb = buf.b[j0*k*w : (j0+1)*k*w]
			} else {
				pb = b[j0*w : (k-1)*n+(j0+1)*w]
			}
			cols := min(w, n-j0*w)
			i := lo
			for ; i+tileRows <= hi; i += tileRows {
				microKernel(k, a[i*k:(i+tileRows)*k], pb, ldb, c[i*n+j0*w:], n, cols, accumulate)
			}
			for ; i < hi; i++ {
				rowKernel(k, a[i*k:(i+1)*k], pb, ldb, c[i*n+j0*w:i*n+j0*w+cols], accumulate)
			}
		}
	}
	workers := gemmWorkers(m, n, k)
	if workers == 1 {
		rows(0, m)
		return
	}
	var wg sync.WaitGroup
	step := (m/workers + tileRows - 1) / tileRows * tileRows
	for lo := 0; lo < m; lo += step {
		wg.Go(func() { rows(lo, min(lo+step, m)) })
	}
	wg.Wait()
}

// gemmWorkers is how many goroutines share a product of m×n×k
// multiply-adds, each taking a band of C's rows: one in WebAssembly (one
// thread) and for products too small to repay a goroutine, else up to
// GOMAXPROCS. Natively this is what lets the packed kernel use both cores
// of a training step, as gonum did.
func gemmWorkers(m, n, k int) int {
	if runtime.GOARCH == "wasm" || m*n*k < 1<<20 || m < 2*tileRows {
		return 1
	}
	return min(runtime.GOMAXPROCS(0), m/tileRows)
}

// packB copies B (k×n, or n×k when trans) into panels of w columns: panel
// j holds, for each p, the w values B[p][j·w … j·w+w), zero past n.
func packB(trans bool, n, k int, b, dst []float32, w int) {
	panels := (n + w - 1) / w
	for j0 := 0; j0 < panels; j0++ {
		pb := dst[j0*k*w : (j0+1)*k*w]
		cols := min(w, n-j0*w)
		for p := 0; p < k; p++ {
			row := pb[p*w : (p+1)*w]
			if trans {
				for jj := 0; jj < cols; jj++ {
					row[jj] = b[(j0*w+jj)*k+p]
				}
			} else {
				copy(row[:cols], b[p*n+j0*w:p*n+j0*w+cols])
			}
			clear(row[cols:])
		}
	}
}

// growFloats returns s resized to n values, reallocating only to grow.
func growFloats(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}
