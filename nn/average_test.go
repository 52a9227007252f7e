package nn

import (
	"math"
	"strings"
	"testing"
)

// TestAverage: every parameter and running statistic of the soup is the
// mean of the models' own, the models are unchanged, a model averaged
// with itself is itself, and models of different networks are refused.
func TestAverage(t *testing.T) {
	a, b := realModel(t), realModel(t)
	for _, p := range b.Params() { // b = 3·a + 1, buffers included
		for i, v := range p.Value.Float32s() {
			p.Value.Float32s()[i] = 3*v + 1
		}
	}
	before := append([]float32(nil), a.Param("bn1.running_var").Value.Float32s()...)
	avg, err := Average(a, b)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, p := range avg.Params() {
		av, bv := a.Param(p.Name).Value.Float32s(), b.Param(p.Name).Value.Float32s()
		for i, v := range p.Value.Float32s() {
			if want := (av[i] + bv[i]) / 2; math.Abs(float64(v-want)) > 1e-6 {
				t.Fatalf("%s[%d] = %g, want the mean %g", p.Name, i, v, want)
			}
			checked++
		}
	}
	if checked != a.NumParams()+countBuffers(a) || avg.Param("bn1.running_var") == nil {
		t.Errorf("checked %d values; the model has %d parameters and %d buffer values", checked, a.NumParams(), countBuffers(a))
	}
	if got := a.Param("bn1.running_var").Value.Float32s(); !identicalF32(got, before) {
		t.Error("Average changed its first model")
	}
	if avg.Meta["threshold"] != a.Meta["threshold"] {
		t.Errorf("soup Meta threshold %q, want the first model's %q", avg.Meta["threshold"], a.Meta["threshold"])
	}
	self, err := Average(a, a, a)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range self.Params() {
		want := a.Param(p.Name).Value.Float32s()
		for i, v := range p.Value.Float32s() {
			if math.Abs(float64(v-want[i])) > 1e-6*(1+math.Abs(float64(want[i]))) {
				t.Fatalf("a model averaged with itself: %s[%d] = %g, want %g", p.Name, i, v, want[i])
			}
		}
	}

	if _, err := Average(); err == nil {
		t.Error("the average of no models: no error")
	}
	if _, err := Average(a, &Model{}); err == nil {
		t.Error("a model without a network: no error")
	}
	if _, err := Average(a, testModel(1)); err == nil || !strings.Contains(err.Error(), "not the same network") {
		t.Errorf("models of different networks: error %v, want 'not the same network'", err)
	}
}

// countBuffers is the number of values in m's buffers (running statistics).
func countBuffers(m *Model) int {
	n := 0
	for _, p := range m.Params() {
		if p.Buffer {
			n += p.Value.Shape().TotalSize()
		}
	}
	return n
}
