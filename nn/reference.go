package nn

import "math"

// The math of every layer, as plain loops.
//
// Each function below is one layer's forward or backward pass written the
// way the formula in its comment reads: one output value at a time, sums
// in float64, no bands, no vectors, no packing, no scratch kept between
// calls. They are the reference: the layers' own Forward and Backward (the
// fast paths, in the layer files) must compute the same values, and
// reference_test.go checks that they do on random inputs of many shapes,
// while gradcheck_test.go checks each Backward against finite differences
// of its Forward. When a fast path changes, its reference stays as it is.
//
// Tensors are row-major float32 slices: NHWC activations, an (N, F)
// matrix for Dense and L2Normalize; a per-channel layer sees either as
// M = len(x)/C rows of C channels, so M values per channel.
// Each function returns new slices; backward passes return the gradients
// of this one call (the layers add theirs into Param.Grad).
//
// Flatten (a reshape) and the containers (Sequential, Residual: y = body(x)
// + shortcut(x), whose backward sums the branches' dL/dx) have no
// arithmetic of their own and no reference.

// ReLU: y = max(x, 0).
func reluForwardRef(x []float32) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		if v > 0 {
			y[i] = v
		}
	}
	return y
}

// ReLU backward: dx = dy where x > 0, else 0.
func reluBackwardRef(x, dy []float32) []float32 {
	dx := make([]float32, len(x))
	for i, v := range x {
		if v > 0 {
			dx[i] = dy[i]
		}
	}
	return dx
}

// PReLU with a slope α[c] per channel: y = x where x > 0, α[c]·x elsewhere.
func preluForwardRef(x []float32, c int, alpha []float32) []float32 {
	y := make([]float32, len(x))
	for r := 0; r < len(x)/c; r++ {
		for i := 0; i < c; i++ {
			v := x[r*c+i]
			if v > 0 {
				y[r*c+i] = v
			} else {
				y[r*c+i] = alpha[i] * v
			}
		}
	}
	return y
}

// PReLU backward: dx = dy where x > 0, α[c]·dy elsewhere, and
// dα[c] = Σ dy·x over the values of channel c with x ≤ 0.
func preluBackwardRef(x, dy []float32, c int, alpha []float32) (dx, dalpha []float32) {
	dx = make([]float32, len(x))
	da := make([]float64, c)
	for r := 0; r < len(x)/c; r++ {
		for i := 0; i < c; i++ {
			v, g := x[r*c+i], dy[r*c+i]
			if v > 0 {
				dx[r*c+i] = g
			} else {
				dx[r*c+i] = alpha[i] * g
				da[i] += float64(g) * float64(v)
			}
		}
	}
	return dx, toF32(da)
}

// Affine: y = x·scale[c] + bias[c].
func affineForwardRef(x []float32, c int, scale, bias []float32) []float32 {
	y := make([]float32, len(x))
	for r := 0; r < len(x)/c; r++ {
		for i := 0; i < c; i++ {
			y[r*c+i] = x[r*c+i]*scale[i] + bias[i]
		}
	}
	return y
}

// Affine backward: dx = dy·scale[c], dscale[c] = Σ dy·x, dbias[c] = Σ dy.
func affineBackwardRef(x, dy []float32, c int, scale []float32) (dx, dscale, dbias []float32) {
	dx = make([]float32, len(x))
	ds, db := make([]float64, c), make([]float64, c)
	for r := 0; r < len(x)/c; r++ {
		for i := 0; i < c; i++ {
			g := dy[r*c+i]
			dx[r*c+i] = g * scale[i]
			ds[i] += float64(g) * float64(x[r*c+i])
			db[i] += float64(g)
		}
	}
	return dx, toF32(ds), toF32(db)
}

