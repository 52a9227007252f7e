package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// Gradient checks compare each layer's Backward with central finite
// differences of a scalar loss L = Σ y ⊙ r, where r is a fixed random tensor
// (so dL/dy = r and every output element matters).
//
// Tolerance: the layers compute in float32 (about 7 significant digits).
// With step h = 1e-2 on inputs of order 1 the central difference has a
// truncation error O(h²) ≈ 1e-4 for smooth layers and a rounding error of
// about ε·|L|/h ≈ 1e-7·10/1e-2 = 1e-4, so we accept a relative error
// |a − n| / max(1, |a|, |n|) ≤ 1e-2 per element: loose enough for float32,
// far tighter than any real bug (a wrong sign, a missing term, a wrong index
// all give errors of order 1). Kinks (ReLU at 0, max-pool ties) are avoided
// by the inputs each test chooses.

const (
	gradStep = 1e-2
	gradTol  = 1e-2
)

// randTensor fills a tensor of the given shape with uniform values in
// [-1, 1) from a seeded generator.
func randTensor(rng *rand.Rand, shape ...int) *tensor.Dense {
	t := zeros(shape...)
	for i, d := 0, t.Float32s(); i < len(d); i++ {
		d[i] = float32(rng.Float64()*2 - 1)
	}
	return t
}

func cloneTensor(t *tensor.Dense) *tensor.Dense {
	c := zeros(t.Shape()...)
	copy(c.Float32s(), t.Float32s())
	return c
}

// lossOf runs a training forward and returns Σ y⊙r in float64.
func lossOf(t *testing.T, l Layer, x, r *tensor.Dense) float64 {
	t.Helper()
	y, err := l.Forward(x, true)
	if err != nil {
		t.Fatalf("forward: %v", err)
	}
	var s float64
	for i, v := range y.Float32s() {
		s += float64(v) * float64(r.Float32s()[i])
	}
	return s
}

// checkGradients checks dL/dx and dL/dθ of layer l at input x.
func checkGradients(t *testing.T, l Layer, x *tensor.Dense) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	y, err := l.Forward(x, true)
	if err != nil {
		t.Fatalf("forward: %v", err)
	}
	r := randTensor(rng, y.Shape()...)
	for _, p := range l.Params() {
		if p.Grad != nil {
			clear(p.Grad.Float32s())
		}
	}
	y, _ = l.Forward(x, true)
	_ = y
	dx, err := l.Backward(cloneTensor(r))
	if err != nil {
		t.Fatalf("backward: %v", err)
	}
	analytic := map[string][]float32{"input": append([]float32(nil), dx.Float32s()...)}
	for _, p := range l.Params() {
		if p.Grad != nil {
			analytic[p.Name] = append([]float32(nil), p.Grad.Float32s()...)
		}
	}
	check := func(name string, vals []float32, grad []float32) {
		t.Helper()
		bad := 0
		for i := range vals {
			orig := vals[i]
			vals[i] = orig + gradStep
			lp := lossOf(t, l, x, r)
			vals[i] = orig - gradStep
			lm := lossOf(t, l, x, r)
			vals[i] = orig
			num := (lp - lm) / (2 * gradStep)
			a := float64(grad[i])
			if rel := math.Abs(a-num) / math.Max(1, math.Max(math.Abs(a), math.Abs(num))); rel > gradTol {
				if bad < 5 {
					t.Errorf("%s[%d]: analytic %.6g, numeric %.6g (rel err %.3g)", name, i, a, num, rel)
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d gradients wrong", name, bad, len(vals))
		}
	}
	check("input", x.Float32s(), analytic["input"])
	for _, p := range l.Params() {
		if p.Grad != nil {
			check(p.Name, p.Value.Float32s(), analytic[p.Name])
		}
	}
}

func TestReLUGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := randTensor(rng, 2, 3, 3, 4)
	// Keep inputs away from the kink at 0, where the derivative jumps.
	for i, d := 0, x.Float32s(); i < len(d); i++ {
		if math.Abs(float64(d[i])) < 0.05 {
			d[i] = 0.5
		}
	}
	checkGradients(t, &ReLU{}, x)
}

func TestSequentialGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := randTensor(rng, 2, 2, 2, 3)
	for i, d := 0, x.Float32s(); i < len(d); i++ {
		if math.Abs(float64(d[i])) < 0.05 {
			d[i] = 0.5
		}
	}
	checkGradients(t, NewSequential("s", &ReLU{Name: "a"}, &ReLU{Name: "b"}), x)
}
