package nn

import (
	"math"
	"strings"
	"testing"
)

// scalarParam makes a one-value trainable parameter w with gradient g.
func scalarParam(name string, w, g float32) *Param {
	p := NewParam(name, 1)
	p.Value.Float32s()[0] = w
	p.Grad.Float32s()[0] = g
	return p
}

func approxF(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// quadratic is L(w) = ½ Σ cᵢ (wᵢ − tᵢ)², an ill-conditioned bowl (curvatures
// c from 0.5 to 4) with its minimum at t.
type quadratic struct{ c, t []float32 }

func (q quadratic) grad(p *Param) {
	w, g := p.Value.Float32s(), p.Grad.Float32s()
	for i := range w {
		g[i] = q.c[i] * (w[i] - q.t[i])
	}
}

func (q quadratic) loss(p *Param) float64 {
	var s float64
	for i, w := range p.Value.Float32s() {
		d := float64(w - q.t[i])
		s += 0.5 * float64(q.c[i]) * d * d
	}
	return s
}

func TestOptimizersMinimiseQuadratic(t *testing.T) {
	q := quadratic{c: []float32{0.5, 1, 2, 4}, t: []float32{3, -2, 0.5, 1}}
	for _, tc := range []struct {
		name  string
		opt   Optimizer
		sched Schedule
		steps int
	}{
		{"SGD", &SGD{LR: 0.2}, Constant(0.2), 200},
		{"SGD momentum", NewSGD(0.05, 0.9), Constant(0.05), 300},
		{"SGD Nesterov", &SGD{LR: 0.05, Momentum: 0.9, Nesterov: true}, Constant(0.05), 300},
		{"Adam", NewAdam(0.1), WarmupCosine{Base: 0.1, Min: 1e-4, Warmup: 10, Total: 500}, 500},
		{"AdamW", NewAdamW(0.1, 0), WarmupCosine{Base: 0.1, Min: 1e-4, Warmup: 10, Total: 500}, 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewParam("w", 4) // starts at 0
			start := q.loss(p)
			for step := range tc.steps {
				q.grad(p)
				tc.opt.SetLR(tc.sched.LR(step))
				if err := tc.opt.Step([]*Param{p}); err != nil {
					t.Fatal(err)
				}
			}
			if end := q.loss(p); !(end < 1e-6*start) {
				t.Fatalf("loss %g → %g after %d steps; w = %v", start, end, tc.steps, p.Value.Float32s())
			}
		})
	}
}

// A weight-decayed minimum of ½(w−t)² + ½λw² is t/(1+λ); SGD and Adam with
// L2 decay must find it.
func TestOptimWeightDecayMinimum(t *testing.T) {
	for _, opt := range []Optimizer{&SGD{LR: 0.1, Momentum: 0.5, WeightDecay: 0.25}, &Adam{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.25}} {
		p := scalarParam("w", 0, 0)
		for range 3000 {
			p.Grad.Float32s()[0] = p.Value.Float32s()[0] - 2
			if err := opt.Step([]*Param{p}); err != nil {
				t.Fatal(err)
			}
		}
		if w := p.Value.Float32s()[0]; !approxF(float64(w), 2/1.25, 1e-3) {
			t.Errorf("%T: w = %g, want 1.6", opt, w)
		}
	}
}

func TestSGDHandComputed(t *testing.T) {
	// w = 1, g = 0.5 on both steps, LR 0.1, momentum 0.9, decay 0.01:
	//   step 1: g' = 0.5 + 0.01·1 = 0.51, v = 0.51, w = 1 − 0.051 = 0.949
	//   step 2: g' = 0.5 + 0.01·0.949 = 0.50949, v = 0.9·0.51 + 0.50949 = 0.96849,
	//           w = 0.949 − 0.096849 = 0.852151
	o := &SGD{LR: 0.1, Momentum: 0.9, WeightDecay: 0.01}
	p := scalarParam("w", 1, 0.5)
	o.Step([]*Param{p})
	if w := p.Value.Float32s()[0]; !approxF(float64(w), 0.949, 1e-6) {
		t.Fatalf("step 1: w = %.7g, want 0.949", w)
	}
	// A fresh Param struct of the same name (as Model.Params returns each
	// call) still finds the velocity.
	p2 := scalarParam("w", p.Value.Float32s()[0], 0.5)
	o.Step([]*Param{p2})
	if w := p2.Value.Float32s()[0]; !approxF(float64(w), 0.852151, 1e-6) {
		t.Fatalf("step 2: w = %.7g, want 0.852151", w)
	}

	// Nesterov, step 1: v = 0.51, d = 0.51 + 0.9·0.51 = 0.969, w = 0.9031.
	n := &SGD{LR: 0.1, Momentum: 0.9, WeightDecay: 0.01, Nesterov: true}
	p = scalarParam("w", 1, 0.5)
	n.Step([]*Param{p})
	if w := p.Value.Float32s()[0]; !approxF(float64(w), 0.9031, 1e-6) {
		t.Fatalf("Nesterov: w = %.7g, want 0.9031", w)
	}
}

