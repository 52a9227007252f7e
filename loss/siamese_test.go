package loss

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSiamesePredict(t *testing.T) {
	h := &SiameseHead{W: []float32{1, -2}, B: 0.5}
	tests := []struct {
		name   string
		x1, x2 []float32
		logit  float64
	}{
		{"identical", []float32{3, 4}, []float32{3, 4}, 0.5},
		// z = 1·|1−0| − 2·|2−0| + 0.5 = −2.5
		{"by hand", []float32{1, 2}, []float32{0, 0}, -2.5},
		{"swapped", []float32{0, 0}, []float32{1, 2}, -2.5},
		{"signs", []float32{-1, 1}, []float32{1, -1}, 1*2 - 2*2 + 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z, err := h.Logit(tt.x1, tt.x2)
			if err != nil {
				t.Fatal(err)
			}
			if float64(z) != tt.logit {
				t.Errorf("Logit = %v, want %v", z, tt.logit)
			}
			p, err := h.Predict(tt.x1, tt.x2)
			if err != nil {
				t.Fatal(err)
			}
			if want := 1 / (1 + math.Exp(-tt.logit)); !near(float64(p), want, 1e-7) {
				t.Errorf("Predict = %v, want %v", p, want)
			}
		})
	}
	if _, err := h.Predict([]float32{1}, []float32{1, 2}); err == nil {
		t.Error("Predict with a short embedding: no error")
	}
	if _, err := h.Logit([]float32{1, 2, 3}, []float32{1, 2, 3}); err == nil {
		t.Error("Logit with long embeddings: no error")
	}
	if _, err := NewSiameseHead(-1); err == nil {
		t.Error("NewSiameseHead(-1): no error")
	}
	z, _ := NewSiameseHead(3)
	if p, _ := z.Predict([]float32{1, 2, 3}, []float32{-4, 0, 9}); p != 0.5 {
		t.Errorf("zero head predicts %v, want 0.5", p)
	}
}

// TestSiameseLossStable: confident heads, right or wrong, give finite
// losses with the right size: ≈ 0 when right, ≈ |z| when wrong.
func TestSiameseLossStable(t *testing.T) {
	h := &SiameseHead{W: []float32{-1000}, B: 0}
	far := [][]float32{{0}}
	farOther := [][]float32{{100}} // z = −1e5
	tests := []struct {
		name string
		same bool
		want float64
	}{
		{"confidently right", false, 0},
		{"confidently wrong", true, 1e5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loss, grad, err := h.Loss(far, farOther, []bool{tt.same})
			if err != nil {
				t.Fatal(err)
			}
			if math.IsNaN(float64(loss)) || math.IsInf(float64(loss), 0) || !near(float64(loss), tt.want, 1e-6) {
				t.Errorf("loss = %v, want %v", loss, tt.want)
			}
			if math.IsNaN(float64(grad.B)) || math.IsNaN(float64(grad.W[0])) {
				t.Errorf("gradient has NaN: %+v", grad)
			}
		})
	}
	// The loss of ½ probability is log 2.
	z, _ := NewSiameseHead(2)
	loss, _, _ := z.Loss([][]float32{{1, 2}, {3, 4}}, [][]float32{{0, 0}, {5, 5}}, []bool{true, false})
	if !near(float64(loss), math.Ln2, 1e-7) {
		t.Errorf("zero head: loss = %v, want log 2 = %v", loss, math.Ln2)
	}
}

// TestSiameseGradCheck compares the analytic gradient with central
// differences of a float64 reference loss. The loss is smooth wherever no
// component of x1 − x2 is zero; components nearer than 0.05 to zero are
// moved away so that ±h = 1e-3 never crosses the kink of |·|. With h = 1e-3
// the central difference's truncation error is about h²·|ℓ”'|/6 ≈ 1e-7
// (third derivatives of the softplus are below 0.1 and |x1−x2|, |w| ≈ 1);
// the analytic side is float32, about 1e-7 relative. A tolerance of
// 1e-5·(1 + |g|) covers both with margin.
func TestSiameseGradCheck(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const n, dim, h = 6, 5, 1e-3
	head := &SiameseHead{W: randomBatch(r, 1, dim)[0], B: 0.3}
	x1, x2 := randomBatch(r, n, dim), randomBatch(r, n, dim)
	for i := range x1 {
		for k := range x1[i] {
			if d := x1[i][k] - x2[i][k]; d > -0.05 && d < 0.05 {
				x1[i][k] += 0.2
			}
		}
	}
	same := []bool{true, false, true, true, false, false}
	_, grad, err := head.Loss(x1, x2, same)
	if err != nil {
		t.Fatal(err)
	}

	w := make([]float64, dim)
	for k, v := range head.W {
		w[k] = float64(v)
	}
	b := float64(head.B)
	a, c := to64(x1), to64(x2)
	f := func() float64 { return refBCE(w, b, a, c, same) }
	check := func(name string, p *float64, g float32) {
		orig := *p
		*p = orig + h
		up := f()
		*p = orig - h
		down := f()
		*p = orig
		num := (up - down) / (2 * h)
		if math.Abs(float64(g)-num) > 1e-5*(1+math.Abs(num)) {
			t.Errorf("%s = %v, numerical %v", name, g, num)
		}
	}
	for k := range w {
		check("∂ℓ/∂W", &w[k], grad.W[k])
	}
	check("∂ℓ/∂B", &b, grad.B)
	for i := range a {
		for k := range a[i] {
			check("∂ℓ/∂x1", &a[i][k], grad.X1[i][k])
			check("∂ℓ/∂x2", &c[i][k], grad.X2[i][k])
		}
	}
}

