package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randomizeBN gives a batch norm non-trivial γ, β and running statistics.
func randomizeBN(bn *BatchNorm, rng *rand.Rand) {
	for i := 0; i < bn.C; i++ {
		bn.Gamma.Value.Float32s()[i] = float32(0.5 + rng.Float64())
		bn.Beta.Value.Float32s()[i] = float32(rng.Float64() - 0.5)
		bn.RunningMean.Value.Float32s()[i] = float32(rng.Float64() - 0.5)
		bn.RunningVar.Value.Float32s()[i] = float32(0.2 + rng.Float64())
	}
}

func TestBatchNormGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, tc := range []struct {
		name   string
		shape  []int
		frozen bool
	}{
		{"nhwc", []int{2, 3, 3, 4}, false},
		{"matrix", []int{5, 3}, false},
		{"nhwc-frozen", []int{2, 2, 3, 3}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.shape[len(tc.shape)-1]
			bn, err := NewBatchNorm("bn", c, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			randomizeBN(bn, rng)
			bn.FrozenStats = tc.frozen
			checkGradients(t, bn, randTensor(rng, tc.shape...))
		})
	}
}

func TestBatchNormTrainingStatistics(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 3))
	bn, _ := NewBatchNorm("", 3, 1e-5, 0.25)
	x := randTensor(rng, 4, 2, 2, 3)
	xs := x.Float32s()
	for i := range xs {
		xs[i] = xs[i]*2 + float32(i%3) // channel c has mean ≈ c
	}
	y, err := bn.Forward(x, true)
	if err != nil {
		t.Fatal(err)
	}
	rows := 16
	for c := 0; c < 3; c++ {
		var mean, v, ym, yv float64
		for r := 0; r < rows; r++ {
			mean += float64(xs[r*3+c])
			ym += float64(y.Float32s()[r*3+c])
		}
		mean /= float64(rows)
		ym /= float64(rows)
		for r := 0; r < rows; r++ {
			d := float64(xs[r*3+c]) - mean
			v += d * d
			e := float64(y.Float32s()[r*3+c]) - ym
			yv += e * e
		}
		if math.Abs(ym) > 1e-5 || math.Abs(yv/float64(rows)-1) > 1e-3 {
			t.Errorf("channel %d: output mean %g, variance %g; want 0 and 1", c, ym, yv/float64(rows))
		}
		wantMean := 0.75*0 + 0.25*mean
		wantVar := 0.75*1 + 0.25*v/float64(rows-1)
		if got := float64(bn.RunningMean.Value.Float32s()[c]); math.Abs(got-wantMean) > 1e-5 {
			t.Errorf("channel %d: running mean %g, want %g", c, got, wantMean)
		}
		if got := float64(bn.RunningVar.Value.Float32s()[c]); math.Abs(got-wantVar) > 1e-5 {
			t.Errorf("channel %d: running var %g, want %g", c, got, wantVar)
		}
	}
}

func TestBatchNormInferenceUsesRunningStats(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	bn, _ := NewBatchNorm("", 4, 1e-3, 0)
	randomizeBN(bn, rng)
	before := append([]float32(nil), bn.RunningMean.Value.Float32s()...)
	for _, shape := range [][]int{{1, 3, 3, 4}, {2, 4}, {1, 4}} {
		x := randTensor(rng, shape...)
		y, err := bn.Forward(x, false)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range x.Float32s() {
			c := i % 4
			want := (float64(v)-float64(bn.RunningMean.Value.Float32s()[c]))/
				math.Sqrt(float64(bn.RunningVar.Value.Float32s()[c])+1e-3)*
				float64(bn.Gamma.Value.Float32s()[c]) + float64(bn.Beta.Value.Float32s()[c])
			if math.Abs(float64(y.Float32s()[i])-want) > 1e-5 {
				t.Fatalf("shape %v: y[%d] = %g, want %g", shape, i, y.Float32s()[i], want)
			}
		}
	}
	for i, v := range bn.RunningMean.Value.Float32s() {
		if v != before[i] {
			t.Fatal("inference changed the running mean")
		}
	}
	// FrozenStats: a training forward computes the inference function and
	// leaves the running statistics alone.
	bn.FrozenStats = true
	x := randTensor(rng, 1, 2, 2, 4)
	yi, _ := bn.Forward(x, false)
	want := append([]float32(nil), yi.Float32s()...)
	yt, err := bn.Forward(x, true)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range yt.Float32s() {
		if math.Abs(float64(v-want[i])) > 1e-6 {
			t.Fatalf("frozen training y[%d] = %g, inference %g", i, v, want[i])
		}
	}
	for i, v := range bn.RunningMean.Value.Float32s() {
		if v != before[i] {
			t.Fatal("FrozenStats training changed the running mean")
		}
	}
}

func TestBatchNormRejectsBadInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	bn, _ := NewBatchNorm("bn", 3, 0, 0)
	if _, err := bn.Backward(randTensor(rng, 2, 3)); err == nil {
		t.Error("Backward before Forward: no error")
	}
	for _, shape := range [][]int{{2, 4}, {2, 2, 2, 4}, {2, 3, 3}, {6}} {
		if _, err := bn.Forward(randTensor(rng, shape...), true); err == nil {
			t.Errorf("input %v: no error", shape)
		}
	}
	if _, err := bn.Forward(randTensor(rng, 1, 3), true); err == nil {
		t.Error("training on a single value per channel: no error")
	}
	if _, err := bn.Forward(randTensor(rng, 1, 3), false); err != nil {
		t.Errorf("inference on a single example: %v", err)
	}
	if _, err := NewBatchNorm("", 0, 0, 0); err == nil {
		t.Error("zero channels: no error")
	}
}

func TestFoldBatchNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, tc := range convConfigs {
		t.Run(tc.name, func(t *testing.T) {
			conv := newTestConv(t, rng, tc.in, tc.out, tc.kernel, tc.stride, tc.pad, tc.groups, tc.bias)
			bn, _ := NewBatchNorm("", tc.out, 0, 0)
			randomizeBN(bn, rng)
			x := randTensor(rng, 2, tc.h, tc.w, tc.in)
			y, err := NewSequential("", conv, bn).Forward(x, false)
			if err != nil {
				t.Fatal(err)
			}
			want := append([]float32(nil), y.Float32s()...)
			if err := FoldBatchNorm(conv, bn); err != nil {
				t.Fatal(err)
			}
			if conv.Bias == nil || !conv.Spec().Bias {
				t.Fatal("folded convolution has no bias")
			}
			got, err := conv.Forward(x, false)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range got.Float32s() {
				if math.Abs(float64(v-want[i])) > 1e-5 {
					t.Fatalf("y[%d]: folded %g, conv→bn %g", i, v, want[i])
				}
			}
		})
	}
	conv := newTestConv(t, rng, 3, 4, 3, 1, 1, 1, false)
	bn, _ := NewBatchNorm("", 5, 0, 0)
	if err := FoldBatchNorm(conv, bn); err == nil {
		t.Error("folding 5 channels into 4: no error")
	}
}

func TestFoldAffine(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	conv := newTestConv(t, rng, 4, 6, 3, 2, 1, 2, false)
	a, _ := NewAffine("", 6)
	for i := 0; i < 6; i++ {
		a.Scale.Value.Float32s()[i] = float32(rng.Float64()*2 - 1)
		a.Bias.Value.Float32s()[i] = float32(rng.Float64()*2 - 1)
	}
	x := randTensor(rng, 2, 5, 5, 4)
	y, err := NewSequential("", conv, a).Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]float32(nil), y.Float32s()...)
	if err := FoldAffine(conv, a); err != nil {
		t.Fatal(err)
	}
	got, _ := conv.Forward(x, false)
	for i, v := range got.Float32s() {
		if math.Abs(float64(v-want[i])) > 1e-5 {
			t.Fatalf("y[%d]: folded %g, conv→affine %g", i, v, want[i])
		}
	}
}