func TestAdamHandComputed(t *testing.T) {
	// w = 1, LR 0.1, betas 0.9/0.999: step 1 with g = 0.5 moves w by LR·m̂/√v̂
	// = 0.1·0.5/0.5 = 0.1; step 2 with g = 0.25:
	//   m = 0.9·0.05 + 0.1·0.25 = 0.07,  m̂ = 0.07/0.19 = 0.368421
	//   v = 0.999·0.00025 + 0.001·0.0625 = 0.00031225,  v̂ = v/0.001999 = 0.156203
	//   w = 0.9 − 0.1·0.368421/0.395225 = 0.806782
	o := NewAdam(0.1)
	p := scalarParam("w", 1, 0.5)
	o.Step([]*Param{p})
	if w := p.Value.Float32s()[0]; !approxF(float64(w), 0.9, 1e-6) {
		t.Fatalf("step 1: w = %.7g, want 0.9", w)
	}
	p = scalarParam("w", p.Value.Float32s()[0], 0.25)
	o.Step([]*Param{p})
	if w := p.Value.Float32s()[0]; !approxF(float64(w), 0.8067820, 1e-6) {
		t.Fatalf("step 2: w = %.7g, want 0.8067820", w)
	}
}

// With a zero gradient, Adam's L2 decay goes through the √v̂ normalisation
// and moves w by a whole LR on the first step, while AdamW shrinks it by
// the factor 1 − LR·WeightDecay.
func TestAdamWDecoupledDecay(t *testing.T) {
	adam := &Adam{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}
	adamw := NewAdamW(0.1, 0.01)
	pa := scalarParam("w", 2, 0)
	pw := scalarParam("w", 2, 0)
	adam.Step([]*Param{pa})
	adamw.Step([]*Param{pw})
	if w := pa.Value.Float32s()[0]; !approxF(float64(w), 1.9, 1e-6) {
		t.Errorf("Adam L2: w = %.7g, want 2 − 0.1 = 1.9", w)
	}
	if w := pw.Value.Float32s()[0]; !approxF(float64(w), 2*(1-0.1*0.01), 1e-6) {
		t.Errorf("AdamW: w = %.7g, want 2·(1 − 0.001) = 1.998", w)
	}
	// AdamW's decay is proportional to w: a 10× larger weight shrinks 10×
	// more, where Adam's L2 step is LR whatever the size.
	big := scalarParam("w", 20, 0)
	NewAdamW(0.1, 0.01).Step([]*Param{big})
	if w := big.Value.Float32s()[0]; !approxF(float64(w), 19.98, 1e-5) {
		t.Errorf("AdamW on 20: w = %.7g, want 19.98", w)
	}
}

func TestOptimFrozenAndBuffersUnchanged(t *testing.T) {
	for _, opt := range []Optimizer{NewSGD(0.1, 0.9), NewAdam(0.1), NewAdamW(0.1, 0.1)} {
		m := testModel(4)
		m.Freeze("block.a.")
		before := map[string][]float32{}
		for _, p := range m.Params() {
			before[p.Name] = append([]float32(nil), p.Value.Float32s()...)
			if p.Grad != nil {
				for i := range p.Grad.Float32s() {
					p.Grad.Float32s()[i] = 1
				}
			}
		}
		for range 3 {
			if err := opt.Step(m.Params()); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range m.Params() {
			changed := !identicalF32(before[p.Name], p.Value.Float32s())
			if want := p.Trainable(); changed != want {
				t.Errorf("%T: %s changed = %v, want %v (frozen %v, buffer %v)", opt, p.Name, changed, want, p.Frozen, p.Buffer)
			}
		}
	}
}

func TestOptimErrors(t *testing.T) {
	p := scalarParam("w", 1, 1)
	for _, tc := range []struct {
		opt  Optimizer
		want string
	}{
		{&SGD{LR: -1}, "SGD.LR"},
		{&SGD{LR: float32(math.NaN())}, "SGD.LR"},
		{&SGD{LR: 0.1, Momentum: 1}, "SGD.Momentum"},
		{&SGD{LR: 0.1, Nesterov: true}, "Nesterov"},
		{&Adam{LR: 0.1}, "Adam.Eps"}, // a literal without NewAdam
		{&AdamW{LR: 0.1, Beta1: 0.9, Beta2: 1, Eps: 1e-8}, "AdamW.Beta2"},
	} {
		before := p.Value.Float32s()[0]
		err := tc.opt.Step([]*Param{p})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%#v: err = %v, want mention of %s", tc.opt, err, tc.want)
		}
		if p.Value.Float32s()[0] != before {
			t.Errorf("%#v moved the parameter despite the error", tc.opt)
		}
	}
	// Duplicate names and a state of another size are refused before any
	// parameter moves.
	o := NewAdam(0.1)
	a, b := scalarParam("w", 1, 1), scalarParam("w", 1, 1)
	if err := o.Step([]*Param{a, b}); err == nil || a.Value.Float32s()[0] != 1 {
		t.Errorf("duplicate names: err = %v, a = %g", err, a.Value.Float32s()[0])
	}
	o.Step([]*Param{a})
	wide := NewParam("w", 3)
	if err := o.Step([]*Param{wide}); err == nil || !strings.Contains(err.Error(), "new optimizer") {
		t.Errorf("state of another size: err = %v", err)
	}
	noGrad := &Param{Name: "x", Value: zeros(2)}
	if err := NewSGD(0.1, 0).Step([]*Param{noGrad}); err == nil {
		t.Error("parameter without gradient: no error")
	}
}
