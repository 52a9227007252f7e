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
//
// batchNormStatsRef, batchNormForwardRef, batchNormRunningRef and
// batchNormBackwardRef (reference.go) are its math as plain loops. Forward
// and Backward reduce it to per-channel coefficients (μ and 1/sqrt(σ²+ε),
// or the inference map, or the k, a, b of Backward) and hand them with the
// rows to band passes (bnStats, bnNormalise, bnAffine, bnGradSums, bnGrad;
// see forBands), whose per-value arithmetic is rows.go's row kernels.
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

	trained bool
	rows    int       // rows of the last training Forward
	xhat    []float32 // its normalised input, x̂, for Backward
	invStd  []float32 // its 1/sqrt(σ²+ε) per channel, for Backward
	y, dx   *tensor.Dense

	// Scratch, reused between calls so that a steady stream allocates
	// nothing; every pass is handed the parts it uses as arguments.
	coef      []float32 // per-channel coefficients of one pass, 3·C
	mean      []float64 // per-channel μ of a training Forward
	acc, acc2 []float64 // per-channel sums of the bands
	part      []float64 // the bands' own sums (bandSums)
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

// inferenceMap writes the inference affine map, y = x·scale + shift per
// channel, into scale and shift: scale = γ/sqrt(running σ² + ε) and
// shift = β − running μ·scale.
func (bn *BatchNorm) inferenceMap(scale, shift []float32) {
	c := bn.C
	g, b := bn.Gamma.Value.Float32s(), bn.Beta.Value.Float32s()
	rm, rv := bn.RunningMean.Value.Float32s(), bn.RunningVar.Value.Float32s()
	for i := 0; i < c; i++ {
		s := float32(1 / math.Sqrt(float64(rv[i])+float64(bn.Eps)))
		scale[i] = g[i] * s
		shift[i] = b[i] - rm[i]*g[i]*s
	}
}

// sumScratch is zeroed room for the two per-channel sums of nb bands.
func (bn *BatchNorm) sumScratch(nb int) bandSums {
	c := bn.C
	bn.part = growF64(bn.part, 2*nb*c)
	clear(bn.part)
	return bandSums{c: c, part: bn.part}
}

