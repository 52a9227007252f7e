package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// TestLayersMatchReference runs one training step (Forward, then Backward
// of a random dL/dy) and one inference Forward of every layer type on
// random inputs of several shapes, and compares what the layer computed —
// output, dL/dx, the gradient of each parameter, batch norm's running
// statistics — with the plain loops of reference.go.
//
// The shapes cover each code path: for Conv2D im2col with one group and
// with several, pointwise, depthwise 3×3 (interior fast path and borders)
// and depthwise of other kernels, strides 1–3, padding 0–2, odd sizes;
// channel counts below, at and past a SIMD vector (37 = vectors and a
// tail); and inputs large enough that batch norm, PReLU and the depthwise
// convolutions split their rows into several bands.
//
// Tolerance: the layers compute in float32 and the references sum in
// float64, so the two differ by the float32 rounding of the layers' sums,
// about 6e-8 of the running sum per term added. The largest sums here (a
// filter or bias gradient over 3·32·32 positions, a batch norm over
// 3·32·32 values) add about 3,000 terms of order 1, which bounds their
// rounding by about 2e-4 and leaves it near 1e-5 in practice. Every value
// must satisfy |layer − reference| ≤ refTol·max(1, |reference|); a wrong
// index, a missing term or a band's sum added twice is off by order 1.
// Measured worst (2026-12-07): 1.5e-5 natively and 1.6e-5 with the simd
// experiment, both on a depthwise filter gradient.
const refTol = 1e-4

// refCase is one layer on one input, with what the reference says it
// should compute.
type refCase struct {
	name  string
	layer Layer
	x     *tensor.Dense
	// ref is the training step's expected output and dL/dx for x and dy,
	// and per parameter name the expected gradient (trained parameters) or
	// value after the step (buffers). It is called before the layer runs.
	ref func(x, dy []float32) (y, dx []float32, params map[string][]float32)
	// infer, if set, is the expected inference output, called after the
	// training step; by default it is the training output.
	infer func(x []float32) []float32
}

func TestLayersMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	var cases []refCase
	cases = append(cases, convRefCases(t, rng)...)
	cases = append(cases, batchNormRefCases(rng)...)
	cases = append(cases, channelRefCases(rng)...)
	cases = append(cases, poolRefCases(rng)...)
	cases = append(cases, matrixRefCases(rng)...)
	worst := 0.0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			worst = max(worst, checkAgainstReference(t, rng, tc))
		})
	}
	t.Logf("%d cases, worst relative difference %.3g (tolerance %g)", len(cases), worst, refTol)
}

// checkAgainstReference runs tc and returns the worst relative difference.
func checkAgainstReference(t *testing.T, rng *rand.Rand, tc refCase) float64 {
	t.Helper()
	l, x := tc.layer, tc.x
	y, err := l.Forward(x, true)
	if err != nil {
		t.Fatal(err)
	}
	dy := randTensor(rng, y.Shape()...)
	wantY, wantDx, wantParams := tc.ref(x.Float32s(), dy.Float32s())
	for _, p := range l.Params() {
		if p.Grad != nil {
			clear(p.Grad.Float32s())
		}
	}
	y, err = l.Forward(x, true)
	if err != nil {
		t.Fatal(err)
	}
	worst := compareRef(t, "y", y.Float32s(), wantY)
	dx, err := l.Backward(dy)
	if err != nil {
		t.Fatal(err)
	}
	worst = max(worst, compareRef(t, "dx", dx.Float32s(), wantDx))
	for _, p := range l.Params() {
		want, ok := wantParams[p.Name]
		if !ok {
			t.Errorf("the reference says nothing of %s", p.Name)
			continue
		}
		if p.Grad != nil {
			worst = max(worst, compareRef(t, "d"+p.Name, p.Grad.Float32s(), want))
		} else {
			worst = max(worst, compareRef(t, p.Name, p.Value.Float32s(), want))
		}
	}
	if tc.infer != nil {
		wantY = tc.infer(x.Float32s())
	}
	yi, err := l.Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	return max(worst, compareRef(t, "inference y", yi.Float32s(), wantY))
}

