package nn

import (
	"math"
	"testing"
)

func TestSchedules(t *testing.T) {
	cos := WarmupCosine{Base: 1, Min: 0.1, Warmup: 4, Total: 14}
	for _, tc := range []struct {
		name  string
		s     Schedule
		steps []int
		want  []float64
	}{
		{"constant", Constant(0.01), []int{0, 1, 1000}, []float64{0.01, 0.01, 0.01}},
		{"step decay", StepDecay{Base: 0.1, Every: 10, Factor: 0.5},
			[]int{-3, 0, 9, 10, 19, 20, 35}, []float64{0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.0125}},
		{"step decay, no period", StepDecay{Base: 0.1, Factor: 0.5}, []int{0, 100}, []float64{0.1, 0.1}},
		// Warmup 0.25, 0.5, 0.75, 1 over steps 0–3; then the cosine over
		// steps 4–14, at its middle (step 9) (Base+Min)/2 = 0.55, ending
		// at Min.
		{"warmup cosine", cos,
			[]int{-1, 0, 1, 3, 4, 9, 14, 100},
			[]float64{0.25, 0.25, 0.5, 1, 1, 0.55, 0.1, 0.1}},
		{"cosine without warmup", WarmupCosine{Base: 2, Min: 0, Total: 4},
			[]int{0, 1, 2, 3, 4}, []float64{2, 1 + math.Cos(math.Pi/4), 1, 1 - math.Cos(math.Pi/4), 0}},
		{"func", ScheduleFunc(func(step int) float32 { return float32(step) }), []int{3}, []float64{3}},
	} {
		for i, step := range tc.steps {
			if got := tc.s.LR(step); !approxF(float64(got), tc.want[i], 1e-6) {
				t.Errorf("%s: LR(%d) = %.7g, want %.7g", tc.name, step, got, tc.want[i])
			}
		}
	}
	// The cosine part only goes down.
	prev := cos.LR(cos.Warmup)
	for step := cos.Warmup + 1; step <= cos.Total; step++ {
		if lr := cos.LR(step); lr > prev {
			t.Fatalf("cosine rises at step %d: %g > %g", step, lr, prev)
		} else {
			prev = lr
		}
	}
}
