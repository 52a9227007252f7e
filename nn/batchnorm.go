package nn

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"
)

// Default batch norm constants, used when a Spec leaves them zero.
const (
	DefaultBatchNormEps      = 1e-5
	DefaultBatchNormMomentum = 0.1
)

// BatchNorm normalises each channel over the batch and rescales it:
//
//	y = γ · (x − μ) / sqrt(σ² + ε) + β
//
// per channel, over the N·H·W values of an NHWC tensor or the N values of
// an (N, F) matrix (F channels). In training μ and σ² are the batch's mean
// and (biased) variance, and the running estimates move towards them:
// running = (1 − momentum)·running + momentum·batch, the variance unbiased
// by M/(M−1) for M values per channel. In inference the running estimates
// replace the batch statistics, making the layer a fixed per-channel affine
// map that FoldBatchNorm can merge into the convolution before it.
type BatchNorm struct {
	Name     string
	C        int     // channels
	Eps      float32 // ε, added to the variance
	Momentum float32 // weight of the batch in the running estimates
	// FrozenStats makes training Forward calls use and keep the running
	// statistics, as in inference, while Backward still trains γ and β.
	// Set it to fine-tune on batches too small for their own statistics.
	FrozenStats bool

	Gamma, Beta             *Param // "gamma" (init 1), "beta" (init 0), (C)
	RunningMean, RunningVar *Param // buffers "running_mean" (0), "running_var" (1), (C)

	trained    bool
	rows       int
	xhat       []float32 // normalised input of the last training Forward
	invStd     []float32 // 1/sqrt(σ²+ε) per channel used by it
	gradB      []float32 // Σ dy·x̂/M per channel, for Backward's rows
	mean, acc  []float64 // per-channel accumulators
	acc2       []float64
	part       []float64 // the bands' own sums (bandSums)
	xs, gs     []float32 // input of Forward, dy of Backward, while they run
	scale, sft []float32 // inference affine map
	y, dx      *tensor.Dense
}

func init() {
	register("batchnorm", func(s Spec) (Layer, error) {
		return NewBatchNorm(s.Name, s.In, s.Eps, s.Momentum)
	})
}

// NewBatchNorm makes a batch norm over c channels with γ = 1, β = 0, running
// mean 0 and running variance 1. Zero eps or momentum mean the defaults.
func NewBatchNorm(name string, c int, eps, momentum float32) (*BatchNorm, error) {
	if c < 1 {
		return nil, fmt.Errorf("nn: %s: %d channels, must be at least 1", layerID("batchnorm", name), c)
	}
	if eps < 0 || momentum < 0 || momentum > 1 || eps != eps || momentum != momentum {
		return nil, fmt.Errorf("nn: %s: eps %g and momentum %g, want eps ≥ 0 and momentum in [0, 1]", layerID("batchnorm", name), eps, momentum)
	}
	if eps == 0 {
		eps = DefaultBatchNormEps
	}
	if momentum == 0 {
		momentum = DefaultBatchNormMomentum
	}
	bn := &BatchNorm{Name: name, C: c, Eps: eps, Momentum: momentum,
		Gamma: NewParam("gamma", c), Beta: NewParam("beta", c),
		RunningMean: NewBuffer("running_mean", 0, c), RunningVar: NewBuffer("running_var", 1, c)}
	fill(bn.Gamma.Value, 1)
	return bn, nil
}

func (bn *BatchNorm) id() layerName { return layerID("batchnorm", bn.Name) }

func (bn *BatchNorm) validState() error {
	if !paramOK(bn.Gamma, bn.C, true) || !paramOK(bn.Beta, bn.C, true) ||
		!paramOK(bn.RunningMean, bn.C, false) || !paramOK(bn.RunningVar, bn.C, false) {
		return fmt.Errorf("nn: %s: parameters are not %d-long vectors", bn.id(), bn.C)
	}
	if bn.C < 1 || !(bn.Eps > 0) {
		return fmt.Errorf("nn: %s: needs at least one channel and eps > 0", bn.id())
	}
	return nil
}