// compareRef checks got against the reference want to refTol and returns
// the worst relative difference.
func compareRef(t *testing.T, what string, got, want []float32) float64 {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, the reference has %d", what, len(got), len(want))
		return math.Inf(1)
	}
	worst, bad := 0.0, 0
	for i, w := range want {
		d := math.Abs(float64(got[i])-float64(w)) / max(1, math.Abs(float64(w)))
		if !(d <= refTol) { // NaN fails too
			if bad < 3 {
				t.Errorf("%s[%d] = %g, reference %g", what, i, got[i], w)
			}
			bad++
		}
		worst = max(worst, d)
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values differ from the reference by more than %g", what, bad, len(want), refTol)
	}
	return worst
}

func convRefCases(t *testing.T, rng *rand.Rand) []refCase {
	configs := append([]struct {
		name                                 string
		in, out, kernel, stride, pad, groups int
		bias                                 bool
		h, w                                 int
	}(nil), convConfigs...)
	configs = append(configs, []struct {
		name                                 string
		in, out, kernel, stride, pad, groups int
		bias                                 bool
		h, w                                 int
	}{
		{"5x5-pad2-odd", 3, 5, 5, 1, 2, 1, true, 7, 9},
		{"3x3-stride3", 4, 4, 3, 3, 1, 1, false, 8, 7},
		{"groups3-stride2-odd", 6, 9, 3, 2, 1, 3, true, 7, 5},
		{"depthwise-5x5-pad2", 6, 6, 5, 1, 2, 6, true, 7, 6},
		{"depthwise-4x4-global", 20, 20, 4, 1, 0, 20, false, 4, 4},
		{"depthwise-stride2-even", 8, 8, 3, 2, 1, 8, true, 6, 6},
		{"depthwise-16-bands", 16, 16, 3, 1, 1, 16, true, 32, 32},
		{"depthwise-3x3-valid-odd", 9, 9, 3, 1, 0, 9, true, 7, 5},
		{"depthwise-3x3-pad2-stride2", 6, 6, 3, 2, 2, 6, false, 5, 6},
		{"pointwise-37", 37, 19, 1, 1, 0, 1, true, 3, 5},
		{"im2col-37", 37, 8, 3, 1, 1, 1, false, 5, 4},
	}...)
	var cases []refCase
	for _, cf := range configs {
		c := newTestConv(t, rng, cf.in, cf.out, cf.kernel, cf.stride, cf.pad, cf.groups, cf.bias)
		for _, n := range []int{1, 3} { // one layer, two batch sizes: its buffers are resized
			s := convShape{n: n, h: cf.h, w: cf.w, in: cf.in, out: cf.out, k: cf.kernel, stride: cf.stride, pad: cf.pad, groups: cf.groups}
			s.oh = (s.h+2*s.pad-s.k)/s.stride + 1
			s.ow = (s.w+2*s.pad-s.k)/s.stride + 1
			cases = append(cases, refCase{
				name: fmt.Sprintf("conv2d/%s/n%d", cf.name, n), layer: c, x: randTensor(rng, n, cf.h, cf.w, cf.in),
				ref: func(x, dy []float32) ([]float32, []float32, map[string][]float32) {
					w := c.Weight.Value.Float32s()
					var b []float32
					if c.Bias != nil {
						b = c.Bias.Value.Float32s()
					}
					dx, dw, db := conv2dBackwardRef(s, x, w, dy)
					return conv2dForwardRef(s, x, w, b), dx, map[string][]float32{"weight": dw, "bias": db}
				},
			})
		}
	}
	return cases
}

