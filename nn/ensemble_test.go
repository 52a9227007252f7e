package nn

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// embedderModel is a small random embedder: 8×8×3 in, a unit 4-vector out.
func embedderModel(t *testing.T, seed uint64) *Model {
	t.Helper()
	net, err := Build(Spec{Type: "sequential", Body: []Spec{
		{Type: "conv2d", Name: "c", In: 3, Out: 4, Kernel: 3, Stride: 2, Pad: 1},
		{Type: "globalavgpool", Name: "gap"},
		{Type: "flatten", Name: "flat"},
		{Type: "dense", Name: "embed", In: 4, Out: 4, Bias: true},
		{Type: "l2normalize", Name: "l2"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	m := NewModel(net, 8, 8, 3)
	for _, p := range m.Params() {
		for i := range p.Value.Float32s() {
			p.Value.Float32s()[i] = float32(rng.Float64()*2 - 1)
		}
	}
	m.Meta["who"] = "a"
	return m
}

// The ensemble's output is the unit-length sum of its members' outputs,
// it saves and loads like any model, and its members are left as they were.
func TestEnsembleIsTheUnitSumOfItsMembers(t *testing.T) {
	a, b := embedderModel(t, 1), embedderModel(t, 2)
	x := randTensor(rand.New(rand.NewPCG(5, 5)), 3, 8, 8, 3)
	ya, err := a.Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	outA := append([]float32(nil), ya.Float32s()...)
	yb, err := b.Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	outB := append([]float32(nil), yb.Float32s()...)

	e, err := Ensemble(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if e.Meta["who"] != "a" || e.Input != a.Input {
		t.Fatalf("ensemble has meta %v and input %v, want the first member's", e.Meta, e.Input)
	}
	if len(e.Params()) != len(a.Params())+len(b.Params()) {
		t.Fatalf("%d parameters, want %d + %d", len(e.Params()), len(a.Params()), len(b.Params()))
	}
	loaded, err := Load(bytes.NewReader(saveBytes(t, e)))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*Model{e, loaded} {
		y, err := m.Forward(x, false)
		if err != nil {
			t.Fatal(err)
		}
		got := y.Float32s()
		for r := range 3 {
			var n float64
			sum := make([]float64, 4)
			for j := range 4 {
				sum[j] = float64(outA[4*r+j] + outB[4*r+j])
				n += sum[j] * sum[j]
			}
			for j := range 4 {
				if want := sum[j] / math.Sqrt(n); math.Abs(float64(got[4*r+j])-want) > 1e-5 {
					t.Fatalf("row %d: output %v, want the unit sum of %v and %v", r, got[4*r:4*r+4], outA[4*r:4*r+4], outB[4*r:4*r+4])
				}
			}
		}
	}
	// Folding for inference reaches into both members.
	f, err := FoldForInference(e)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Forward(x, false); err != nil {
		t.Fatal(err)
	}
	// The members are untouched: a still computes what it did.
	y, err := a.Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	if !identicalF32(y.Float32s(), outA) {
		t.Fatal("Ensemble changed its first member")
	}
}

func TestEnsembleRefuses(t *testing.T) {
	a := embedderModel(t, 1)
	other := embedderModel(t, 2)
	other.Input = [3]int{16, 16, 3}
	flat := embedderModel(t, 3)
	flat.Net = flat.Net.(*Sequential).Layers[0]
	for _, c := range []struct {
		name string
		b    *Model
		want string
	}{
		{"nil", nil, "no network"},
		{"other input", other, "same"},
		{"not sequential", flat, "*Sequential"},
	} {
		if _, err := Ensemble(a, c.b); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.want)
		}
	}
}