// inferenceMap sets scale = γ/sqrt(running σ² + ε) and sft = β − running μ·scale.
func (bn *BatchNorm) inferenceMap() {
	c := bn.C
	bn.scale, bn.sft = growF32(bn.scale, c), growF32(bn.sft, c)
	g, b := bn.Gamma.Value.Float32s(), bn.Beta.Value.Float32s()
	rm, rv := bn.RunningMean.Value.Float32s(), bn.RunningVar.Value.Float32s()
	for i := 0; i < c; i++ {
		s := float32(1 / math.Sqrt(float64(rv[i])+float64(bn.Eps)))
		bn.scale[i] = g[i] * s
		bn.sft[i] = b[i] - rm[i]*g[i]*s
	}
}

// Forward normalises x, (N, H, W, C) or (N, C), with batch statistics in
// training (at least two values per channel needed) and running ones in
// inference. Its passes over the rows run in bands (see forBands).
func (bn *BatchNorm) Forward(x *tensor.Dense, training bool) (*tensor.Dense, error) {
	bn.trained = false
	if err := bn.validState(); err != nil {
		return nil, err
	}
	rows, err := channelRows(bn.id(), x, bn.C)
	if err != nil {
		return nil, err
	}
	c := bn.C
	nb := bandCount(rows, c)
	bn.y = reuse(bn.y, x.Shape()...)
	bn.xs = x.Float32s()
	defer func() { bn.xs = nil }()
	if !training {
		bn.inferenceMap()
		forBands(rows, nb, bn, (*BatchNorm).inferRows)
		return bn.y, nil
	}
	bn.invStd = growF32(bn.invStd, c)
	bn.mean = growF64(bn.mean, c)
	inv, mean := bn.invStd[:c], bn.mean[:c]
	rm, rv := bn.RunningMean.Value.Float32s()[:c], bn.RunningVar.Value.Float32s()[:c]
	if bn.FrozenStats {
		for i := range mean {
			mean[i] = float64(rm[i])
			inv[i] = float32(1 / math.Sqrt(float64(rv[i])+float64(bn.Eps)))
		}
	} else {
		if rows < 2 {
			return nil, fmt.Errorf("nn: %s: training needs more than one value per channel, got shape %v (use a larger batch, inference mode or FrozenStats)", bn.id(), x.Shape())
		}
		sum, sq := bn.bandSums(rows, (*BatchNorm).statRows)
		k := bn.xs[:c]
		m := float64(rows)
		for i := range mean {
			d := sum[i] / m
			mean[i] = float64(k[i]) + d
			sq[i] = max(sq[i]/m-d*d, 0) * m // Σ(x−μ)²
		}
		mom := float64(bn.Momentum)
		for i := range mean {
			v := sq[i] / m
			inv[i] = float32(1 / math.Sqrt(v+float64(bn.Eps)))
			rm[i] = float32((1-mom)*float64(rm[i]) + mom*mean[i])
			rv[i] = float32((1-mom)*float64(rv[i]) + mom*v*m/(m-1))
		}
	}
	bn.xhat = growF32(bn.xhat, rows*c)
	bn.sft = growF32(bn.sft, c)
	for i, v := range mean {
		bn.sft[i] = float32(v) // μ, for normaliseRows
	}
	forBands(rows, nb, bn, (*BatchNorm).normaliseRows)
	bn.rows, bn.trained = rows, true
	return bn.y, nil
}

// inferRows is inference on rows [lo, hi): y = x·scale + sft.
func (bn *BatchNorm) inferRows(_, lo, hi int) {
	c := bn.C
	scale, sft := bn.scale[:c], bn.sft[:c]
	xs, ys := bn.xs, bn.y.Float32s()
	for r := lo; r < hi; r++ {
		affineRow(ys[r*c:(r+1)*c], xs[r*c:(r+1)*c], scale, sft)
	}
}

