package nn

import (
	"fmt"
	"math"
)

// Optimizer updates parameters from their gradients. Step skips every
// parameter that is not Trainable (buffers and frozen ones) and leaves its
// state alone. Optimizers keep per-parameter state (momentum, moment
// estimates) keyed by parameter name, so pass the parameters of one model,
// for example m.Params(), on every call; the slice may be a fresh one each
// time. Step checks everything before it changes anything: on error no
// parameter has moved.
type Optimizer interface {
	Step(params []*Param) error
	// SetLR sets the learning rate for the next steps; a Schedule gives it.
	SetLR(lr float32)
}

// SGD is stochastic gradient descent with optional momentum, Nesterov
// momentum and L2 weight decay, following PyTorch's torch.optim.SGD (no
// dampening). For each trainable parameter w with gradient g:
//
//	g ← g + WeightDecay·w
//	v ← Momentum·v + g                  (v starts at 0)
//	d ← g + Momentum·v  with Nesterov, else  d ← v
//	w ← w − LR·d
//
// With Momentum 0 this is plain w ← w − LR·g.
type SGD struct {
	LR          float32
	Momentum    float32 // in [0, 1); 0.9 is usual
	Nesterov    bool    // needs Momentum > 0
	WeightDecay float32 // L2 penalty coefficient, ≥ 0

	velocity map[string][]float32
}

// NewSGD makes an SGD optimizer with the given learning rate and momentum.
func NewSGD(lr, momentum float32) *SGD { return &SGD{LR: lr, Momentum: momentum} }

// SetLR sets the learning rate.
func (o *SGD) SetLR(lr float32) { o.LR = lr }

// Step applies one update to every trainable parameter.
func (o *SGD) Step(params []*Param) error {
	if err := checkHyper("SGD", "LR", o.LR, 0, inf); err != nil {
		return err
	}
	if err := checkHyper("SGD", "Momentum", o.Momentum, 0, 1); err != nil {
		return err
	}
	if err := checkHyper("SGD", "WeightDecay", o.WeightDecay, 0, inf); err != nil {
		return err
	}
	if o.Nesterov && o.Momentum == 0 {
		return fmt.Errorf("nn: SGD with Nesterov needs Momentum > 0 (0.9 is usual)")
	}
	if o.velocity == nil {
		o.velocity = map[string][]float32{}
	}
	train, err := checkParams("SGD", params, func(p *Param) int {
		if v, ok := o.velocity[p.Name]; ok {
			return len(v)
		}
		return -1
	})
	if err != nil {
		return err
	}
	lr, mu, wd := o.LR, o.Momentum, o.WeightDecay
	for _, p := range train {
		w, g := p.Value.Float32s(), p.Grad.Float32s()
		if mu == 0 {
			for i := range w {
				w[i] -= lr * (g[i] + wd*w[i])
			}
			continue
		}
		v, ok := o.velocity[p.Name]
		if !ok {
			v = make([]float32, len(w))
			o.velocity[p.Name] = v
		}
		for i := range w {
			gi := g[i] + wd*w[i]
			v[i] = mu*v[i] + gi
			if o.Nesterov {
				w[i] -= lr * (gi + mu*v[i])
			} else {
				w[i] -= lr * v[i]
			}
		}
	}
	return nil
}

// Adam is the Adam optimizer (Kingma & Ba, 2015) with bias correction and
// optional L2 weight decay added to the gradient, following PyTorch's
// torch.optim.Adam. For each trainable parameter w with gradient g, at its
// t-th step (t = 1, 2, …):
//
//	g ← g + WeightDecay·w
//	m ← Beta1·m + (1−Beta1)·g           (m, v start at 0)
//	v ← Beta2·v + (1−Beta2)·g²
//	m̂ = m / (1 − Beta1ᵗ),  v̂ = v / (1 − Beta2ᵗ)
//	w ← w − LR·m̂ / (√v̂ + Eps)
//
// Because the decay term passes through the division by √v̂, Adam's L2
// decay is not a uniform shrinking: a weight with small gradients is
// pulled towards 0 by almost LR per step, one with large gradients hardly
// at all. AdamW decouples the two and is usually what you want.
type Adam struct {
	LR          float32
	Beta1       float32 // in [0, 1); NewAdam uses 0.9
	Beta2       float32 // in [0, 1); NewAdam uses 0.999
	Eps         float32 // > 0; NewAdam uses 1e-8
	WeightDecay float32 // L2 penalty coefficient, ≥ 0

	state map[string]*adamState
}

