//go:build !wasm && !goexperiment.simd

package nn

import (
	"sync"

	"gorgonia.org/tensor"
)

// scratchPool holds result buffers for accumulating products: tensor's
// own WithIncr allocates a temporary of the whole result on every call,
// so gemm computes into pooled scratch and adds instead.
var scratchPool = sync.Pool{New: func() any { return new([]float32) }}

// gemmAccumulatesFree tells callers whether C += A·B costs no more than
// C = A·B: not here (gonum's path adds a scratch result, an extra pass).
const gemmAccumulatesFree = false

// gemm computes C = op(A)·op(B) (accumulate false) or C += op(A)·op(B)
// (accumulate true), where op transposes when asked. A is stored m×k (or
// k×m when transA), B k×n (or n×k when transB), C m×n, all row-major. It is
// the one matrix product of the engine. Natively without the simd
// experiment it runs on gorgonia.org/tensor's MatMul (gonum, on both
// cores); in WebAssembly, and natively with GOEXPERIMENT=simd, gemm_packed.go
// runs the packed kernel of gemm_kernel.go instead (see there for why and
// how much faster).
func gemm(transA, transB bool, m, n, k int, a, b, c []float32, accumulate bool) {
	var A, B *tensor.Dense
	if transA {
		A = tensor.New(tensor.WithShape(k, m), tensor.WithBacking(a[:m*k]))
		A.T()
	} else {
		A = tensor.New(tensor.WithShape(m, k), tensor.WithBacking(a[:m*k]))
	}
	if transB {
		B = tensor.New(tensor.WithShape(n, k), tensor.WithBacking(b[:n*k]))
		B.T()
	} else {
		B = tensor.New(tensor.WithShape(k, n), tensor.WithBacking(b[:n*k]))
	}
	out := c[:m*n]
	var scratch *[]float32
	if accumulate {
		scratch = scratchPool.Get().(*[]float32)
		if cap(*scratch) < m*n {
			*scratch = make([]float32, m*n)
		}
		out = (*scratch)[:m*n]
	}
	C := tensor.New(tensor.WithShape(m, n), tensor.WithBacking(out))
	_, err := tensor.MatMul(A, B, tensor.WithReuse(C))
	if accumulate {
		dst := c[:m*n]
		for i, v := range out {
			dst[i] += v
		}
		scratchPool.Put(scratch)
	}
	if err != nil {
		// Shapes are computed by the callers from checked tensors; a
		// failure here is a bug in the engine, not bad input.
		panic("nn: gemm: " + err.Error())
	}
}