// refBCE is the mean binary cross-entropy in float64, from the definition
// −y·log ŷ − (1−y)·log(1−ŷ) (fine for the moderate logits of the test).
func refBCE(w []float64, b float64, x1, x2 [][]float64, same []bool) float64 {
	var sum float64
	for i := range x1 {
		z := b
		for k := range w {
			z += w[k] * math.Abs(x1[i][k]-x2[i][k])
		}
		p := 1 / (1 + math.Exp(-z))
		if same[i] {
			sum -= math.Log(p)
		} else {
			sum -= math.Log(1 - p)
		}
	}
	return sum / float64(len(x1))
}

// TestSiameseTrains: a few hundred plain SGD steps on synthetic pairs of
// well-separated identities must verify fresh pairs with > 95% accuracy.
func TestSiameseTrains(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	const (
		dim, ids, batch, steps = 16, 40, 32, 300
		noise                  = 0.1
		lr                     = 0.5
	)
	pairs := identities(r, ids, dim, noise)

	head, _ := NewSiameseHead(dim)
	var first, last float32
	for s := range steps {
		x1, x2, same := pairs(batch)
		loss, grad, err := head.Loss(x1, x2, same)
		if err != nil {
			t.Fatal(err)
		}
		if s == 0 {
			first = loss
		}
		last = loss
		if err := head.Step(grad, lr); err != nil {
			t.Fatal(err)
		}
	}
	x1, x2, same := pairs(1000)
	correct := 0
	for i := range x1 {
		p, _ := head.Predict(x1[i], x2[i])
		if (p > 0.5) == same[i] {
			correct++
		}
	}
	acc := float64(correct) / float64(len(x1))
	t.Logf("loss %.3f → %.3f, accuracy on fresh pairs %.3f, bias %.2f", first, last, acc, head.B)
	if acc <= 0.95 {
		t.Errorf("accuracy %.3f after %d steps, want > 0.95", acc, steps)
	}
}