// Batch norm statistics: the mean and (biased) variance of each channel
// over its M values,
//
//	μ[c] = Σ x / M,   σ²[c] = Σ (x − μ[c])² / M.
func batchNormStatsRef(x []float32, c int) (mean, variance []float64) {
	m := len(x) / c
	mean, variance = make([]float64, c), make([]float64, c)
	for r := 0; r < m; r++ {
		for i := 0; i < c; i++ {
			mean[i] += float64(x[r*c+i])
		}
	}
	for i := range mean {
		mean[i] /= float64(m)
	}
	for r := 0; r < m; r++ {
		for i := 0; i < c; i++ {
			d := float64(x[r*c+i]) - mean[i]
			variance[i] += d * d
		}
	}
	for i := range variance {
		variance[i] /= float64(m)
	}
	return mean, variance
}

// Batch norm forward with the statistics μ, σ² it is given: the batch's
// (batchNormStatsRef) in training, the running ones in inference and with
// FrozenStats,
//
//	y = γ[c]·(x − μ[c])/sqrt(σ²[c] + ε) + β[c].
func batchNormForwardRef(x []float32, c int, mean, variance []float64, gamma, beta []float32, eps float32) []float32 {
	y := make([]float32, len(x))
	for r := 0; r < len(x)/c; r++ {
		for i := 0; i < c; i++ {
			xhat := (float64(x[r*c+i]) - mean[i]) / math.Sqrt(variance[i]+float64(eps))
			y[r*c+i] = float32(float64(gamma[i])*xhat + float64(beta[i]))
		}
	}
	return y
}

// Batch norm's running statistics after a training forward with batch
// statistics μ, σ² of M values per channel, the variance unbiased:
//
//	running μ  ← (1 − momentum)·running μ  + momentum·μ
//	running σ² ← (1 − momentum)·running σ² + momentum·σ²·M/(M − 1).
func batchNormRunningRef(runMean, runVar []float32, mean, variance []float64, momentum float32, m int) (newMean, newVar []float32) {
	newMean, newVar = make([]float32, len(mean)), make([]float32, len(mean))
	mom := float64(momentum)
	for i := range mean {
		newMean[i] = float32((1-mom)*float64(runMean[i]) + mom*mean[i])
		newVar[i] = float32((1-mom)*float64(runVar[i]) + mom*variance[i]*float64(m)/float64(m-1))
	}
	return newMean, newVar
}

// Batch norm backward. With x̂ = (x − μ)/sqrt(σ² + ε) and sums over the M
// values of each channel,
//
//	dγ[c] = Σ dy·x̂,   dβ[c] = Σ dy,
//
// and, when μ and σ² are the batch's own (batchStats) and so depend on x,
//
//	dx = γ/(M·sqrt(σ² + ε)) · (M·dy − Σ dy − x̂·Σ dy·x̂);
//
// when they are fixed (FrozenStats), dx = γ·dy/sqrt(σ² + ε).
func batchNormBackwardRef(x, dy []float32, c int, mean, variance []float64, gamma []float32, eps float32, batchStats bool) (dx, dgamma, dbeta []float32) {
	m := len(x) / c
	xhat := make([]float64, len(x))
	sdy, sdyx := make([]float64, c), make([]float64, c)
	for r := 0; r < m; r++ {
		for i := 0; i < c; i++ {
			xhat[r*c+i] = (float64(x[r*c+i]) - mean[i]) / math.Sqrt(variance[i]+float64(eps))
			sdy[i] += float64(dy[r*c+i])
			sdyx[i] += float64(dy[r*c+i]) * xhat[r*c+i]
		}
	}
	dx = make([]float32, len(x))
	for r := 0; r < m; r++ {
		for i := 0; i < c; i++ {
			k := float64(gamma[i]) / math.Sqrt(variance[i]+float64(eps))
			g := float64(dy[r*c+i])
			if batchStats {
				dx[r*c+i] = float32(k / float64(m) * (float64(m)*g - sdy[i] - xhat[r*c+i]*sdyx[i]))
			} else {
				dx[r*c+i] = float32(k * g)
			}
		}
	}
	return dx, toF32(sdyx), toF32(sdy)
}

