package whiten

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/oneshotface/oneshot/nn"
)

// people draws n people of faces faces with two crops each: a person's
// mean plus noise through mix, so that the within-person covariance is
// mix·mixᵀ (far from a multiple of the identity).
func people(rng *rand.Rand, n, faces int, mix [][]float64) [][][][]float32 {
	d := len(mix)
	out := make([][][][]float32, n)
	for i := range out {
		mean := make([]float64, d)
		for k := range mean {
			mean[k] = 3 * rng.NormFloat64()
		}
		for range faces {
			var f [][]float32
			for range 2 {
				noise := make([]float64, d)
				for k := range noise {
					noise[k] = rng.NormFloat64()
				}
				v := make([]float32, d)
				for r := range d {
					s := mean[r]
					for c := range d {
						s += mix[r][c] * noise[c]
					}
					v[r] = float32(s)
				}
				f = append(f, v)
			}
			out[i] = append(out[i], f)
		}
	}
	return out
}

var mix = [][]float64{{2, 0, 0}, {1, 0.5, 0}, {0, 0.3, 0.1}}

// covariances returns the covariance about each person's mean and the
// mean and variance of every crop, of the data mapped by t.
func covariances(t *testing.T, tr *Transform, data [][][][]float32) (within [][]float64, mean, variance []float64) {
	t.Helper()
	d := len(tr.P)
	within = make([][]float64, d)
	for r := range within {
		within[r] = make([]float64, d)
	}
	mean, variance = make([]float64, d), make([]float64, d)
	var n, nw int
	for _, p := range data {
		var ys [][]float32
		for _, f := range p {
			for _, v := range f {
				y, err := tr.Apply(v)
				if err != nil {
					t.Fatal(err)
				}
				ys = append(ys, y)
				for k, x := range y {
					mean[k] += float64(x)
					variance[k] += float64(x) * float64(x)
				}
				n++
			}
		}
		mu := make([]float64, d)
		for _, y := range ys {
			for k, x := range y {
				mu[k] += float64(x) / float64(len(ys))
			}
		}
		for _, y := range ys {
			for r := range d {
				for c := range d {
					within[r][c] += (float64(y[r]) - mu[r]) * (float64(y[c]) - mu[c])
				}
			}
			nw++
		}
	}
	for k := range mean {
		mean[k] /= float64(n)
		variance[k] = variance[k]/float64(n) - mean[k]*mean[k]
	}
	for r := range within {
		for c := range within[r] {
			within[r][c] /= float64(nw)
		}
	}
	return within, mean, variance
}

func TestLearnWhitensWithinPerson(t *testing.T) {
	data := people(rand.New(rand.NewPCG(1, 2)), 60, 3, mix)
	tr, err := Learn(data, 0)
	if err != nil {
		t.Fatal(err)
	}
	if tr.People != 60 || tr.Faces != 180 {
		t.Errorf("learned on %d people with %d faces, want 60 and 180", tr.People, tr.Faces)
	}
	within, mean, variance := covariances(t, tr, data)
	for r := range within {
		for c := range within[r] {
			want := 0.0
			if r == c {
				want = 1
			}
			if math.Abs(within[r][c]-want) > 1e-3 {
				t.Errorf("within-person covariance after the map [%d][%d] = %.5f, want %g", r, c, within[r][c], want)
			}
		}
		if math.Abs(mean[r]) > 1e-3 {
			t.Errorf("mean after the map [%d] = %.5f, want 0", r, mean[r])
		}
		if math.Abs(variance[r]-tr.Var[r]) > 1e-3*tr.Var[r] {
			t.Errorf("variance after the map [%d] = %.5f, Var says %.5f", r, variance[r], tr.Var[r])
		}
	}
	// People are far apart and their pictures close: after whitening the
	// spread between people dwarfs the within-person one.
	if tr.Var[0] < 10 {
		t.Errorf("variance after the map %v: the between-person spread should dominate", tr.Var)
	}
}

func TestLearnShrinkOneOnlyScales(t *testing.T) {
	data := people(rand.New(rand.NewPCG(3, 4)), 30, 2, mix)
	tr, err := Learn(data, 1)
	if err != nil {
		t.Fatal(err)
	}
	for r, row := range tr.P {
		for c, p := range row {
			if r != c && math.Abs(p) > 1e-9 {
				t.Fatalf("shrink 1: P[%d][%d] = %g, want a multiple of the identity", r, c, p)
			}
			if r == c && math.Abs(p-tr.P[0][0]) > 1e-9 {
				t.Fatalf("shrink 1: P's diagonal %g and %g differ", p, tr.P[0][0])
			}
		}
	}
}

