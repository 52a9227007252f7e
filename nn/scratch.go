package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gorgonia.org/tensor"
)

// Small helpers shared by the layer files: scratch slices that grow once and
// are then reused, layer names for error messages, and the checks every
// Backward makes before touching memory.

// growF32 returns buf[:n], allocating only when buf is too small.
func growF32(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

// growF64 is growF32 for float64 accumulators.
func growF64(buf []float64, n int) []float64 {
	if cap(buf) < n {
		return make([]float64, n)
	}
	return buf[:n]
}

// growI32 is growF32 for index buffers.
func growI32(buf []int32, n int) []int32 {
	if cap(buf) < n {
		return make([]int32, n)
	}
	return buf[:n]
}

// addTo adds src into dst elementwise. Layers compute a batch's weight
// gradient into scratch with gemm and add it here rather than asking gemm to
// accumulate: tensor.MatMul's accumulating mode (WithIncr) allocates a
// temporary of the whole result on every call.
func addTo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] += v
	}
}

// paramOK reports whether p holds n float32 values and, when it has a
// gradient (trained parameters), a gradient of n values too: what a layer
// checks before indexing its parameters, so a mangled model gives an error
// instead of a panic.
func paramOK(p *Param, n int, grad bool) bool {
	if p == nil || p.Value == nil || p.Value.Dtype() != tensor.Float32 || p.Value.Shape().TotalSize() != n {
		return false
	}
	if grad {
		return p.Grad != nil && p.Grad.Dtype() == tensor.Float32 && p.Grad.Shape().TotalSize() == n
	}
	return true
}

// layerName names a layer in error messages: `conv2d "stem"` or `conv2d`.
// It formats only when printed, so passing it around costs no allocation.
type layerName struct{ typ, name string }

// String formats the name for an error message.
func (l layerName) String() string {
	if l.name == "" {
		return l.typ
	}
	return fmt.Sprintf("%s %q", l.typ, l.name)
}

// layerID makes the error-message name of a layer.
func layerID(typ, name string) layerName { return layerName{typ, name} }

// checkBackward reports whether Backward may run: a training Forward came
// first (its output y is kept) and dy has that output's shape.
func checkBackward(layer layerName, trained bool, y, dy *tensor.Dense) error {
	if dy == nil || dy.Dtype() != tensor.Float32 {
		return fmt.Errorf("nn: %s backward: gradient must be a float32 tensor", layer)
	}
	if !trained || y == nil {
		return fmt.Errorf("nn: %s backward: no training forward to go back through (call Forward with training=true first)", layer)
	}
	if !sameShape(y.Shape(), dy.Shape()) {
		return fmt.Errorf("nn: %s backward: gradient shape %v does not match the forward output %v", layer, dy.Shape(), y.Shape())
	}
	return nil
}

// checkInput rejects a nil or non-float32 input before any layer reads it.
func checkInput(layer layerName, x *tensor.Dense) error {
	if x == nil {
		return fmt.Errorf("nn: %s: input is nil", layer)
	}
	if x.Dtype() != tensor.Float32 {
		return fmt.Errorf("nn: %s wants float32 values, got %v", layer, x.Dtype())
	}
	for _, d := range x.Shape() {
		if d < 1 {
			return fmt.Errorf("nn: %s: input shape %v has an empty dimension", layer, x.Shape())
		}
	}
	return nil
}

// input4 checks that x is a float32 NHWC tensor with c channels (c ≤ 0: any)
// and returns its sizes.
func input4(layer layerName, x *tensor.Dense, c int) (n, h, w, ch int, err error) {
	if err := checkInput(layer, x); err != nil {
		return 0, 0, 0, 0, err
	}
	s := x.Shape()
	if len(s) != 4 {
		return 0, 0, 0, 0, fmt.Errorf("nn: %s wants an NHWC tensor (4-d), got shape %v", layer, s)
	}
	if c > 0 && s[3] != c {
		return 0, 0, 0, 0, fmt.Errorf("nn: %s wants %d channels, got shape %v", layer, c, s)
	}
	return s[0], s[1], s[2], s[3], nil
}

// channelRows views x as rows of c channels: an NHWC tensor (N·H·W rows) or
// an (N, F) matrix (N rows of F = c features). It returns the number of rows.
func channelRows(layer layerName, x *tensor.Dense, c int) (int, error) {
	if err := checkInput(layer, x); err != nil {
		return 0, err
	}
	s := x.Shape()
	if len(s) != 2 && len(s) != 4 {
		return 0, fmt.Errorf("nn: %s wants an NHWC (4-d) or (N, F) (2-d) tensor, got shape %v", layer, s)
	}
	if s[len(s)-1] != c {
		return 0, fmt.Errorf("nn: %s wants %d channels, got shape %v", layer, c, s)
	}
	return x.Shape().TotalSize() / c, nil
}

// windowOut is the output size of a window of size k moved with stride s
// over n cells padded by p on both sides, or an error when the window does
// not fit.
func windowOut(layer layerName, n, k, s, p int) (int, error) {
	if n+2*p < k {
		return 0, fmt.Errorf("nn: %s: input size %d (padded %d) is smaller than the %d-wide window", layer, n, n+2*p, k)
	}
	return (n+2*p-k)/s + 1, nil
}

// heInit fills w with normal values of standard deviation sqrt(gain/fanIn).
// A nil rng means a fixed seed, so models built without one are reproducible.
func heInit(w []float32, fanIn int, gain float64, rng *rand.Rand) {
	if rng == nil {
		rng = rand.New(rand.NewPCG(1, 1))
	}
	std := math.Sqrt(gain / float64(fanIn))
	for i := range w {
		w[i] = float32(rng.NormFloat64() * std)
	}
}

// fill sets every element of a tensor to v.
func fill(t *tensor.Dense, v float32) {
	d := t.Float32s()
	for i := range d {
		d[i] = v
	}
}
