package nn

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// awayFromZero moves inputs out of (−d, d), where kinks such as ReLU's and
// PReLU's would make finite differences meaningless.
func awayFromZero(x *tensor.Dense, d float32) *tensor.Dense {
	for i, v := range x.Float32s() {
		if v > -d && v < d {
			x.Float32s()[i] = 0.5
		}
	}
	return x
}

// distinctValues fills a tensor with a shuffled ramp whose values are 0.05
// apart, so no max-pool window holds a near tie a finite step could flip.
func distinctValues(rng *rand.Rand, shape ...int) *tensor.Dense {
	x := zeros(shape...)
	d := x.Float32s()
	for i := range d {
		d[i] = float32(i)*0.05 - float32(len(d))*0.025
	}
	rng.Shuffle(len(d), func(i, j int) { d[i], d[j] = d[j], d[i] })
	return x
}

// must returns v, or panics (failing the test) on an error: test setup only.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestPReLUGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	p := must(NewPReLU("p", 3))
	copy(p.Alpha.Value.Float32s(), []float32{0.1, -0.3, 0.7})
	checkGradients(t, p, awayFromZero(randTensor(rng, 2, 3, 2, 3), 0.05))
	checkGradients(t, p, awayFromZero(randTensor(rng, 4, 3), 0.05))
}

func TestAffineGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	a := must(NewAffine("a", 4))
	for i := range 4 {
		a.Scale.Value.Float32s()[i] = float32(rng.Float64()*2 - 1)
		a.Bias.Value.Float32s()[i] = float32(rng.Float64()*2 - 1)
	}
	checkGradients(t, a, randTensor(rng, 2, 2, 3, 4))
	checkGradients(t, a, randTensor(rng, 3, 4))
}

func TestPoolGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, tc := range []struct{ k, s, p, h, w int }{
		{2, 2, 0, 4, 4}, {3, 2, 1, 5, 5}, {3, 1, 1, 4, 3}, {2, 1, 0, 3, 3}, {3, 3, 2, 4, 4},
	} {
		mp := must(NewMaxPool("m", tc.k, tc.s, tc.p))
		checkGradients(t, mp, distinctValues(rng, 2, tc.h, tc.w, 3))
		ap := must(NewAvgPool("a", tc.k, tc.s, tc.p))
		checkGradients(t, ap, randTensor(rng, 2, tc.h, tc.w, 3))
	}
	checkGradients(t, &GlobalAvgPool{}, randTensor(rng, 2, 3, 2, 4))
}

func TestPoolValues(t *testing.T) {
	// One 3×3 channel, 2×2 windows with stride 2 and padding 1: the windows
	// hold {1}, {2, 3}, {4, 7} and {5, 6, 8, 9}.
	x := must(FromSlice([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 3, 3, 1))
	mp := must(NewMaxPool("", 2, 2, 1))
	y := must(mp.Forward(x, false))
	if got, want := y.Float32s(), []float32{1, 3, 7, 9}; !equalF32(got, want) {
		t.Errorf("max pool %v, want %v", got, want)
	}
	neg := must(FromSlice([]float32{-1, -2, -3, -4, -5, -6, -7, -8, -9}, 1, 3, 3, 1))
	y = must(mp.Forward(neg, false))
	if got, want := y.Float32s(), []float32{-1, -2, -4, -5}; !equalF32(got, want) {
		t.Errorf("max pool of negatives %v, want %v (padding must not win)", got, want)
	}
	ap := must(NewAvgPool("", 2, 2, 1))
	y = must(ap.Forward(x, false))
	if got, want := y.Float32s(), []float32{1, 2.5, 5.5, 7}; !equalF32(got, want) {
		t.Errorf("avg pool %v, want %v (padding must not count)", got, want)
	}
	ap = must(NewAvgPool("", 2, 1, 0))
	y = must(ap.Forward(x, false))
	if got, want := y.Float32s(), []float32{3, 4, 6, 7}; !equalF32(got, want) {
		t.Errorf("avg pool %v, want %v", got, want)
	}
	g := must((&GlobalAvgPool{}).Forward(x, false))
	if got := g.Float32s(); len(got) != 1 || got[0] != 5 || !sameShape(g.Shape(), []int{1, 1}) {
		t.Errorf("global average %v (shape %v), want [5] (1, 1)", got, g.Shape())
	}
}

func equalF32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-6 {
			return false
		}
	}
	return true
}

func TestDenseGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	d := must(NewDense("d", 5, 3, true, rng))
	for i := range 3 {
		d.Bias.Value.Float32s()[i] = float32(rng.Float64() - 0.5)
	}
	checkGradients(t, d, randTensor(rng, 4, 5))
	checkGradients(t, must(NewDense("d", 3, 2, false, rng)), randTensor(rng, 1, 3))
}

func TestDenseValues(t *testing.T) {
	d := must(NewDense("", 2, 3, true, nil))
	copy(d.Weight.Value.Float32s(), []float32{1, 2, 3, 4, 5, 6})
	copy(d.Bias.Value.Float32s(), []float32{0.5, -1, 0})
	y := must(d.Forward(must(FromSlice([]float32{1, 1, 2, -1}, 2, 2)), false))
	if got, want := y.Float32s(), []float32{5.5, 6, 9, -1.5, -2, 0}; !equalF32(got, want) {
		t.Errorf("dense %v, want %v", got, want)
	}
}

func TestFlattenGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	f := &Flatten{}
	x := randTensor(rng, 2, 3, 2, 4)
	y := must(f.Forward(x, false))
	if !sameShape(y.Shape(), []int{2, 24}) || !equalF32(y.Float32s(), x.Float32s()) {
		t.Fatalf("flatten gave shape %v", y.Shape())
	}
	checkGradients(t, f, x)
}

func TestL2NormalizeGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	l := NewL2Normalize("l2", 0)
	x := randTensor(rng, 3, 5)
	y := must(l.Forward(x, false))
	for r := range 3 {
		var ss float64
		for _, v := range y.Float32s()[r*5 : (r+1)*5] {
			ss += float64(v) * float64(v)
		}
		if math.Abs(ss-1) > 1e-5 {
			t.Errorf("row %d has squared norm %g", r, ss)
		}
	}
	checkGradients(t, l, x)
	// A large ε makes the ε term matter; the backward must still be exact.
	checkGradients(t, NewL2Normalize("l2", 0.5), randTensor(rng, 2, 4))
	// A zero row stays zero and finite.
	z := must(l.Forward(zeros(1, 4), true))
	dz := must(l.Backward(randTensor(rng, 1, 4)))
	for i := range 4 {
		if z.Float32s()[i] != 0 || math.IsNaN(float64(dz.Float32s()[i])) {
			t.Fatalf("zero row: y %v, dx %v", z.Float32s(), dz.Float32s())
		}
	}
}

func TestResidualGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	conv := func(in, out, k, s, p int) *Conv2D {
		return newTestConv(t, rng, in, out, k, s, p, 1, true)
	}
	bn := func(c int) *BatchNorm {
		b := must(NewBatchNorm("", c, 0, 0))
		randomizeBN(b, rng)
		return b
	}
	// Identity shortcut.
	id := NewResidual("r", NewSequential("", conv(3, 3, 3, 1, 1), bn(3)), nil)
	checkGradients(t, id, randTensor(rng, 2, 3, 3, 3))
	// Projection shortcut that halves the size and doubles the channels.
	// (Batch norm after a 1×1 convolution of two channels is so curved in
	// the weights that the finite differences are off by a few percent;
	// the shortcut uses an affine map instead.)
	proj := NewResidual("r",
		NewSequential("", conv(2, 4, 3, 2, 1), bn(4)),
		NewSequential("", conv(2, 4, 1, 2, 0), must(NewAffine("a", 4))))
	checkGradients(t, proj, randTensor(rng, 2, 4, 4, 2))
	names := map[string]bool{}
	for _, p := range proj.Params() {
		names[p.Name] = true
	}
	for _, want := range []string{"body.c.weight", "body.1.running_var", "shortcut.c.bias", "shortcut.a.scale"} {
		if !names[want] {
			t.Errorf("no parameter %q in %v", want, names)
		}
	}
	mismatch := NewResidual("", NewSequential("", conv(2, 3, 3, 1, 1)), nil)
	if _, err := mismatch.Forward(randTensor(rng, 1, 3, 3, 2), false); err == nil {
		t.Error("body changing the channel count with an identity shortcut: no error")
	}
}