func TestLearnErrors(t *testing.T) {
	good := people(rand.New(rand.NewPCG(5, 6)), 4, 2, mix)
	single := people(rand.New(rand.NewPCG(5, 6)), 4, 1, mix)
	ragged := people(rand.New(rand.NewPCG(5, 6)), 4, 2, mix)
	ragged[2][1][0] = ragged[2][1][0][:2]
	nan := people(rand.New(rand.NewPCG(5, 6)), 4, 2, mix)
	nan[1][0][1][2] = float32(math.NaN())
	for _, c := range []struct {
		name   string
		data   [][][][]float32
		shrink float64
		want   string
	}{
		{"negative shrink", good, -0.1, "shrink"},
		{"shrink above 1", good, 1.5, "shrink"},
		{"NaN shrink", good, math.NaN(), "shrink"},
		{"nothing", nil, 0.1, "no outputs"},
		{"one face each", single, 0.1, "two or more faces"},
		{"mixed lengths", ragged, 0.1, "values among"},
		{"not finite", nan, 0.1, "not finite"},
	} {
		_, err := Learn(c.data, c.shrink)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
		}
	}
}

// tailModel is a dense layer with bias, a batch norm with trained
// statistics and an L2 normalisation: the end of an embedder.
func tailModel(t *testing.T, in, d int, rng *rand.Rand) (*nn.Model, *nn.Dense, *nn.BatchNorm) {
	t.Helper()
	dense, err := nn.NewDense("embed", in, d, true, rand.New(rand.NewPCG(7, 8)))
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range dense.Bias.Value.Float32s() {
		dense.Bias.Value.Float32s()[i] = b + float32(rng.NormFloat64())
	}
	bn, err := nn.NewBatchNorm("embed_bn", d, 1e-5, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	for j := range d {
		bn.Gamma.Value.Float32s()[j] = float32(0.5 + rng.Float64())
		bn.Beta.Value.Float32s()[j] = float32(rng.NormFloat64())
		bn.RunningMean.Value.Float32s()[j] = float32(rng.NormFloat64())
		bn.RunningVar.Value.Float32s()[j] = float32(0.2 + rng.Float64())
	}
	seq := nn.NewSequential("tail", dense, bn, nn.NewL2Normalize("l2", 0))
	return &nn.Model{Net: seq, Meta: map[string]string{}}, dense, bn
}

func TestFoldIsTheMap(t *testing.T) {
	const in, d, n = 5, 3, 7
	rng := rand.New(rand.NewPCG(9, 10))
	m, dense, bn := tailModel(t, in, d, rng)
	xs := make([]float32, n*in)
	for i := range xs {
		xs[i] = float32(rng.NormFloat64())
	}
	x, err := nn.FromSlice(xs, n, in)
	if err != nil {
		t.Fatal(err)
	}
	// z before the fold: the dense layer and the batch norm in inference.
	h, err := dense.Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	zt, err := bn.Forward(h, false)
	if err != nil {
		t.Fatal(err)
	}
	z := append([]float32(nil), zt.Float32s()...)

	tr := &Transform{Mean: []float64{0.3, -1, 0.5}, P: [][]float64{{2, 0.5, 0}, {0.1, 1, -0.4}, {0, 0.2, 3}}, Var: []float64{4, 1.5, 9}}
	want := make([][]float32, n)
	for i := range n {
		y, err := tr.Apply(z[i*d : (i+1)*d])
		if err != nil {
			t.Fatal(err)
		}
		var s float64
		for _, v := range y {
			s += float64(v) * float64(v)
		}
		for k := range y {
			y[k] = float32(float64(y[k]) / math.Sqrt(s))
		}
		want[i] = y
	}
	if err := Fold(m, tr); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []struct {
		name     string
		training bool
	}{{"inference", false}, {"training with frozen statistics", true}} {
		bn.FrozenStats = mode.training
		got, err := m.Net.Forward(x, mode.training)
		if err != nil {
			t.Fatal(err)
		}
		g := got.Float32s()
		for i := range n {
			for k := range d {
				if math.Abs(float64(g[i*d+k]-want[i][k])) > 1e-5 {
					t.Fatalf("%s: folded output [%d][%d] = %.6f, want the map's %.6f", mode.name, i, k, g[i*d+k], want[i][k])
				}
			}
		}
	}
	if !strings.Contains(m.Meta[MetaWhitening], "whitening") {
		t.Errorf("metadata %q = %q, want a note of the fold", MetaWhitening, m.Meta[MetaWhitening])
	}
	if err := Fold(m, tr); err == nil || !strings.Contains(err.Error(), "whitened already") {
		t.Errorf("folding twice: error %v, want one saying it is whitened already", err)
	}
}

func TestFoldErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	fits := func() *Transform {
		return &Transform{Mean: make([]float64, 3), P: [][]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, Var: []float64{1, 1, 1}}
	}
	m, _, _ := tailModel(t, 4, 3, rng)
	short := fits()
	short.P = short.P[:2]
	zeroVar := fits()
	zeroVar.Var[1] = 0
	noNorm, _, _ := tailModel(t, 4, 3, rng)
	if err := DropNormalization(noNorm); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		m    *nn.Model
		t    *Transform
		want string
	}{
		{"nil model", nil, fits(), "nil"},
		{"no L2 normalisation at the end", noNorm, fits(), "does not end with"},
		{"map of the wrong size", m, short, "does not fit"},
		{"nil map", m, nil, "does not fit"},
		{"zero variance", m, zeroVar, "not all positive"},
	} {
		if err := Fold(c.m, c.t); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
		}
	}
}
