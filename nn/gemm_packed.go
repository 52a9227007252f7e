//go:build wasm || goexperiment.simd

package nn

// gemmAccumulatesFree tells callers whether C += A·B costs no more than
// C = A·B: yes with the packed kernel, which loads C into its tile.
const gemmAccumulatesFree = true

// gemm computes C = op(A)·op(B) (accumulate false) or C += op(A)·op(B)
// (accumulate true), where op transposes when asked. A is stored m×k (or
// k×m when transA), B k×n (or n×k when transB), C m×n, all row-major.
//
// In WebAssembly gonum has no assembly: tensor.MatMul falls back to
// gonum's pure-Go loops and splits the product over goroutines that one
// wasm thread runs in turn. The packed kernel of gemm_kernel.go (with
// wasm SIMD128 when built with GOEXPERIMENT=simd) does the same product
// without either cost. BenchmarkGemm in Chromium on the embedder's shapes
// (2026-11-28, 2-core Xeon, busy machine): gonum's path 0.6–1.0 GFLOP/s,
// the packed kernel in plain Go 0.8–1.0, with SIMD128 2.1–3.6.
//
// Natively with GOEXPERIMENT=simd (Go 1.27, amd64: AVX vectors) the
// packed kernel beats gonum too, even measured on one core against
// gonum's two (before large products were split over the cores, see
// gemmWorkers):
// `GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd go test -bench Gemm ./nn`
// (2026-11-28, training running beside it) gave 43–47 GFLOP/s against
// gonum's 4.9–8.4 on the pointwise shapes, so cmd/train is built that way
// (make train).
func gemm(transA, transB bool, m, n, k int, a, b, c []float32, accumulate bool) {
	gemmPacked(transA, transB, m, n, k, a, b, c, accumulate)
}
