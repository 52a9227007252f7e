package nn

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

// testScale is a test-only layer with parameters and a buffer, so the model,
// optimizer and file-format tests do not depend on the real layers:
// y[…, c] = weight[c]·x[…, c] + bias[c] on the last axis, and "calls" (a
// buffer) counts training forwards.
type testScale struct {
	Name                string
	C                   int
	Weight, Bias, Calls *Param
	x, y, dx            *tensor.Dense
}

func init() {
	register("test_scale", func(s Spec) (Layer, error) {
		if s.In < 1 {
			return nil, fmt.Errorf("nn: test_scale: %d channels", s.In)
		}
		return newTestScale(s.Name, s.In), nil
	})
}

func newTestScale(name string, c int) *testScale {
	l := &testScale{Name: name, C: c, Weight: NewParam("weight", c), Bias: NewParam("bias", c), Calls: NewBuffer("calls", 0, 1)}
	for i := range l.Weight.Value.Float32s() {
		l.Weight.Value.Float32s()[i] = 1
	}
	return l
}

func (l *testScale) Forward(x *tensor.Dense, training bool) (*tensor.Dense, error) {
	s := x.Shape()
	if s[len(s)-1] != l.C {
		return nil, fmt.Errorf("test_scale: want %d channels, got %v", l.C, s)
	}
	l.y = reuse(l.y, s...)
	w, b, xs, ys := l.Weight.Value.Float32s(), l.Bias.Value.Float32s(), x.Float32s(), l.y.Float32s()
	for i, v := range xs {
		ys[i] = w[i%l.C]*v + b[i%l.C]
	}
	if training {
		l.x = x
		l.Calls.Value.Float32s()[0]++
	}
	return l.y, nil
}

func (l *testScale) Backward(dy *tensor.Dense) (*tensor.Dense, error) {
	l.dx = reuse(l.dx, dy.Shape()...)
	w, gw, gb := l.Weight.Value.Float32s(), l.Weight.Grad.Float32s(), l.Bias.Grad.Float32s()
	xs, gs, dxs := l.x.Float32s(), dy.Float32s(), l.dx.Float32s()
	for i, g := range gs {
		c := i % l.C
		gw[c] += g * xs[i]
		gb[c] += g
		dxs[i] = g * w[c]
	}
	return l.dx, nil
}

func (l *testScale) Params() []*Param { return []*Param{l.Weight, l.Bias, l.Calls} }
func (l *testScale) Spec() Spec       { return Spec{Type: "test_scale", Name: l.Name, In: l.C} }

// testModel is a small model of test layers and ReLUs with random weights,
// nested two deep so names have two prefixes.
func testModel(seed uint64) *Model {
	rng := rand.New(rand.NewPCG(seed, 99))
	net := NewSequential("",
		newTestScale("s1", 3),
		&ReLU{Name: "r1"},
		NewSequential("block", newTestScale("a", 3), &ReLU{}, newTestScale("b", 3)),
	)
	for _, p := range net.Params() {
		for i := range p.Value.Float32s() {
			p.Value.Float32s()[i] = float32(rng.Float64()*2 - 1)
		}
	}
	m := NewModel(net, 2, 2, 3)
	m.Meta["threshold"] = "0.42"
	return m
}

func TestModelParamsAndNames(t *testing.T) {
	m := testModel(1)
	var names []string
	for _, p := range m.Params() {
		names = append(names, p.Name)
	}
	want := "s1.weight s1.bias s1.calls block.a.weight block.a.bias block.a.calls block.b.weight block.b.bias block.b.calls"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("names\n got %s\nwant %s", got, want)
	}
	if p := m.Param("block.b.bias"); p == nil || p.Value.Shape().TotalSize() != 3 {
		t.Fatalf("Param(block.b.bias) = %v", p)
	}
	if p := m.Param("nope"); p != nil {
		t.Fatalf("Param(nope) = %v, want nil", p)
	}
	if n := m.NumParams(); n != 3*6 {
		t.Fatalf("NumParams = %d, want 18 (buffers excluded)", n)
	}
}

