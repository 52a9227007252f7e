package whiten

import (
	"errors"
	"fmt"
	"math"

	"github.com/oneshotface/oneshot/nn"
)

// MetaWhitening is the model metadata key Fold sets: a note of the map
// folded into the model (its shrink and the people it was learned on).
const MetaWhitening = "whitening"

// tail returns the dense layer, batch norm and L2 normalisation that end
// m's network, the shape every embedder of this project ends with.
func tail(m *nn.Model) (*nn.Sequential, *nn.Dense, *nn.BatchNorm, error) {
	if m == nil {
		return nil, nil, nil, errors.New("whiten: model is nil")
	}
	seq, ok := m.Net.(*nn.Sequential)
	if !ok {
		return nil, nil, nil, errors.New("whiten: the model is not a sequence of layers")
	}
	n := len(seq.Layers)
	if n < 3 {
		return nil, nil, nil, errors.New("whiten: the model does not end with a dense layer, a batch norm and an L2 normalisation")
	}
	dense, ok1 := seq.Layers[n-3].(*nn.Dense)
	bn, ok2 := seq.Layers[n-2].(*nn.BatchNorm)
	_, ok3 := seq.Layers[n-1].(*nn.L2Normalize)
	if !ok1 || !ok2 || !ok3 {
		return nil, nil, nil, errors.New("whiten: the model does not end with a dense layer, a batch norm and an L2 normalisation")
	}
	if bn.C != dense.Out {
		return nil, nil, nil, fmt.Errorf("whiten: the last batch norm has %d channels for a dense layer of %d outputs", bn.C, dense.Out)
	}
	return seq, dense, bn, nil
}

// DropNormalization removes the L2 normalisation that ends m's network, so
// that m outputs z, the values Learn takes. Use it on a copy of the model
// (an Embedder opened for the purpose), never on one that will be saved.
func DropNormalization(m *nn.Model) error {
	seq, _, _, err := tail(m)
	if err != nil {
		return err
	}
	seq.Layers = seq.Layers[:len(seq.Layers)-1]
	return nil
}

// Fold writes t into m's last dense layer and batch norm, so that m's
// output before its L2 normalisation becomes P(z − m) where it was z, in
// inference and with the batch norm's statistics frozen (as fine-tuning
// keeps them). The batch norm's running statistics become the whitened
// values' mean and variance over the training crops (0 and t.Var), so
// that training with batch statistics starts close to it too. m's
// metadata records the fold (MetaWhitening); a model folded once is
// refused, since t was learned on the outputs of the model as it was.
func Fold(m *nn.Model, t *Transform) error {
	_, dense, bn, err := tail(m)
	if err != nil {
		return err
	}
	if _, ok := m.Meta[MetaWhitening]; ok {
		return errors.New("whiten: the model is whitened already (metadata \"whitening\"): learn and fold on the model before it")
	}
	d := dense.Out
	if t == nil || len(t.Mean) != d || len(t.P) != d || len(t.Var) != d {
		return fmt.Errorf("whiten: the map does not fit the model's %d outputs", d)
	}
	for _, row := range t.P {
		if len(row) != d {
			return fmt.Errorf("whiten: the map does not fit the model's %d outputs", d)
		}
	}
	for _, v := range t.Var {
		if !(v > 0) || math.IsInf(v, 0) {
			return errors.New("whiten: the map's variances are not all positive")
		}
	}

	// Before: z = a ⊙ (xW + b) + c, a = γ/√(σ² + ε), c = β − a·μ.
	// After:  P(z − m) = x·W' + P(a ⊙ b + c − m), W' = W·diag(a)·Pᵀ.
	eps := float64(bn.Eps)
	gamma, beta := bn.Gamma.Value.Float32s(), bn.Beta.Value.Float32s()
	mu, sigma2 := bn.RunningMean.Value.Float32s(), bn.RunningVar.Value.Float32s()
	a := make([]float64, d)
	shift := make([]float64, d) // a ⊙ b + c − m
	var b []float32
	if dense.Bias != nil {
		b = dense.Bias.Value.Float32s()
	}
	for j := range d {
		a[j] = float64(gamma[j]) / math.Sqrt(float64(sigma2[j])+eps)
		shift[j] = float64(beta[j]) - a[j]*float64(mu[j]) - t.Mean[j]
		if b != nil {
			shift[j] += a[j] * float64(b[j])
		}
	}
	w := dense.Weight.Value.Float32s() // (In, Out)
	row := make([]float64, d)
	for i := range dense.In {
		for o := range d {
			var s float64
			for j, p := range t.P[o] {
				s += float64(w[i*d+j]) * a[j] * p
			}
			row[o] = s
		}
		for o := range d {
			w[i*d+o] = float32(row[o])
		}
	}
	// The dense output x·W' has mean −P·shift over the training crops (the
	// whitened values have mean 0) and variance t.Var; the batch norm keeps
	// those as its statistics and its γ, β undo them: γ = √(Var + ε), β = 0.
	for o := range d {
		var s float64
		for j, p := range t.P[o] {
			s += p * shift[j]
		}
		if b != nil {
			b[o] = 0
		}
		mu[o] = float32(-s)
		sigma2[o] = float32(t.Var[o])
		gamma[o] = float32(math.Sqrt(t.Var[o] + eps))
		beta[o] = 0
	}
	if m.Meta == nil {
		m.Meta = map[string]string{}
	}
	m.Meta[MetaWhitening] = fmt.Sprintf("within-person whitening (cmd/cohort -whiten), shrink %g, learned on %d people with %d faces", t.Shrink, t.People, t.Faces)
	return nil
}
