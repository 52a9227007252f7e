package nn

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// bandedRun is what one training and one inference step of a small
// network of the banded layers computes: the outputs, dL/dx, every
// parameter's gradient and batch norm's running statistics, in one slice.
func bandedRun(t *testing.T) []float32 {
	t.Helper()
	rng := rand.New(rand.NewPCG(41, 42))
	frozen := must(NewBatchNorm("frozen", 16, 0, 0))
	frozen.FrozenStats = true
	net := NewSequential("",
		newTestConv(t, rng, 16, 16, 3, 1, 1, 16, false),
		must(NewBatchNorm("bn", 16, 0, 0)),
		must(NewPReLU("p", 16)),
		newTestConv(t, rng, 16, 16, 3, 2, 1, 16, true),
		frozen,
	)
	x := randTensor(rng, 8, 32, 32, 16)
	y := must(net.Forward(x, true))
	out := append([]float32(nil), y.Float32s()...)
	dy := randTensor(rng, y.Shape()...)
	dx := must(net.Backward(dy))
	out = append(out, dx.Float32s()...)
	for _, p := range net.Params() {
		out = append(out, p.Value.Float32s()...)
		if p.Grad != nil {
			out = append(out, p.Grad.Float32s()...)
		}
	}
	return append(out, must(net.Forward(x, false)).Float32s()...)
}

// TestBandsAreDeterministic: the banded layers compute exactly the same
// values on one core as on several (the bands depend on the shape alone),
// and what one band computes up to rounding (their sums are added in
// another order).
func TestBandsAreDeterministic(t *testing.T) {
	if nb := bandCount(8*32*32, 16); nb < 2 {
		t.Fatalf("the test's input makes %d band, want several", nb)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(1)
	serial := bandedRun(t)
	runtime.GOMAXPROCS(4)
	parallel := bandedRun(t)
	if !identicalF32(serial, parallel) {
		t.Error("bands on one core and on four computed different values")
	}
	bandLimit = 1
	defer func() { bandLimit = maxBands }()
	one := bandedRun(t)
	if len(one) != len(parallel) {
		t.Fatalf("%d values with one band, %d with several", len(one), len(parallel))
	}
	worst := 0.0
	for i, v := range one {
		d := math.Abs(float64(v-parallel[i])) / max(1, math.Abs(float64(v)))
		worst = max(worst, d)
	}
	if worst > 1e-4 {
		t.Errorf("bands and one band differ by up to %g (relative), want rounding only", worst)
	}
}
