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
