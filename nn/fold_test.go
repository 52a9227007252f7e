package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFoldForInference: a network with a batch norm after one convolution
// and an affine layer after another (inside a residual block, as in the
// teacher's ResNet) computes the same after FoldForInference, both layers
// are gone from the copy, and the original is left as it was.
func TestFoldForInference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	conv1 := newTestConv(t, rng, 3, 4, 3, 1, 1, 1, false)
	bn, _ := NewBatchNorm("bn", 4, 0, 0)
	for i := range 4 {
		bn.Gamma.Value.Float32s()[i] = float32(0.5 + rng.Float64())
		bn.Beta.Value.Float32s()[i] = float32(rng.Float64() - 0.5)
		bn.RunningMean.Value.Float32s()[i] = float32(rng.Float64() - 0.5)
		bn.RunningVar.Value.Float32s()[i] = float32(0.5 + rng.Float64())
	}
	conv2 := newTestConv(t, rng, 4, 4, 3, 1, 1, 1, true)
	aff, _ := NewAffine("scale", 4)
	for i := range 4 {
		aff.Scale.Value.Float32s()[i] = float32(rng.Float64()*2 - 1)
		aff.Bias.Value.Float32s()[i] = float32(rng.Float64()*2 - 1)
	}
	net := NewSequential("net", conv1, bn, NewResidual("res", NewSequential("body", conv2, aff), nil))
	m := NewModel(net, 6, 6, 3)
	x := randTensor(rng, 2, 6, 6, 3)
	y, err := m.Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]float32(nil), y.Float32s()...)

	f, err := FoldForInference(m)
	if err != nil {
		t.Fatal(err)
	}
	fy, err := f.Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range fy.Float32s() {
		if math.Abs(float64(v-want[i])) > 1e-5*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("y[%d]: folded %g, original %g", i, v, want[i])
		}
	}
	top := f.Net.(*Sequential)
	body := top.Layers[len(top.Layers)-1].(*Residual).Body
	if len(top.Layers) != 2 || len(body.Layers) != 1 {
		t.Errorf("folded copy keeps %d top layers and %d in the block, want 2 and 1 (batch norm and affine folded)", len(top.Layers), len(body.Layers))
	}
	if len(net.Layers) != 3 || len(net.Layers[2].(*Residual).Body.Layers) != 2 {
		t.Error("FoldForInference changed the original network")
	}
	if y, _ = m.Forward(x, false); y.Float32s()[0] != want[0] {
		t.Error("the original's output changed after folding")
	}
}