// totals adds the bands' sums in band order (see bandSums) and returns
// them, in the layer's scratch.
func (bn *BatchNorm) totals(sums bandSums, nb int) (s1, s2 []float64) {
	c := bn.C
	bn.acc, bn.acc2 = growF64(bn.acc, c), growF64(bn.acc2, c)
	s1, s2 = bn.acc[:c], bn.acc2[:c]
	sums.total(nb, s1, s2)
	return s1, s2
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
	xs, ys := x.Float32s(), bn.y.Float32s()
	bn.coef = growF32(bn.coef, 3*c)
	if !training {
		scale, shift := bn.coef[:c], bn.coef[c:2*c]
		bn.inferenceMap(scale, shift)
		forBands(rows, nb, bnAffine{c: c, x: xs, y: ys, scale: scale, shift: shift}, bnAffineRows)
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
		sums := bn.sumScratch(nb)
		forBands(rows, nb, bnStats{c: c, x: xs, sums: sums}, bnStatRows)
		sum, sq := bn.totals(sums, nb)
		k := xs[:c]
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
	mu := bn.coef[:c]
	for i, v := range mean {
		mu[i] = float32(v)
	}
	forBands(rows, nb, bnNormalise{c: c, x: xs, y: ys, xhat: bn.xhat, mu: mu, inv: inv,
		gamma: bn.Gamma.Value.Float32s()[:c], beta: bn.Beta.Value.Float32s()[:c]}, bnNormaliseRows)
	bn.rows, bn.trained = rows, true
	return bn.y, nil
}

// bnAffine is inference on bands of rows of C channels: y = x·scale + shift.
type bnAffine struct {
	c            int
	x, y         []float32
	scale, shift []float32
}

func bnAffineRows(a bnAffine, _, lo, hi int) {
	c, xs, ys := a.c, a.x, a.y
	scale, shift := a.scale[:c], a.shift[:c]
	for r := lo; r < hi; r++ {
		affineRow(ys[r*c:(r+1)*c], xs[r*c:(r+1)*c], scale, shift)
	}
}

// bnStats sums x − k and (x − k)² per channel over bands of rows into
// band b's sums, k being the first row of x, so that a large mean does not
// cancel the variance away.
type bnStats struct {
	c    int
	x    []float32
	sums bandSums
}

func bnStatRows(a bnStats, b, lo, hi int) {
	c, xs := a.c, a.x
	sum, sq := a.sums.band(b)
	k := xs[:c][:len(sum)]
	for r := lo; r < hi; r++ {
		for i, v := range xs[r*c : (r+1)*c][:len(sum)] {
			d := float64(v) - float64(k[i])
			sum[i] += d
			sq[i] += d * d
		}
	}
}

// bnNormalise is training on bands of rows: x̂ = (x − μ)·inv with inv =
// 1/sqrt(σ² + ε), kept in xhat, and y = γ·x̂ + β.
type bnNormalise struct {
	c                    int
	x, y, xhat           []float32
	mu, inv, gamma, beta []float32
}

func bnNormaliseRows(a bnNormalise, _, lo, hi int) {
	c, xs, ys, xhat := a.c, a.x, a.y, a.xhat
	mu, inv, g, b := a.mu[:c], a.inv[:c], a.gamma[:c], a.beta[:c]
	for r := lo; r < hi; r++ {
		normaliseRow(ys[r*c:(r+1)*c], xhat[r*c:(r+1)*c], xs[r*c:(r+1)*c], mu, inv, g, b)
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
	nb := bandCount(rows, c)
	bn.dx = reuse(bn.dx, dy.Shape()...)
	gs := dy.Float32s()
	sums := bn.sumScratch(nb)
	forBands(rows, nb, bnGradSums{c: c, dy: gs, xhat: bn.xhat, sums: sums}, bnGradSumRows)
	sdy, sdyx := bn.totals(sums, nb)
	dg, db := bn.Gamma.Grad.Float32s()[:c], bn.Beta.Grad.Float32s()[:c]
	for i := range sdy {
		dg[i] += float32(sdyx[i])
		db[i] += float32(sdy[i])
	}
	// dx = k·(dy − a − x̂·b) with k = γ/sqrt(σ²+ε), a = Σdy/M, b = Σdy·x̂/M;
	// with FrozenStats a = b = 0.
	bn.coef = growF32(bn.coef, 3*c)
	k, a, b := bn.coef[:c], bn.coef[c:2*c], bn.coef[2*c:3*c]
	g, inv := bn.Gamma.Value.Float32s()[:c], bn.invStd[:c]
	m := float64(rows)
	for i := range k {
		k[i] = g[i] * inv[i]
		a[i] = float32(sdy[i] / m)
		b[i] = float32(sdyx[i] / m)
		if bn.FrozenStats {
			a[i], b[i] = 0, 0
		}
	}
	forBands(rows, nb, bnGrad{c: c, dy: gs, xhat: bn.xhat, dx: bn.dx.Float32s(), k: k, a: a, b: b}, bnGradRows)
	return bn.dx, nil
}

// bnGradSums sums dy and dy·x̂ per channel over bands of rows into band
// b's sums.
type bnGradSums struct {
	c        int
	dy, xhat []float32
	sums     bandSums
}

func bnGradSumRows(a bnGradSums, b, lo, hi int) {
	c, gs, xhat := a.c, a.dy, a.xhat
	sdy, sdyx := a.sums.band(b)
	for r := lo; r < hi; r++ {
		gr, hr := gs[r*c : (r+1)*c][:len(sdy)], xhat[r*c : (r+1)*c][:len(sdy)]
		for i, v := range gr {
			sdy[i] += float64(v)
			sdyx[i] += float64(v * hr[i])
		}
	}
}

// bnGrad is dx = k·(dy − a − x̂·b) on bands of rows, with the per-channel
// k, a and b of Backward.
type bnGrad struct {
	c            int
	dy, xhat, dx []float32
	k, a, b      []float32
}

func bnGradRows(g bnGrad, _, lo, hi int) {
	c, gs, xhat, dxs := g.c, g.dy, g.xhat, g.dx
	k, a, b := g.k[:c], g.a[:c], g.b[:c]
	for r := lo; r < hi; r++ {
		bnGradRow(dxs[r*c:(r+1)*c], gs[r*c:(r+1)*c], xhat[r*c:(r+1)*c], k, a, b)
	}
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
	scale, shift := make([]float32, bn.C), make([]float32, bn.C)
	bn.inferenceMap(scale, shift)
	return foldScale(conv, scale, shift)
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