func batchNormRefCases(rng *rand.Rand) []refCase {
	var cases []refCase
	for _, shape := range [][]int{{2, 3, 3, 4}, {5, 3}, {2, 4}, {3, 5, 7, 37}, {3, 32, 32, 32}, {64, 8, 8, 160}} {
		for _, frozen := range []bool{false, true} {
			c := shape[len(shape)-1]
			bn := must(NewBatchNorm("", c, 1e-3, 0.2))
			randomizeBN(bn, rng)
			bn.FrozenStats = frozen
			x := randTensor(rng, shape...)
			for i, v := range x.Float32s() {
				x.Float32s()[i] = 3*v + 5 // a mean far from zero
			}
			name := fmt.Sprintf("batchnorm/%v", shape)
			if frozen {
				name += "/frozen"
			}
			running := func() ([]float64, []float64) {
				m, v := make([]float64, c), make([]float64, c)
				for i := range m {
					m[i] = float64(bn.RunningMean.Value.Float32s()[i])
					v[i] = float64(bn.RunningVar.Value.Float32s()[i])
				}
				return m, v
			}
			cases = append(cases, refCase{
				name: name, layer: bn, x: x,
				ref: func(x, dy []float32) ([]float32, []float32, map[string][]float32) {
					g, b := bn.Gamma.Value.Float32s(), bn.Beta.Value.Float32s()
					rm, rv := bn.RunningMean.Value.Float32s(), bn.RunningVar.Value.Float32s()
					mean, variance := batchNormStatsRef(x, c)
					newMean, newVar := batchNormRunningRef(rm, rv, mean, variance, bn.Momentum, len(x)/c)
					if frozen {
						mean, variance = running()
						newMean, newVar = append([]float32(nil), rm...), append([]float32(nil), rv...)
					}
					dx, dg, db := batchNormBackwardRef(x, dy, c, mean, variance, g, bn.Eps, !frozen)
					return batchNormForwardRef(x, c, mean, variance, g, b, bn.Eps), dx,
						map[string][]float32{"gamma": dg, "beta": db, "running_mean": newMean, "running_var": newVar}
				},
				infer: func(x []float32) []float32 {
					mean, variance := running()
					return batchNormForwardRef(x, c, mean, variance, bn.Gamma.Value.Float32s(), bn.Beta.Value.Float32s(), bn.Eps)
				},
			})
		}
	}
	return cases
}

// channelRefCases are the elementwise and per-channel layers: ReLU, PReLU
// and Affine.
func channelRefCases(rng *rand.Rand) []refCase {
	var cases []refCase
	for _, shape := range [][]int{{2, 3, 2, 3}, {4, 3}, {3, 5, 7, 37}, {1, 1, 1, 64}, {3, 32, 32, 32}} {
		c := shape[len(shape)-1]
		x := randTensor(rng, shape...)
		xs := x.Float32s()
		xs[0], xs[len(xs)/2] = 0, float32(math.Copysign(0, -1)) // the kink
		cases = append(cases, refCase{
			name: fmt.Sprintf("relu/%v", shape), layer: &ReLU{}, x: x,
			ref: func(x, dy []float32) ([]float32, []float32, map[string][]float32) {
				return reluForwardRef(x), reluBackwardRef(x, dy), nil
			},
		})
		p := must(NewPReLU("", c))
		for i := range p.Alpha.Value.Float32s() {
			p.Alpha.Value.Float32s()[i] = float32(rng.Float64()*2 - 1)
		}
		cases = append(cases, refCase{
			name: fmt.Sprintf("prelu/%v", shape), layer: p, x: x,
			ref: func(x, dy []float32) ([]float32, []float32, map[string][]float32) {
				a := p.Alpha.Value.Float32s()
				dx, da := preluBackwardRef(x, dy, c, a)
				return preluForwardRef(x, c, a), dx, map[string][]float32{"alpha": da}
			},
		})
		a := must(NewAffine("", c))
		for i := range c {
			a.Scale.Value.Float32s()[i] = float32(rng.Float64()*2 - 1)
			a.Bias.Value.Float32s()[i] = float32(rng.Float64()*2 - 1)
		}
		cases = append(cases, refCase{
			name: fmt.Sprintf("affine/%v", shape), layer: a, x: x,
			ref: func(x, dy []float32) ([]float32, []float32, map[string][]float32) {
				s, b := a.Scale.Value.Float32s(), a.Bias.Value.Float32s()
				dx, ds, db := affineBackwardRef(x, dy, c, s)
				return affineForwardRef(x, c, s, b), dx, map[string][]float32{"scale": ds, "bias": db}
			},
		})
	}
	return cases
}