// statRows adds Σ(x−k) and Σ(x−k)² over rows [lo, hi) into band b's
// sums, shifted by the first row k so that a large mean does not cancel
// the variance away.
func (bn *BatchNorm) statRows(b, lo, hi int) {
	c := bn.C
	sum, sq := bn.bandPart(b)
	k := bn.xs[:c][:len(sum)]
	for r := lo; r < hi; r++ {
		for i, v := range bn.xs[r*c : (r+1)*c][:len(sum)] {
			d := float64(v) - float64(k[i])
			sum[i] += d
			sq[i] += d * d
		}
	}
}

// normaliseRows is training on rows [lo, hi): x̂ = (x − μ)/sqrt(σ² + ε)
// (μ in sft), y = γ·x̂ + β.
func (bn *BatchNorm) normaliseRows(_, lo, hi int) {
	c := bn.C
	inv, mu := bn.invStd[:c], bn.sft[:c]
	g, b := bn.Gamma.Value.Float32s()[:c], bn.Beta.Value.Float32s()[:c]
	xs, ys := bn.xs, bn.y.Float32s()
	for r := lo; r < hi; r++ {
		normaliseRow(ys[r*c:(r+1)*c], bn.xhat[r*c:(r+1)*c], xs[r*c:(r+1)*c], mu, inv, g, b)
	}
}

// Backward adds dL/dγ = Σ dy·x̂ and dL/dβ = Σ dy, and returns
//
//	dx = γ/(M·sqrt(σ²+ε)) · (M·dy − Σ dy − x̂ · Σ dy·x̂)
//
// through the batch statistics (sums over the M values of each channel), or
// dx = γ·dy/sqrt(σ²+ε) with FrozenStats.
func (bn *BatchNorm) Backward(dy *tensor.Dense) (*tensor.Dense, error) {
	if err := checkBackward(bn.id(), bn.trained, bn.y, dy); err != nil {
		return nil, err
	}
	c, rows := bn.C, bn.rows
	bn.dx = reuse(bn.dx, dy.Shape()...)
	bn.gs = dy.Float32s()
	defer func() { bn.gs = nil }()
	sdy, sdyx := bn.bandSums(rows, (*BatchNorm).gradSumRows)
	dg, db := bn.Gamma.Grad.Float32s()[:c], bn.Beta.Grad.Float32s()[:c]
	for i := range sdy {
		dg[i] += float32(sdyx[i])
		db[i] += float32(sdy[i])
	}
	// dx = k·(dy − a − x̂·b) with k = γ/sqrt(σ²+ε), a = Σdy/M, b = Σdy·x̂/M;
	// with FrozenStats a = b = 0.
	bn.gradB = growF32(bn.gradB, c)
	g, inv, b := bn.Gamma.Value.Float32s()[:c], bn.invStd[:c], bn.gradB[:c]
	bn.scale, bn.sft = growF32(bn.scale, c), growF32(bn.sft, c)
	k, a := bn.scale[:c], bn.sft[:c]
	m := float64(rows)
	for i := range k {
		k[i] = g[i] * inv[i]
		a[i] = float32(sdy[i] / m)
		b[i] = float32(sdyx[i] / m)
		if bn.FrozenStats {
			a[i], b[i] = 0, 0
		}
	}
	forBands(rows, bandCount(rows, c), bn, (*BatchNorm).gradRows)
	return bn.dx, nil
}

// gradSumRows adds Σ dy and Σ dy·x̂ over rows [lo, hi) into band b's sums.
func (bn *BatchNorm) gradSumRows(b, lo, hi int) {
	c := bn.C
	sdy, sdyx := bn.bandPart(b)
	for r := lo; r < hi; r++ {
		gr, hr := bn.gs[r*c : (r+1)*c][:len(sdy)], bn.xhat[r*c : (r+1)*c][:len(sdy)]
		for i, v := range gr {
			sdy[i] += float64(v)
			sdyx[i] += float64(v * hr[i])
		}
	}
}

