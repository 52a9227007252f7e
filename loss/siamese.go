package loss

import (
	"fmt"
	"math"
)

// SiameseHead is the binary verifier of the notes: a logistic unit on the
// element-wise absolute difference of two embeddings,
//
//	ŷ = σ(z),  z = Σₖ Wₖ |x1ₖ − x2ₖ| + B,
//
// where ŷ is the probability that x1 and x2 show the same person. Since
// |x1ₖ − x2ₖ| ≥ 0, a trained head has mostly negative weights and a positive
// bias: a large difference in a component that matters pushes z down.
// W has one weight per embedding component.
type SiameseHead struct {
	W []float32
	B float32
}

// SiameseGrad is the gradient of SiameseHead.Loss: with respect to the
// weights W and bias B, and to the first (X1) and second (X2) embedding of
// every pair, with X1[i] and X2[i] shaped like the inputs x1[i] and x2[i].
type SiameseGrad struct {
	W      []float32
	B      float32
	X1, X2 [][]float32
}

// NewSiameseHead returns a head for embeddings of dim components with zero
// weights and bias, so that it starts at ŷ = ½ for every pair. For fixed
// embeddings the loss is convex in W and B (it is logistic regression on
// |x1 − x2|), so zero is as good a start as any. It returns an error if dim
// is negative.
func NewSiameseHead(dim int) (*SiameseHead, error) {
	if dim < 0 {
		return nil, fmt.Errorf("loss: Siamese head for %d-d embeddings: the dimension must be ≥ 0", dim)
	}
	return &SiameseHead{W: make([]float32, dim)}, nil
}

// Logit returns z = Σₖ Wₖ |x1ₖ − x2ₖ| + B, the head's score before the
// sigmoid: positive means "same person" is the likelier answer. It returns
// an error unless x1 and x2 both have len(h.W) components.
func (h *SiameseHead) Logit(x1, x2 []float32) (float32, error) {
	if err := h.checkPair(x1, x2); err != nil {
		return 0, fmt.Errorf("loss: %w", err)
	}
	return float32(h.logit(x1, x2)), nil
}

// Predict returns ŷ = σ(Logit(x1, x2)), the probability that x1 and x2
// show the same person. It returns an error unless x1 and x2 both have
// len(h.W) components.
func (h *SiameseHead) Predict(x1, x2 []float32) (float32, error) {
	if err := h.checkPair(x1, x2); err != nil {
		return 0, fmt.Errorf("loss: %w", err)
	}
	return float32(sigmoid(h.logit(x1, x2))), nil
}