func poolRefCases(rng *rand.Rand) []refCase {
	var cases []refCase
	for _, tc := range []struct{ k, s, p, n, h, w, c int }{
		{2, 2, 0, 2, 4, 4, 3}, {3, 2, 1, 2, 5, 5, 3}, {3, 1, 1, 1, 4, 3, 5}, {2, 1, 0, 3, 3, 3, 2},
		{3, 3, 2, 2, 4, 4, 3}, {3, 2, 1, 2, 8, 7, 37}, {4, 3, 1, 1, 9, 6, 4},
	} {
		geom := window{Kernel: tc.k, Stride: tc.s, Pad: tc.p, n: tc.n, h: tc.h, w: tc.w, c: tc.c}
		geom.oh = (tc.h+2*tc.p-tc.k)/tc.s + 1
		geom.ow = (tc.w+2*tc.p-tc.k)/tc.s + 1
		x := randTensor(rng, tc.n, tc.h, tc.w, tc.c)
		name := fmt.Sprintf("%dx%d-stride%d-pad%d/%dx%dx%d", tc.k, tc.k, tc.s, tc.p, tc.h, tc.w, tc.c)
		cases = append(cases, refCase{
			name: "maxpool/" + name, layer: must(NewMaxPool("", tc.k, tc.s, tc.p)), x: x,
			ref: func(x, dy []float32) ([]float32, []float32, map[string][]float32) {
				return maxPoolForwardRef(geom, x), maxPoolBackwardRef(geom, x, dy), nil
			},
		}, refCase{
			name: "avgpool/" + name, layer: must(NewAvgPool("", tc.k, tc.s, tc.p)), x: x,
			ref: func(x, dy []float32) ([]float32, []float32, map[string][]float32) {
				return avgPoolForwardRef(geom, x), avgPoolBackwardRef(geom, dy), nil
			},
		})
	}
	for _, s := range [][4]int{{2, 3, 2, 4}, {3, 4, 4, 37}, {1, 1, 1, 5}} {
		cases = append(cases, refCase{
			name: fmt.Sprintf("globalavgpool/%v", s), layer: &GlobalAvgPool{}, x: randTensor(rng, s[:]...),
			ref: func(x, dy []float32) ([]float32, []float32, map[string][]float32) {
				return globalAvgPoolForwardRef(x, s[0], s[1], s[2], s[3]), globalAvgPoolBackwardRef(dy, s[0], s[1], s[2], s[3]), nil
			},
		})
	}
	return cases
}

// matrixRefCases are the layers of (N, F) matrices: Dense and L2Normalize.
func matrixRefCases(rng *rand.Rand) []refCase {
	var cases []refCase
	for _, tc := range []struct {
		n, in, out int
		bias       bool
	}{{4, 5, 3, true}, {1, 3, 2, false}, {7, 33, 17, true}, {64, 128, 128, true}} {
		d := must(NewDense("", tc.in, tc.out, tc.bias, rng))
		if tc.bias {
			for i := range d.Bias.Value.Float32s() {
				d.Bias.Value.Float32s()[i] = float32(rng.Float64() - 0.5)
			}
		}
		cases = append(cases, refCase{
			name: fmt.Sprintf("dense/%dx%d-%d", tc.n, tc.in, tc.out), layer: d, x: randTensor(rng, tc.n, tc.in),
			ref: func(x, dy []float32) ([]float32, []float32, map[string][]float32) {
				w := d.Weight.Value.Float32s()
				var b []float32
				if d.Bias != nil {
					b = d.Bias.Value.Float32s()
				}
				dx, dw, db := denseBackwardRef(x, w, dy, tc.n, tc.in, tc.out)
				return denseForwardRef(x, w, b, tc.n, tc.in, tc.out), dx, map[string][]float32{"weight": dw, "bias": db}
			},
		})
	}
	for _, tc := range []struct {
		n, f int
		eps  float32
	}{{3, 5, 0}, {2, 4, 0.5}, {64, 128, 0}, {2, 3, 0}} {
		l := NewL2Normalize("", tc.eps)
		x := randTensor(rng, tc.n, tc.f)
		if tc.n == 2 && tc.f == 3 {
			clear(x.Float32s()[:3]) // a zero row
		}
		cases = append(cases, refCase{
			name: fmt.Sprintf("l2normalize/%dx%d-eps%g", tc.n, tc.f, tc.eps), layer: l, x: x,
			ref: func(x, dy []float32) ([]float32, []float32, map[string][]float32) {
				return l2NormalizeForwardRef(x, tc.f, l.Eps), l2NormalizeBackwardRef(x, dy, tc.f, l.Eps), nil
			},
		})
	}
	return cases
}