// AdamW is Adam with decoupled weight decay (Loshchilov & Hutter, 2019),
// following PyTorch's torch.optim.AdamW: before the Adam update (with the
// raw gradient) every trainable weight shrinks by the same factor,
//
//	w ← w·(1 − LR·WeightDecay)
//
// so the decay does not depend on the gradient's history. With a zero
// gradient and WeightDecay 0.01, LR 0.1, a weight w becomes 0.999·w, where
// Adam's L2 decay would move it by a full LR·sign(w) on its first step.
type AdamW struct {
	LR          float32
	Beta1       float32 // in [0, 1); NewAdamW uses 0.9
	Beta2       float32 // in [0, 1); NewAdamW uses 0.999
	Eps         float32 // > 0; NewAdamW uses 1e-8
	WeightDecay float32 // decoupled decay, ≥ 0; 0.01 is PyTorch's default

	state map[string]*adamState
}

// NewAdam makes an Adam optimizer with the usual Beta1 0.9, Beta2 0.999,
// Eps 1e-8 and no weight decay.
func NewAdam(lr float32) *Adam { return &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} }

// NewAdamW makes an AdamW optimizer with the usual Beta1 0.9, Beta2 0.999,
// Eps 1e-8 and the given decoupled weight decay.
func NewAdamW(lr, weightDecay float32) *AdamW {
	return &AdamW{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: weightDecay}
}

// SetLR sets the learning rate.
func (o *Adam) SetLR(lr float32) { o.LR = lr }

// SetLR sets the learning rate.
func (o *AdamW) SetLR(lr float32) { o.LR = lr }

// Step applies one update to every trainable parameter.
func (o *Adam) Step(params []*Param) error {
	if o.state == nil {
		o.state = map[string]*adamState{}
	}
	return adamStep("Adam", o.state, params, o.LR, o.Beta1, o.Beta2, o.Eps, o.WeightDecay, false)
}

// Step applies one update to every trainable parameter.
func (o *AdamW) Step(params []*Param) error {
	if o.state == nil {
		o.state = map[string]*adamState{}
	}
	return adamStep("AdamW", o.state, params, o.LR, o.Beta1, o.Beta2, o.Eps, o.WeightDecay, true)
}

// adamState is one parameter's first and second moment estimates and its
// step count (per parameter, so one unfrozen later starts its bias
// correction afresh).
type adamState struct {
	m, v []float32
	t    int
}

func adamStep(name string, state map[string]*adamState, params []*Param, lr, b1, b2, eps, wd float32, decoupled bool) error {
	if err := checkHyper(name, "LR", lr, 0, inf); err != nil {
		return err
	}
	if err := checkHyper(name, "Beta1", b1, 0, 1); err != nil {
		return err
	}
	if err := checkHyper(name, "Beta2", b2, 0, 1); err != nil {
		return err
	}
	if !(eps > 0) || math.IsInf(float64(eps), 0) {
		return fmt.Errorf("nn: %s.Eps is %g, it must be > 0 (1e-8 is usual; New%s sets it)", name, eps, name)
	}
	if err := checkHyper(name, "WeightDecay", wd, 0, inf); err != nil {
		return err
	}
	train, err := checkParams(name, params, func(p *Param) int {
		if s, ok := state[p.Name]; ok {
			return len(s.m)
		}
		return -1
	})
	if err != nil {
		return err
	}
	for _, p := range train {
		w, g := p.Value.Float32s(), p.Grad.Float32s()
		s, ok := state[p.Name]
		if !ok {
			s = &adamState{m: make([]float32, len(w)), v: make([]float32, len(w))}
			state[p.Name] = s
		}
		s.t++
		// Bias corrections in float64: 1 − 0.999ᵗ is tiny for small t.
		bc1 := 1 - math.Pow(float64(b1), float64(s.t))
		bc2 := 1 - math.Pow(float64(b2), float64(s.t))
		stepSize := float32(float64(lr) / bc1)
		rbc2 := float32(1 / math.Sqrt(bc2))
		l2, shrink := wd, float32(1)
		if decoupled {
			l2, shrink = 0, 1-lr*wd
		}
		m, v := s.m, s.v
		for i := range w {
			if decoupled {
				w[i] *= shrink
			}
			gi := g[i] + l2*w[i]
			m[i] = b1*m[i] + (1-b1)*gi
			v[i] = b2*v[i] + (1-b2)*gi*gi
			denom := float32(math.Sqrt(float64(v[i])))*rbc2 + eps
			w[i] -= stepSize * m[i] / denom
		}
	}
	return nil
}