// Loss returns the mean binary cross-entropy of the head over n labelled
// pairs (x1[i], x2[i]) with same[i] true when the two show the same person
// (label y = 1), and the gradient of that mean.
//
// The cross-entropy of one pair, −y·log ŷ − (1 − y)·log(1 − ŷ), is computed
// from the logit as max(z, 0) − z·y + log(1 + e^−|z|), which never takes the
// logarithm of zero nor overflows, however confident the head. Its
// derivative is ∂ℓ/∂z = ŷ − y, and from z:
//
//	∂z/∂Wₖ = |x1ₖ − x2ₖ|   ∂z/∂B = 1
//	∂z/∂x1ₖ = Wₖ·sign(x1ₖ − x2ₖ)   ∂z/∂x2ₖ = −Wₖ·sign(x1ₖ − x2ₖ)
//
// with sign(0) = 0 (a subgradient of |·| at its kink). All are divided by n
// for the mean. No pairs give a zero loss and a zero gradient. It returns an
// error if x1, x2 and same differ in length or an embedding does not have
// len(h.W) components.
func (h *SiameseHead) Loss(x1, x2 [][]float32, same []bool) (loss float32, grad SiameseGrad, err error) {
	if len(x2) != len(x1) || len(same) != len(x1) {
		return 0, SiameseGrad{}, fmt.Errorf("loss: %d first embeddings, %d second embeddings and %d labels: give one of each per pair", len(x1), len(x2), len(same))
	}
	for i := range x1 {
		if err := h.checkPair(x1[i], x2[i]); err != nil {
			return 0, SiameseGrad{}, fmt.Errorf("loss: pair %d: %w", i, err)
		}
	}
	n, dim := len(x1), len(h.W)
	grad = SiameseGrad{
		W:  make([]float32, dim),
		X1: make([][]float32, n),
		X2: make([][]float32, n),
	}
	flat := make([]float32, 2*n*dim)
	for i := range n {
		grad.X1[i] = flat[(2*i)*dim : (2*i+1)*dim : (2*i+1)*dim]
		grad.X2[i] = flat[(2*i+1)*dim : (2*i+2)*dim : (2*i+2)*dim]
	}
	if n == 0 {
		return 0, grad, nil
	}

	gW := make([]float64, dim)
	var sum, gB float64
	inv := 1 / float64(n)
	for i := range n {
		a, b := x1[i], x2[i]
		z := h.logit(a, b)
		y := 0.0
		if same[i] {
			y = 1
		}
		sum += math.Max(z, 0) - z*y + math.Log1p(math.Exp(-math.Abs(z)))
		dz := (sigmoid(z) - y) * inv
		gB += dz
		g1, g2 := grad.X1[i], grad.X2[i]
		for k, w := range h.W {
			diff := float64(a[k]) - float64(b[k])
			gW[k] += dz * math.Abs(diff)
			var s float64
			switch {
			case diff > 0:
				s = dz * float64(w)
			case diff < 0:
				s = -dz * float64(w)
			}
			g1[k] = float32(s)
			g2[k] = float32(-s)
		}
	}
	for k, v := range gW {
		grad.W[k] = float32(v)
	}
	grad.B = float32(gB)
	return float32(sum * inv), grad, nil
}

// Step applies one step of plain gradient descent with learning rate lr:
// W ← W − lr·grad.W and B ← B − lr·grad.B. It ignores grad.X1 and grad.X2,
// which belong to the embedder's backward pass. It returns an error if
// grad.W does not have len(h.W) components.
func (h *SiameseHead) Step(grad SiameseGrad, lr float32) error {
	if len(grad.W) != len(h.W) {
		return fmt.Errorf("loss: gradient has %d weights, the head has %d", len(grad.W), len(h.W))
	}
	for k, g := range grad.W {
		h.W[k] -= lr * g
	}
	h.B -= lr * grad.B
	return nil
}

// logit computes z in float64 for checked inputs.
func (h *SiameseHead) logit(x1, x2 []float32) float64 {
	z := float64(h.B)
	for k, w := range h.W {
		z += float64(w) * math.Abs(float64(x1[k])-float64(x2[k]))
	}
	return z
}

func (h *SiameseHead) checkPair(x1, x2 []float32) error {
	if len(x1) != len(h.W) || len(x2) != len(h.W) {
		return fmt.Errorf("embeddings have %d and %d values but the Siamese head has %d weights: all must match", len(x1), len(x2), len(h.W))
	}
	return nil
}

// sigmoid is σ(z) = 1/(1 + e^−z), computed without overflow for any z.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// FitRidge is the ridge penalty FitSiameseHead puts on the slope of the
// standardised distance: with pairs the distance separates completely, the
// slope settles where ŷ is about 0.85 at the two classes' mean distances
// instead of growing without bound.
const FitRidge = 0.1