func TestSiameseErrors(t *testing.T) {
	h, _ := NewSiameseHead(2)
	ok := [][]float32{{1, 2}}
	tests := []struct {
		name   string
		x1, x2 [][]float32
		same   []bool
	}{
		{"fewer second embeddings", ok, nil, []bool{true}},
		{"fewer labels", ok, ok, nil},
		{"wrong dimension", [][]float32{{1, 2, 3}}, [][]float32{{1, 2, 3}}, []bool{true}},
		{"second pair wrong", [][]float32{{1, 2}, {1, 2}}, [][]float32{{1, 2}, {1}}, []bool{true, false}},
	}
	for _, tt := range tests {
		if _, _, err := h.Loss(tt.x1, tt.x2, tt.same); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	if err := h.Step(SiameseGrad{W: make([]float32, 3)}, 0.1); err == nil {
		t.Error("Step with a gradient of the wrong size: no error")
	}
	loss, grad, err := h.Loss(nil, nil, nil)
	if err != nil || loss != 0 || len(grad.W) != 2 || grad.B != 0 {
		t.Errorf("no pairs: %v, %+v, %v; want a zero loss and gradient", loss, grad, err)
	}
}

// identities makes ids random centres and returns a function drawing n
// pairs, alternately same and different, of noisy copies of them.
func identities(r *rand.Rand, ids, dim int, noise float32) func(n int) (x1, x2 [][]float32, same []bool) {
	centres := randomBatch(r, ids, dim)
	sample := func(id int) []float32 {
		v := make([]float32, dim)
		for k := range v {
			v[k] = centres[id][k] + noise*float32(r.NormFloat64())
		}
		return v
	}
	return func(n int) (x1, x2 [][]float32, same []bool) {
		for i := range n {
			a := r.IntN(ids)
			b := a
			for i%2 == 1 && b == a {
				b = r.IntN(ids)
			}
			x1, x2, same = append(x1, sample(a)), append(x2, sample(b)), append(same, a == b)
		}
		return x1, x2, same
	}
}

// fitPairs draws n pairs, alternately same and different, of ids noisy
// copies of random centres.
func fitPairs(r *rand.Rand, n, ids, dim int, noise float32) (x1, x2 [][]float32, same []bool) {
	return identities(r, ids, dim, noise)(n)
}

// l1Spread is the standard deviation of the pairs' L1 distances.
func l1Spread(x1, x2 [][]float32) float64 {
	d := make([]float64, len(x1))
	var mean float64
	for i := range x1 {
		for k := range x1[i] {
			d[i] += math.Abs(float64(x1[i][k] - x2[i][k]))
		}
		mean += d[i] / float64(len(d))
	}
	var v float64
	for _, x := range d {
		v += (x - mean) * (x - mean) / float64(len(d))
	}
	return math.Sqrt(v)
}

// TestFitSiameseHead: the fitted head has equal, negative weights, verifies
// the pairs it was fitted on, stops at a finite confidence when the
// distance separates them completely, and is the minimum of its objective:
// the head's own gradient (Loss) along the common weight plus the ridge's
// is zero, and so is its gradient in the bias.
func TestFitSiameseHead(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	x1, x2, same := fitPairs(r, 400, 20, 16, 0.1)
	h, err := FitSiameseHead(x1, x2, same)
	if err != nil {
		t.Fatal(err)
	}
	for k, w := range h.W {
		if w != h.W[0] || !(w < 0) {
			t.Fatalf("W[%d] = %v, W[0] = %v: want equal negative weights", k, w, h.W[0])
		}
	}
	if !(h.B > 0) {
		t.Errorf("B = %v, want a positive bias", h.B)
	}
	correct, confident := 0, 0
	for i := range x1 {
		p, _ := h.Predict(x1[i], x2[i])
		if (p > 0.5) == same[i] {
			correct++
		}
		if p > 0.999 || p < 0.001 {
			confident++
		}
	}
	t.Logf("W %.4f, B %.3f: %d of %d pairs right, %d beyond 0.999 confidence", h.W[0], h.B, correct, len(x1), confident)
	if correct != len(x1) {
		t.Errorf("%d of %d separable pairs right, want all", correct, len(x1))
	}
	if confident > len(x1)/10 {
		t.Errorf("%d of %d pairs beyond 0.999 confidence: the ridge should keep the fit moderate", confident, len(x1))
	}
	_, g, err := h.Loss(x1, x2, same)
	if err != nil {
		t.Fatal(err)
	}
	var along float64 // ∂(mean BCE)/∂a with every Wₖ = a
	for _, v := range g.W {
		along += float64(v)
	}
	s := l1Spread(x1, x2)
	// ½·FitRidge·(a·s)² adds FitRidge·a·s² to it.
	if stat := along + FitRidge*float64(h.W[0])*s*s; math.Abs(stat) > 1e-4 || math.Abs(float64(g.B)) > 1e-5 {
		t.Errorf("not at the minimum: gradient along W %v (with the ridge), in B %v", stat, g.B)
	}

	// Labels unrelated to distance: a slope near zero, ŷ near ½.
	for i := range same {
		same[i] = r.IntN(2) == 0
	}
	h, err = FitSiameseHead(x1, x2, same)
	if err != nil {
		t.Fatal(err)
	}
	if a := math.Abs(float64(h.W[0])) * l1Spread(x1, x2); a > 0.3 {
		t.Errorf("random labels: standardised slope %v, want near 0", a)
	}

	for _, c := range []struct {
		name   string
		x1, x2 [][]float32
		same   []bool
	}{
		{"no pairs", nil, nil, nil},
		{"only same", x1[:2], x2[:2], []bool{true, true}},
		{"only different", x1[:2], x2[:2], []bool{false, false}},
		{"fewer labels", x1[:2], x2[:2], []bool{true}},
		{"ragged", [][]float32{{1, 2}, {1}}, [][]float32{{1, 2}, {1}}, []bool{true, false}},
	} {
		if _, err := FitSiameseHead(c.x1, c.x2, c.same); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}