const inf = float32(math.MaxFloat32)

// checkHyper checks lo ≤ v < hi (v ≤ hi when hi is inf, meaning any finite
// value).
func checkHyper(opt, field string, v, lo, hi float32) error {
	ok := v >= lo && v < hi
	if hi == inf {
		ok = v >= lo && v <= hi
	}
	if !ok {
		if hi == inf {
			return fmt.Errorf("nn: %s.%s is %g, it must be a finite number ≥ %g", opt, field, v, lo)
		}
		return fmt.Errorf("nn: %s.%s is %g, it must be in [%g, %g)", opt, field, v, lo, hi)
	}
	return nil
}

// checkParams returns the trainable parameters after checking that each
// has a gradient of its shape, that names are unique, and that any state
// the optimizer holds for a name (stateLen ≥ 0) has the parameter's size.
func checkParams(opt string, params []*Param, stateLen func(*Param) int) ([]*Param, error) {
	seen := make(map[string]bool, len(params))
	train := make([]*Param, 0, len(params))
	for _, p := range params {
		if p == nil {
			return nil, fmt.Errorf("nn: %s.Step: a parameter is nil", opt)
		}
		if !p.Trainable() {
			continue
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("nn: %s.Step: two parameters are named %q; optimizer state is kept by name, so names must be unique (give the layers distinct names)", opt, p.Name)
		}
		seen[p.Name] = true
		if p.Value == nil || p.Grad == nil {
			return nil, fmt.Errorf("nn: %s.Step: parameter %s has no value or gradient; mark state that is not trained as a Buffer", opt, p.Name)
		}
		n := len(p.Value.Float32s())
		if len(p.Grad.Float32s()) != n {
			return nil, fmt.Errorf("nn: %s.Step: parameter %s has %d values but a gradient of %d", opt, p.Name, n, len(p.Grad.Float32s()))
		}
		if s := stateLen(p); s >= 0 && s != n {
			return nil, fmt.Errorf("nn: %s.Step: parameter %s has %d values, but this optimizer's state for that name has %d; use a new optimizer for a different model", opt, p.Name, n, s)
		}
		train = append(train, p)
	}
	return train, nil
}

// MomentState is one parameter's Adam state — first and second moment
// estimates and step count — as saved in a training checkpoint.
type MomentState struct {
	M, V []float32
	T    int
}

// State returns a copy of the optimizer's per-parameter state, keyed by
// parameter name, for a checkpoint.
func (o *AdamW) State() map[string]MomentState { return exportAdam(o.state) }

// SetState replaces the optimizer's state with a copy of s (from State),
// so a resumed run continues exactly where the checkpoint stopped.
func (o *AdamW) SetState(s map[string]MomentState) { o.state = importAdam(s) }

// State returns a copy of the optimizer's per-parameter state.
func (o *Adam) State() map[string]MomentState { return exportAdam(o.state) }

// SetState replaces the optimizer's state with a copy of s.
func (o *Adam) SetState(s map[string]MomentState) { o.state = importAdam(s) }

func exportAdam(state map[string]*adamState) map[string]MomentState {
	out := make(map[string]MomentState, len(state))
	for k, s := range state {
		out[k] = MomentState{M: append([]float32(nil), s.m...), V: append([]float32(nil), s.v...), T: s.t}
	}
	return out
}

func importAdam(s map[string]MomentState) map[string]*adamState {
	out := make(map[string]*adamState, len(s))
	for k, v := range s {
		out[k] = &adamState{m: append([]float32(nil), v.M...), v: append([]float32(nil), v.V...), t: v.T}
	}
	return out
}