// Conv2D forward:
//
//	y[n, oy, ox, o] = b[o] + Σ_{kh, kw, c} x[n, oy·S−P+kh, ox·S−P+kw, g·Cg+c] · W[kh, kw, c, o]
//
// over kh, kw < K and c < Cg = In/groups, where g = o/(Out/groups) is the
// group of output channel o and cells outside the input read as zero. W is
// (K, K, Cg, Out); b is (Out), or nil for none.
func conv2dForwardRef(s convShape, x, w, b []float32) []float32 {
	cg, og := s.in/s.groups, s.out/s.groups
	y := make([]float32, s.n*s.oh*s.ow*s.out)
	for n := 0; n < s.n; n++ {
		for oy := 0; oy < s.oh; oy++ {
			for ox := 0; ox < s.ow; ox++ {
				for o := 0; o < s.out; o++ {
					g := o / og
					var sum float64
					if b != nil {
						sum = float64(b[o])
					}
					for kh := 0; kh < s.k; kh++ {
						for kw := 0; kw < s.k; kw++ {
							iy, ix := oy*s.stride-s.pad+kh, ox*s.stride-s.pad+kw
							if iy < 0 || iy >= s.h || ix < 0 || ix >= s.w {
								continue
							}
							for c := 0; c < cg; c++ {
								xv := x[((n*s.h+iy)*s.w+ix)*s.in+g*cg+c]
								wv := w[((kh*s.k+kw)*cg+c)*s.out+o]
								sum += float64(xv) * float64(wv)
							}
						}
					}
					y[((n*s.oh+oy)*s.ow+ox)*s.out+o] = float32(sum)
				}
			}
		}
	}
	return y
}

// Conv2D backward: each product x·W of the forward sum above sends dL/dy
// at its output, dy[n, oy, ox, o], back to both factors,
//
//	dx[n, oy·S−P+kh, ox·S−P+kw, g·Cg+c] += dy[n, oy, ox, o] · W[kh, kw, c, o]
//	dW[kh, kw, c, o]                    += dy[n, oy, ox, o] · x[n, oy·S−P+kh, ox·S−P+kw, g·Cg+c]
//
// and db[o] = Σ dy[n, oy, ox, o] over the batch and positions.
func conv2dBackwardRef(s convShape, x, w, dy []float32) (dx, dw, db []float32) {
	cg, og := s.in/s.groups, s.out/s.groups
	dx64 := make([]float64, len(x))
	dw64 := make([]float64, len(w))
	db64 := make([]float64, s.out)
	for n := 0; n < s.n; n++ {
		for oy := 0; oy < s.oh; oy++ {
			for ox := 0; ox < s.ow; ox++ {
				for o := 0; o < s.out; o++ {
					g := o / og
					d := float64(dy[((n*s.oh+oy)*s.ow+ox)*s.out+o])
					db64[o] += d
					for kh := 0; kh < s.k; kh++ {
						for kw := 0; kw < s.k; kw++ {
							iy, ix := oy*s.stride-s.pad+kh, ox*s.stride-s.pad+kw
							if iy < 0 || iy >= s.h || ix < 0 || ix >= s.w {
								continue
							}
							for c := 0; c < cg; c++ {
								xi := ((n*s.h+iy)*s.w+ix)*s.in + g*cg + c
								wi := ((kh*s.k+kw)*cg+c)*s.out + o
								dx64[xi] += d * float64(w[wi])
								dw64[wi] += d * float64(x[xi])
							}
						}
					}
				}
			}
		}
	}
	return toF32(dx64), toF32(dw64), toF32(db64)
}

// The pools take their geometry from a window (pool.go) with the sizes of
// the call set: input (N, H, W, C), output (N, OH, OW, C). The window of
// output (oy, ox) covers input rows [oy·S − P, oy·S − P + K) and likewise
// columns; only its cells inside the input count (window.span).

