package nn

import "math"

// Schedule gives the learning rate for each optimizer step, counted from 0.
// A training loop sets it before every step:
//
//	opt.SetLR(sched.LR(step))
//	opt.Step(m.Params())
//
// Negative steps are treated as step 0.
type Schedule interface {
	LR(step int) float32
}

// ScheduleFunc adapts a function to a Schedule.
type ScheduleFunc func(step int) float32

// LR returns f(step).
func (f ScheduleFunc) LR(step int) float32 { return f(step) }

// Constant is the same learning rate at every step.
type Constant float32

// LR returns c.
func (c Constant) LR(int) float32 { return float32(c) }

// StepDecay multiplies the learning rate by Factor every Every steps:
//
//	lr(step) = Base · Factor^⌊step / Every⌋
//
// For example {Base: 0.1, Every: 1000, Factor: 0.1} gives 0.1 for steps
// 0–999, 0.01 for 1000–1999, and so on. Every ≤ 0 means no decay.
type StepDecay struct {
	Base   float32
	Every  int
	Factor float32
}

// LR returns the decayed rate at step.
func (s StepDecay) LR(step int) float32 {
	if s.Every <= 0 || step < s.Every {
		return s.Base
	}
	return float32(float64(s.Base) * math.Pow(float64(s.Factor), float64(step/s.Every)))
}

// WarmupCosine rises linearly from Base/Warmup to Base over the first
// Warmup steps, then follows half a cosine from Base down to Min, reached at
// step Total (the number of steps of the run), and stays there:
//
//	step < Warmup:           lr = Base · (step+1) / Warmup
//	Warmup ≤ step < Total:   lr = Min + (Base−Min) · (1 + cos(π·p)) / 2,
//	                         p = (step−Warmup) / (Total−Warmup)
//	step ≥ Total:            lr = Min
//
// The warmup starts above zero so the first step is not wasted. Warmup
// keeps Adam's early, poorly estimated updates small; the cosine tail lets
// training settle. Warmup 0 means no warmup.
type WarmupCosine struct {
	Base, Min     float32
	Warmup, Total int
}

// LR returns the rate at step.
func (s WarmupCosine) LR(step int) float32 {
	step = max(step, 0)
	if step < s.Warmup {
		return s.Base * float32(step+1) / float32(s.Warmup)
	}
	if step >= s.Total {
		return s.Min
	}
	p := float64(step-s.Warmup) / float64(s.Total-s.Warmup)
	return s.Min + (s.Base-s.Min)*float32((1+math.Cos(math.Pi*p))/2)
}
