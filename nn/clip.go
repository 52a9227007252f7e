package nn

import "math"

// ClipGradNorm measures the global L2 norm of the gradients of the
// trainable parameters in params,
//
//	norm = √(Σ over parameters Σ over values g²)
//
// and, when it exceeds maxNorm, scales every one of those gradients by
// maxNorm/norm so that the global norm becomes maxNorm. The direction of the
// update is kept; only its length is capped, which stops one bad batch
// (a rare huge gradient) from wrecking the weights. It returns the norm
// before clipping, worth logging: a norm that is always clipped means the
// learning rate or maxNorm is too low.
//
// Buffers and frozen parameters are neither counted nor scaled, since no
// optimizer applies their gradients. maxNorm ≤ 0 only measures. A norm that
// is not finite (NaN or Inf, from overflow or a broken loss) leaves the
// gradients unchanged; check the result and skip the step:
//
//	if norm := nn.ClipGradNorm(m.Params(), 5); math.IsNaN(float64(norm)) || math.IsInf(float64(norm), 0) {
//		continue // skip this batch
//	}
func ClipGradNorm(params []*Param, maxNorm float32) float32 {
	var sum float64
	for _, p := range params {
		if p == nil || !p.Trainable() || p.Grad == nil {
			continue
		}
		for _, g := range p.Grad.Float32s() {
			sum += float64(g) * float64(g)
		}
	}
	norm := math.Sqrt(sum)
	if maxNorm <= 0 || !(norm > float64(maxNorm)) || math.IsInf(norm, 0) {
		return float32(norm)
	}
	scale := float32(float64(maxNorm) / norm)
	for _, p := range params {
		if p == nil || !p.Trainable() || p.Grad == nil {
			continue
		}
		g := p.Grad.Float32s()
		for i := range g {
			g[i] *= scale
		}
	}
	return float32(norm)
}