// MaxPool forward: y[n, oy, ox, c] = max of x[n, iy, ix, c] over the
// window's cells.
func maxPoolForwardRef(p window, x []float32) []float32 {
	y := make([]float32, p.n*p.oh*p.ow*p.c)
	for n := 0; n < p.n; n++ {
		for oy := 0; oy < p.oh; oy++ {
			for ox := 0; ox < p.ow; ox++ {
				for c := 0; c < p.c; c++ {
					_, v := maxCellRef(p, x, n, oy, ox, c)
					y[((n*p.oh+oy)*p.ow+ox)*p.c+c] = v
				}
			}
		}
	}
	return y
}

// maxCellRef is the index into x and the value of the maximum of one
// window of channel c, the first in row-major order on ties.
func maxCellRef(p window, x []float32, n, oy, ox, c int) (int, float32) {
	y0, y1 := p.span(oy, p.h)
	x0, x1 := p.span(ox, p.w)
	best, at := float32(math.Inf(-1)), -1
	for iy := y0; iy < y1; iy++ {
		for ix := x0; ix < x1; ix++ {
			i := ((n*p.h+iy)*p.w+ix)*p.c + c
			if at < 0 || x[i] > best {
				best, at = x[i], i
			}
		}
	}
	return at, best
}

// MaxPool backward: each output's gradient goes to the cell that holds its
// window's maximum (the first on ties), dx[that cell] += dy.
func maxPoolBackwardRef(p window, x, dy []float32) []float32 {
	dx := make([]float32, len(x))
	for n := 0; n < p.n; n++ {
		for oy := 0; oy < p.oh; oy++ {
			for ox := 0; ox < p.ow; ox++ {
				for c := 0; c < p.c; c++ {
					at, _ := maxCellRef(p, x, n, oy, ox, c)
					dx[at] += dy[((n*p.oh+oy)*p.ow+ox)*p.c+c]
				}
			}
		}
	}
	return dx
}

// AvgPool forward: y[n, oy, ox, c] = Σ x[n, iy, ix, c] / count over the
// window's cells inside the input, count being their number.
func avgPoolForwardRef(p window, x []float32) []float32 {
	y := make([]float32, p.n*p.oh*p.ow*p.c)
	for n := 0; n < p.n; n++ {
		for oy := 0; oy < p.oh; oy++ {
			y0, y1 := p.span(oy, p.h)
			for ox := 0; ox < p.ow; ox++ {
				x0, x1 := p.span(ox, p.w)
				for c := 0; c < p.c; c++ {
					var sum float64
					for iy := y0; iy < y1; iy++ {
						for ix := x0; ix < x1; ix++ {
							sum += float64(x[((n*p.h+iy)*p.w+ix)*p.c+c])
						}
					}
					y[((n*p.oh+oy)*p.ow+ox)*p.c+c] = float32(sum / float64((y1-y0)*(x1-x0)))
				}
			}
		}
	}
	return y
}

// AvgPool backward: every cell of a window gets dy/count of that window.
func avgPoolBackwardRef(p window, dy []float32) []float32 {
	dx := make([]float64, p.n*p.h*p.w*p.c)
	for n := 0; n < p.n; n++ {
		for oy := 0; oy < p.oh; oy++ {
			y0, y1 := p.span(oy, p.h)
			for ox := 0; ox < p.ow; ox++ {
				x0, x1 := p.span(ox, p.w)
				count := float64((y1 - y0) * (x1 - x0))
				for c := 0; c < p.c; c++ {
					g := float64(dy[((n*p.oh+oy)*p.ow+ox)*p.c+c])
					for iy := y0; iy < y1; iy++ {
						for ix := x0; ix < x1; ix++ {
							dx[((n*p.h+iy)*p.w+ix)*p.c+c] += g / count
						}
					}
				}
			}
		}
	}
	return toF32(dx)
}

// GlobalAvgPool forward: y[n, c] = Σ_{h, w} x[n, h, w, c] / (H·W).
func globalAvgPoolForwardRef(x []float32, n, h, w, c int) []float32 {
	y := make([]float32, n*c)
	for b := 0; b < n; b++ {
		for i := 0; i < c; i++ {
			var sum float64
			for p := 0; p < h*w; p++ {
				sum += float64(x[(b*h*w+p)*c+i])
			}
			y[b*c+i] = float32(sum / float64(h*w))
		}
	}
	return y
}