// TestLayersRejectBadInput calls each layer with inputs it cannot take and
// Backward without a training Forward: every call must return an error.
func TestLayersRejectBadInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, tc := range []struct {
		l    Layer
		good []int
		bad  [][]int
	}{
		{&ReLU{}, []int{2, 3}, nil},
		{must(NewPReLU("", 3)), []int{1, 2, 2, 3}, [][]int{{1, 2, 2, 4}, {3}, {1, 2, 3}}},
		{must(NewAffine("", 3)), []int{2, 3}, [][]int{{2, 4}, {1, 2, 2, 2}, {2, 3, 3}}},
		{must(NewMaxPool("", 2, 2, 0)), []int{1, 4, 4, 2}, [][]int{{4, 4, 2}, {1, 1, 4, 2}}},
		{must(NewAvgPool("", 3, 1, 1)), []int{1, 4, 4, 2}, [][]int{{4, 2}, {1, 4, 1, 2, 2}}},
		{&GlobalAvgPool{}, []int{1, 2, 2, 2}, [][]int{{2, 2}}},
		{must(NewDense("", 4, 2, true, nil)), []int{3, 4}, [][]int{{3, 5}, {1, 1, 1, 4}, {4}}},
		{&Flatten{}, []int{2, 2, 2, 1}, [][]int{{5}}},
		{NewL2Normalize("", 0), []int{2, 3}, [][]int{{1, 1, 1, 3}, {3}}},
		{NewResidual("", NewSequential("", must(NewAffine("", 2))), nil), []int{1, 2, 2, 2}, [][]int{{1, 2, 2, 3}}},
	} {
		typ := tc.l.Spec().Type
		if _, err := tc.l.Backward(randTensor(rng, tc.good...)); err == nil {
			t.Errorf("%s: Backward before Forward: no error", typ)
		}
		for _, s := range tc.bad {
			if _, err := tc.l.Forward(randTensor(rng, s...), true); err == nil {
				t.Errorf("%s: input %v: no error", typ, s)
			}
		}
		if _, err := tc.l.Forward(nil, true); err == nil {
			t.Errorf("%s: nil input: no error", typ)
		}
		y, err := tc.l.Forward(randTensor(rng, tc.good...), false)
		if err != nil {
			t.Fatalf("%s: input %v: %v", typ, tc.good, err)
		}
		if _, err := tc.l.Backward(randTensor(rng, y.Shape()...)); err == nil {
			t.Errorf("%s: Backward after an inference Forward: no error", typ)
		}
		y, _ = tc.l.Forward(randTensor(rng, tc.good...), true)
		if _, err := tc.l.Backward(randTensor(rng, append(y.Shape().Clone(), 2)...)); err == nil {
			t.Errorf("%s: gradient of the wrong shape: no error", typ)
		}
		if _, err := tc.l.Backward(randTensor(rng, y.Shape()...)); err != nil {
			t.Errorf("%s: Backward: %v", typ, err)
		}
	}
	for name, f := range map[string]func() error{
		"prelu 0":       func() error { _, err := NewPReLU("", 0); return err },
		"affine 0":      func() error { _, err := NewAffine("", 0); return err },
		"maxpool pad":   func() error { _, err := NewMaxPool("", 2, 2, 2); return err },
		"avgpool 0":     func() error { _, err := NewAvgPool("", 0, 1, 0); return err },
		"avgpool s0":    func() error { _, err := NewAvgPool("", 2, 0, 0); return err },
		"dense 0":       func() error { _, err := NewDense("", 0, 3, true, nil); return err },
		"build nonsuch": func() error { _, err := Build(Spec{Type: "nonsuch"}); return err },
		"build conv":    func() error { _, err := Build(Spec{Type: "conv2d", In: 3, Out: 4, Kernel: 3, Groups: 2}); return err },
	} {
		if f() == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestSpecRoundTrip rebuilds every layer type from its Spec (through JSON,
// as a model file stores it), copies the parameters over by name and checks
// that the copy computes the same function.
func TestSpecRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	bn := must(NewBatchNorm("bn", 4, 1e-3, 0.05))
	randomizeBN(bn, rng)
	named := func(c *Conv2D, name string) *Conv2D { c.Name = name; return c }
	net := NewSequential("net",
		named(newTestConv(t, rng, 3, 4, 3, 2, 1, 1, true), "stem"),
		bn,
		must(NewPReLU("act", 4)),
		NewResidual("block",
			NewSequential("", newTestConv(t, rng, 4, 4, 3, 1, 1, 4, false), must(NewAffine("aff", 4)), &ReLU{}),
			nil),
		must(NewMaxPool("mp", 3, 1, 1)),
		must(NewAvgPool("ap", 2, 2, 0)),
		named(newTestConv(t, rng, 4, 6, 1, 1, 0, 2, true), "grouped"),
		&Flatten{Name: "flat"},
		must(NewDense("fc", 24, 5, true, rng)),
		NewL2Normalize("l2", 1e-6),
	)
	net2 := NewSequential("pool-net", newTestConv(t, rng, 3, 2, 3, 1, 1, 1, false), &GlobalAvgPool{Name: "gap"})
	for _, orig := range []Layer{net, net2} {
		js, err := json.Marshal(orig.Spec())
		if err != nil {
			t.Fatal(err)
		}
		var spec Spec
		if err := json.Unmarshal(js, &spec); err != nil {
			t.Fatal(err)
		}
		copyL, err := Build(spec)
		if err != nil {
			t.Fatalf("Build(%s): %v", js, err)
		}
		params := map[string]*Param{}
		for _, p := range copyL.Params() {
			params[p.Name] = p
		}
		for _, p := range orig.Params() {
			q := params[p.Name]
			if q == nil || !sameShape(q.Value.Shape(), p.Value.Shape()) || q.Buffer != p.Buffer {
				t.Fatalf("rebuilt layer lacks parameter %s %v", p.Name, p.Value.Shape())
			}
			copy(q.Value.Float32s(), p.Value.Float32s())
			delete(params, p.Name)
		}
		if len(params) > 0 {
			t.Fatalf("rebuilt layer has extra parameters %v", params)
		}
		x := randTensor(rng, 2, 8, 8, 3)
		y1 := must(orig.Forward(x, false))
		want := append([]float32(nil), y1.Float32s()...)
		y2 := must(copyL.Forward(x, false))
		if !equalF32(y2.Float32s(), want) {
			t.Errorf("rebuilt %s computes something else", js)
		}
	}
}

// TestLayersNoSteadyStateAllocs checks that layers without a matrix product
// allocate nothing once they have seen a shape.
func TestLayersNoSteadyStateAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	bn := must(NewBatchNorm("bn", 8, 0, 0))
	net := NewSequential("",
		newTestConv(t, rng, 8, 8, 3, 2, 1, 8, true),
		bn,
		must(NewPReLU("p", 8)),
		NewResidual("r", NewSequential("", must(NewAffine("a", 8)), &ReLU{}), nil),
		must(NewMaxPool("m", 3, 1, 1)),
		must(NewAvgPool("a", 2, 2, 0)),
		&Flatten{},
		NewL2Normalize("", 0),
	)
	x := randTensor(rng, 2, 8, 8, 8)
	y := must(net.Forward(x, true))
	dy := randTensor(rng, y.Shape()...)
	step := func() {
		if _, err := net.Forward(x, true); err != nil {
			t.Fatal(err)
		}
		if _, err := net.Backward(dy); err != nil {
			t.Fatal(err)
		}
		if _, err := net.Forward(x, false); err != nil {
			t.Fatal(err)
		}
	}
	step()
	if n := testing.AllocsPerRun(10, step); n != 0 {
		t.Errorf("%v allocations per training and inference step, want 0", n)
	}
}

func TestReLUBitTricks(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	negZero := float32(math.Copysign(0, -1))
	for _, tc := range []struct {
		v    float32
		relu float32
		pos  bool
	}{
		{1.5, 1.5, true}, {-1.5, 0, false}, {0, 0, false}, {negZero, 0, false},
		{1e-45, 1e-45, true}, {-1e-45, 0, false}, {inf, inf, true}, {-inf, 0, false},
	} {
		if got := relu(tc.v); got != tc.relu || math.Signbit(float64(got)) {
			t.Errorf("relu(%g) = %g, want %g", tc.v, got, tc.relu)
		}
		if got := positiveMask(tc.v) != 0; got != tc.pos {
			t.Errorf("positiveMask(%g) set: %v, want %v", tc.v, got, tc.pos)
		}
	}
	if !math.IsNaN(float64(relu(nan))) {
		t.Error("relu(NaN) is not NaN")
	}
}