func TestModelFreeze(t *testing.T) {
	m := testModel(1)
	if n := m.Freeze("block."); n != 4 {
		t.Fatalf("Freeze(block.) froze %d, want 4", n)
	}
	// The layer's own Param is frozen, not just the renamed view.
	inner := m.Net.(*Sequential).Layers[2].(*Sequential).Layers[0].(*testScale)
	if !inner.Weight.Frozen || !inner.Bias.Frozen {
		t.Fatal("Freeze did not reach the layer's own parameters")
	}
	if n := m.NumParams(); n != 6 {
		t.Fatalf("NumParams after freeze = %d, want 6", n)
	}
	for _, p := range m.Params() {
		if strings.HasPrefix(p.Name, "block.") != p.Frozen && !p.Buffer {
			t.Errorf("%s: Frozen = %v", p.Name, p.Frozen)
		}
	}
	if n := m.Unfreeze("block.a"); n != 2 {
		t.Fatalf("Unfreeze(block.a) = %d, want 2", n)
	}
	if inner.Weight.Frozen || m.Param("block.a.weight").Frozen || !m.Param("block.b.weight").Frozen {
		t.Fatal("Unfreeze did not unfreeze exactly block.a")
	}
	m.Freeze("")
	if m.NumParams() != 0 {
		t.Fatalf("Freeze(\"\") left %d trainable", m.NumParams())
	}
}

func TestModelForwardBackwardZeroGrad(t *testing.T) {
	m := testModel(2)
	rng := rand.New(rand.NewPCG(5, 6))
	x := randTensor(rng, 4, 2, 2, 3)
	y, err := m.Forward(x, true)
	if err != nil {
		t.Fatal(err)
	}
	dy := zeros(y.Shape()...)
	for i := range dy.Float32s() {
		dy.Float32s()[i] = 1
	}
	if _, err := m.Backward(dy); err != nil {
		t.Fatal(err)
	}
	nonzero := false
	for _, p := range m.Params() {
		if p.Grad != nil {
			for _, g := range p.Grad.Float32s() {
				nonzero = nonzero || g != 0
			}
		}
	}
	if !nonzero {
		t.Fatal("Backward left every gradient zero")
	}
	m.ZeroGrad()
	for _, p := range m.Params() {
		if p.Grad != nil {
			for _, g := range p.Grad.Float32s() {
				if g != 0 {
					t.Fatalf("%s: gradient %g after ZeroGrad", p.Name, g)
				}
			}
		}
	}
	if _, err := m.Forward(randTensor(rng, 4, 3, 2, 3), false); err == nil || !strings.Contains(err.Error(), "(N, 2, 2, 3)") {
		t.Fatalf("wrong input shape: err = %v", err)
	}
	if _, err := (&Model{}).Forward(x, false); err == nil {
		t.Fatal("nil Net: no error")
	}
}

func TestModelClone(t *testing.T) {
	m := testModel(3)
	m.Freeze("s1.")
	c, err := m.Clone()
	if err != nil {
		t.Fatal(err)
	}
	x := randTensor(rand.New(rand.NewPCG(1, 1)), 2, 2, 2, 3)
	y1, _ := m.Forward(x, false)
	y2, _ := c.Forward(x, false)
	if !identicalF32(y1.Float32s(), y2.Float32s()) {
		t.Fatal("clone computes something else")
	}
	if c.Input != m.Input || c.Meta["threshold"] != "0.42" || !c.Param("s1.weight").Frozen || c.Param("block.a.weight").Frozen {
		t.Fatalf("clone lost Input, Meta or Frozen: %+v", c)
	}
	// Deep: changing the clone leaves the original alone.
	c.Param("s1.weight").Value.Float32s()[0] = 1234
	c.Meta["threshold"] = "9"
	if m.Param("s1.weight").Value.Float32s()[0] == 1234 || m.Meta["threshold"] != "0.42" {
		t.Fatal("clone shares storage with the original")
	}
}

func identicalF32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