// gradRows is dx = k·(dy − a − x̂·b) on rows [lo, hi), k in scale, a in
// sft and b in gradB (see Backward).
func (bn *BatchNorm) gradRows(_, lo, hi int) {
	c := bn.C
	k, a, b := bn.scale[:c], bn.sft[:c], bn.gradB[:c]
	gs, dxs := bn.gs, bn.dx.Float32s()
	for r := lo; r < hi; r++ {
		bnGradRow(dxs[r*c:(r+1)*c], gs[r*c:(r+1)*c], bn.xhat[r*c:(r+1)*c], k, a, b)
	}
}

// bandSums returns two per-channel sums over rows rows: rows(bn, b, lo,
// hi) adds band b's into bandPart(b), and the bands' are added in band
// order (see forBands). The returned slices are bn.acc and bn.acc2.
func (bn *BatchNorm) bandSums(rows int, sumRows func(bn *BatchNorm, b, lo, hi int)) (s1, s2 []float64) {
	c := bn.C
	nb := bandCount(rows, c)
	bn.part = growF64(bn.part, 2*nb*c)
	clear(bn.part)
	forBands(rows, nb, bn, sumRows)
	bn.acc, bn.acc2 = growF64(bn.acc, c), growF64(bn.acc2, c)
	s1, s2 = bn.acc[:c], bn.acc2[:c]
	clear(s1)
	clear(s2)
	for b := range nb {
		p1, p2 := bn.bandPart(b)
		for i := range s1 {
			s1[i] += p1[i]
			s2[i] += p2[i]
		}
	}
	return s1, s2
}

// bandPart is band b's two sums of bandSums.
func (bn *BatchNorm) bandPart(b int) (s1, s2 []float64) {
	c := bn.C
	return bn.part[2*b*c : (2*b+1)*c], bn.part[(2*b+1)*c : (2*b+2)*c]
}

// Params lists "gamma", "beta" and the buffers "running_mean", "running_var".
func (bn *BatchNorm) Params() []*Param {
	return []*Param{bn.Gamma, bn.Beta, bn.RunningMean, bn.RunningVar}
}

// Spec describes the layer.
func (bn *BatchNorm) Spec() Spec {
	return Spec{Type: "batchnorm", Name: bn.Name, In: bn.C, Eps: bn.Eps, Momentum: bn.Momentum}
}

// FoldBatchNorm merges an inference-mode batch norm into the convolution
// before it: W[..., o] ← W[..., o]·s[o] and b[o] ← (b[o] − μ[o])·s[o] + β[o]
// with s = γ/sqrt(running σ² + ε), adding a bias to conv if it has none.
// Afterwards conv alone computes what conv followed by bn computed in
// inference; remove bn from the network (the caller owns the structure).
func FoldBatchNorm(conv *Conv2D, bn *BatchNorm) error {
	if conv == nil || bn == nil {
		return fmt.Errorf("nn: FoldBatchNorm needs a convolution and a batch norm, got nil")
	}
	if err := bn.validState(); err != nil {
		return err
	}
	if bn.C != conv.Out {
		return fmt.Errorf("nn: cannot fold %s (%d channels) into %s (%d output channels)", bn.id(), bn.C, conv.id(), conv.Out)
	}
	bn.inferenceMap()
	return foldScale(conv, bn.scale[:bn.C], bn.sft[:bn.C])
}

// foldScale sets conv to compute conv(x)·scale + shift per output channel.
func foldScale(conv *Conv2D, scale, shift []float32) error {
	if err := conv.validState(); err != nil {
		return err
	}
	out := conv.Out
	w := conv.Weight.Value.Float32s()
	for i := range w {
		w[i] *= scale[i%out]
	}
	if conv.Bias == nil {
		conv.Bias = NewParam("bias", out)
	}
	b := conv.Bias.Value.Float32s()
	for o := 0; o < out; o++ {
		b[o] = b[o]*scale[o] + shift[o]
	}
	return nil
}