// FitSiameseHead returns a head with all weights equal, fitted to labelled
// pairs as the distance verifier they already make: the logistic
// regression of the labels on the L1 distance D = ‖x1 − x2‖₁,
//
//	z = a·D + b,  Wₖ = a for every k,  B = b.
//
// It minimises the mean cross-entropy plus ½·FitRidge·α², where α = a·s is
// the slope of the distance standardised by its spread s over the pairs,
// by damped Newton steps on (α, b) (the objective is strictly convex).
//
// Training a head jointly with the embedder needs such a start: the
// gradient a pair passes to its embeddings is proportional to W
// (∂z/∂x1ₖ = Wₖ·sign(x1ₖ − x2ₖ)), so a zero head teaches the embedder
// nothing until the head has learned, while this one pulls same pairs
// together and pushes different ones apart from the first step.
//
// It returns an error unless same has one label per pair, the pairs hold
// at least one same and one different pair, and every embedding has the
// first one's length.
func FitSiameseHead(x1, x2 [][]float32, same []bool) (*SiameseHead, error) {
	if len(x2) != len(x1) || len(same) != len(x1) {
		return nil, fmt.Errorf("loss: fitting a Siamese head: %d first embeddings, %d second embeddings and %d labels: give one of each per pair", len(x1), len(x2), len(same))
	}
	var nSame int
	for _, s := range same {
		if s {
			nSame++
		}
	}
	if nSame == 0 || nSame == len(same) {
		return nil, fmt.Errorf("loss: fitting a Siamese head: %d same and %d different pairs: give at least one of each", nSame, len(same)-nSame)
	}
	h, err := NewSiameseHead(len(x1[0]))
	if err != nil {
		return nil, err
	}
	n := len(x1)
	d := make([]float64, n)
	var mean float64
	for i := range x1 {
		if err := h.checkPair(x1[i], x2[i]); err != nil {
			return nil, fmt.Errorf("loss: fitting a Siamese head: pair %d: %w", i, err)
		}
		for k := range x1[i] {
			d[i] += math.Abs(float64(x1[i][k]) - float64(x2[i][k]))
		}
		mean += d[i]
	}
	mean /= float64(n)
	var spread float64
	for _, v := range d {
		spread += (v - mean) * (v - mean)
	}
	spread = math.Sqrt(spread / float64(n))
	if !(spread > 0) {
		spread = 1 // every pair at one distance: only the bias can be fitted
	}
	u := make([]float64, n)
	for i, v := range d {
		u[i] = (v - mean) / spread
	}
	y := func(i int) float64 {
		if same[i] {
			return 1
		}
		return 0
	}
	// A tiny ridge on b keeps the Hessian invertible however confident
	// the fit; it moves b by far less than float32 resolves.
	const ridgeB = 1e-9
	objective := func(alpha, b float64) float64 {
		var sum float64
		for i := range u {
			z := alpha*u[i] + b
			sum += math.Max(z, 0) - z*y(i) + math.Log1p(math.Exp(-math.Abs(z)))
		}
		return sum/float64(n) + FitRidge/2*alpha*alpha + ridgeB/2*b*b
	}
	var alpha, b float64
	cur := objective(alpha, b)
	for range 100 {
		var ga, gb, haa, hab, hbb float64
		for i := range u {
			p := sigmoid(alpha*u[i] + b)
			r, w := p-y(i), p*(1-p)
			ga += r * u[i]
			gb += r
			haa += w * u[i] * u[i]
			hab += w * u[i]
			hbb += w
		}
		inv := 1 / float64(n)
		ga, gb = ga*inv+FitRidge*alpha, gb*inv+ridgeB*b
		haa, hab, hbb = haa*inv+FitRidge, hab*inv, hbb*inv+ridgeB
		det := haa*hbb - hab*hab
		da, db := (hbb*ga-hab*gb)/det, (haa*gb-hab*ga)/det
		if math.Abs(da) < 1e-12 && math.Abs(db) < 1e-12 {
			break
		}
		// Halve the step until the objective does not rise.
		step, moved := 1.0, false
		for range 40 {
			if next := objective(alpha-step*da, b-step*db); next <= cur {
				alpha, b, cur, moved = alpha-step*da, b-step*db, next, true
				break
			}
			step /= 2
		}
		if !moved {
			break // at the minimum to rounding
		}
	}
	a := alpha / spread
	for k := range h.W {
		h.W[k] = float32(a)
	}
	h.B = float32(b - a*mean)
	return h, nil
}
