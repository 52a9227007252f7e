package nn

import (
	"gorgonia.org/tensor"
)

// gemm computes C = op(A)·op(B) (accumulate false) or C += op(A)·op(B)
// (accumulate true), where op transposes when asked. A is stored m×k (or
// k×m when transA), B k×n (or n×k when transB), C m×n, all row-major. It is
// the one matrix product of the engine, on gorgonia.org/tensor's MatMul, so
// a faster kernel can replace it in one place.
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
	C := tensor.New(tensor.WithShape(m, n), tensor.WithBacking(c[:m*n]))
	var err error
	if accumulate {
		_, err = tensor.MatMul(A, B, tensor.WithIncr(C))
	} else {
		_, err = tensor.MatMul(A, B, tensor.WithReuse(C))
	}
	if err != nil {
		// Shapes are computed by the callers from checked tensors; a
		// failure here is a bug in the engine, not bad input.
		panic("nn: gemm: " + err.Error())
	}
}