// GlobalAvgPool backward: dx[n, h, w, c] = dy[n, c] / (H·W).
func globalAvgPoolBackwardRef(dy []float32, n, h, w, c int) []float32 {
	dx := make([]float32, n*h*w*c)
	for b := 0; b < n; b++ {
		for p := 0; p < h*w; p++ {
			for i := 0; i < c; i++ {
				dx[(b*h*w+p)*c+i] = float32(float64(dy[b*c+i]) / float64(h*w))
			}
		}
	}
	return dx
}

// Dense forward, x (N, In), W (In, Out), b (Out) or nil:
//
//	y[n, o] = b[o] + Σ_i x[n, i]·W[i, o].
func denseForwardRef(x, w, b []float32, n, in, out int) []float32 {
	y := make([]float32, n*out)
	for r := 0; r < n; r++ {
		for o := 0; o < out; o++ {
			var sum float64
			if b != nil {
				sum = float64(b[o])
			}
			for i := 0; i < in; i++ {
				sum += float64(x[r*in+i]) * float64(w[i*out+o])
			}
			y[r*out+o] = float32(sum)
		}
	}
	return y
}

// Dense backward:
//
//	dx[n, i] = Σ_o dy[n, o]·W[i, o],   dW[i, o] = Σ_n x[n, i]·dy[n, o],   db[o] = Σ_n dy[n, o].
func denseBackwardRef(x, w, dy []float32, n, in, out int) (dx, dw, db []float32) {
	dx64, dw64, db64 := make([]float64, n*in), make([]float64, in*out), make([]float64, out)
	for r := 0; r < n; r++ {
		for o := 0; o < out; o++ {
			g := float64(dy[r*out+o])
			db64[o] += g
			for i := 0; i < in; i++ {
				dx64[r*in+i] += g * float64(w[i*out+o])
				dw64[i*out+o] += g * float64(x[r*in+i])
			}
		}
	}
	return toF32(dx64), toF32(dw64), toF32(db64)
}

// L2Normalize forward, row by row of an (N, F) matrix:
//
//	y = x / ‖x‖,   ‖x‖ = sqrt(Σ x² + ε).
func l2NormalizeForwardRef(x []float32, f int, eps float32) []float32 {
	y := make([]float32, len(x))
	for r := 0; r < len(x)/f; r++ {
		norm := l2NormRef(x[r*f:(r+1)*f], eps)
		for i := 0; i < f; i++ {
			y[r*f+i] = float32(float64(x[r*f+i]) / norm)
		}
	}
	return y
}

// L2Normalize backward: ∂y[i]/∂x[j] = (δij − y[i]·y[j]) / ‖x‖, exactly
// for the ε-regularised norm, so row by row
//
//	dx = (dy − y·Σ_j y[j]·dy[j]) / ‖x‖.
func l2NormalizeBackwardRef(x, dy []float32, f int, eps float32) []float32 {
	dx := make([]float32, len(x))
	for r := 0; r < len(x)/f; r++ {
		norm := l2NormRef(x[r*f:(r+1)*f], eps)
		var ydy float64
		for j := 0; j < f; j++ {
			ydy += float64(x[r*f+j]) / norm * float64(dy[r*f+j])
		}
		for i := 0; i < f; i++ {
			y := float64(x[r*f+i]) / norm
			dx[r*f+i] = float32((float64(dy[r*f+i]) - y*ydy) / norm)
		}
	}
	return dx
}

// l2NormRef is sqrt(Σ x² + ε) of one row.
func l2NormRef(x []float32, eps float32) float64 {
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
	}
	return math.Sqrt(ss + float64(eps))
}

// toF32 rounds a reference's float64 sums to the layers' float32.
func toF32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}
