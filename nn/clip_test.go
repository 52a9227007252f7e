package nn

import (
	"math"
	"testing"
)

func TestClipGradNorm(t *testing.T) {
	mk := func() []*Param {
		a := NewParam("a", 2)
		copy(a.Grad.Float32s(), []float32{3, 4})
		b := NewParam("b", 1)
		b.Grad.Float32s()[0] = 12 // global norm √(9+16+144) = 13
		frozen := NewParam("f", 1)
		frozen.Grad.Float32s()[0] = 100
		frozen.Frozen = true
		buf := NewBuffer("buf", 0, 1)
		return []*Param{a, b, frozen, buf}
	}
	grads := func(ps []*Param) []float32 {
		return []float32{ps[0].Grad.Float32s()[0], ps[0].Grad.Float32s()[1], ps[1].Grad.Float32s()[0], ps[2].Grad.Float32s()[0]}
	}

	ps := mk()
	if n := ClipGradNorm(ps, 6.5); !approxF(float64(n), 13, 1e-5) {
		t.Fatalf("norm = %g, want 13 (frozen and buffers not counted)", n)
	}
	want := []float32{1.5, 2, 6, 100} // halved; the frozen one untouched
	for i, g := range grads(ps) {
		if !approxF(float64(g), float64(want[i]), 1e-6) {
			t.Fatalf("clipped grads = %v, want %v", grads(ps), want)
		}
	}
	if n := ClipGradNorm(ps, 6.5); !approxF(float64(n), 6.5, 1e-5) {
		t.Fatalf("norm after clipping = %g, want 6.5", n)
	}

	for _, maxNorm := range []float32{13, 20, 0, -1} {
		ps = mk()
		if n := ClipGradNorm(ps, maxNorm); !approxF(float64(n), 13, 1e-5) {
			t.Fatalf("maxNorm %g: norm = %g", maxNorm, n)
		}
		if g := grads(ps); g[0] != 3 || g[1] != 4 || g[2] != 12 {
			t.Fatalf("maxNorm %g changed grads: %v", maxNorm, g)
		}
	}

	ps = mk()
	ps[1].Grad.Float32s()[0] = float32(math.Inf(1))
	if n := ClipGradNorm(ps, 1); !math.IsInf(float64(n), 1) || ps[0].Grad.Float32s()[0] != 3 {
		t.Fatalf("infinite norm: got %g and grads %v, want +Inf and untouched grads", n, grads(ps))
	}
	ps[1].Grad.Float32s()[0] = float32(math.NaN())
	if n := ClipGradNorm(ps, 1); !math.IsNaN(float64(n)) || ps[0].Grad.Float32s()[0] != 3 {
		t.Fatalf("NaN norm: got %g and grads %v", n, grads(ps))
	}
}
