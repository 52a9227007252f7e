package loss

import (
	"math"
	"math/rand/v2"
	"testing"
)

// constBatch returns n embeddings all equal to v.
func constBatch(n int, v []float32) [][]float32 {
	emb := make([][]float32, n)
	for i := range emb {
		emb[i] = append([]float32(nil), v...)
	}
	return emb
}

// TestTripletLossTrivialSolutions: mapping every image to one point, zero
// or not, must cost exactly the margin per triplet — the margin is what
// forbids these solutions. Every triplet is active there, yet the gradient
// is zero, because A = P = N makes 2(N − P), 2(P − A), 2(A − N) vanish.
func TestTripletLossTrivialSolutions(t *testing.T) {
	triplets := []Triplet{{0, 1, 2}, {1, 0, 3}, {2, 3, 0}, {3, 2, 1}, {0, 1, 3}}
	tests := []struct {
		name   string
		point  []float32
		margin float32
	}{
		{"f≡0, margin 0.2", make([]float32, 4), 0.2},
		{"f≡0, margin 1", make([]float32, 4), 1},
		{"one point, margin 0.2", []float32{0.5, -0.5, 0.5, -0.5}, 0.2},
		{"one point, margin 0.5", []float32{3, 1, 4, 1}, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emb := constBatch(4, tt.point)
			loss, grad, active, err := TripletLoss(emb, triplets, tt.margin)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.margin * float32(len(triplets))
			if loss != want || loss == 0 {
				t.Errorf("loss = %v, want margin × %d = %v", loss, len(triplets), want)
			}
			if active != len(triplets) {
				t.Errorf("active = %d, want %d", active, len(triplets))
			}
			assertZeroGrad(t, grad)
			for _, tr := range triplets {
				l, _, _, _, err := SingleTripletLoss(emb[tr.A], emb[tr.P], emb[tr.N], tt.margin)
				if err != nil || l != tt.margin {
					t.Errorf("SingleTripletLoss = %v, %v; want the margin %v", l, err, tt.margin)
				}
			}
		})
	}
}

// TestTripletLossInactive: once d(A,P) + margin ≤ d(A,N) a triplet is
// satisfied and contributes neither loss nor gradient; equality counts as
// satisfied (the hinge's argument is 0, not positive).
func TestTripletLossInactive(t *testing.T) {
	tests := []struct {
		name    string
		a, p, n []float32
		margin  float32
	}{
		// d(A,P) = 1, d(A,N) = 4: all values exact in float32.
		{"well separated", []float32{0, 0}, []float32{1, 0}, []float32{0, 2}, 0.5},
		{"exactly on the margin", []float32{0, 0}, []float32{1, 0}, []float32{0, 2}, 3},
		{"zero margin, equal distances", []float32{0, 0}, []float32{1, 0}, []float32{0, 1}, 0},
		{"anchor equals positive", []float32{1, 1}, []float32{1, 1}, []float32{-1, 1}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emb := [][]float32{tt.a, tt.p, tt.n}
			loss, grad, active, err := TripletLoss(emb, []Triplet{{0, 1, 2}}, tt.margin)
			if err != nil {
				t.Fatal(err)
			}
			if loss != 0 || active != 0 {
				t.Errorf("loss = %v, active = %d; want 0, 0", loss, active)
			}
			assertZeroGrad(t, grad)
			l, ga, gp, gn, err := SingleTripletLoss(tt.a, tt.p, tt.n, tt.margin)
			if err != nil || l != 0 {
				t.Errorf("SingleTripletLoss = %v, %v; want 0", l, err)
			}
			assertZeroGrad(t, [][]float32{ga, gp, gn})
		})
	}
}

// TestTripletLossByHand checks one active triplet against the formulas.
func TestTripletLossByHand(t *testing.T) {
	// A = (0,0), P = (1,0), N = (0,1): d(A,P) = d(A,N) = 1, so L = margin.
	a, p, n := []float32{0, 0}, []float32{1, 0}, []float32{0, 1}
	loss, ga, gp, gn, err := SingleTripletLoss(a, p, n, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if loss != 0.5 {
		t.Errorf("loss = %v, want 0.5", loss)
	}
	want := [][]float32{{-2, 2}, {2, 0}, {0, -2}} // 2(N−P), 2(P−A), 2(A−N)
	assertRows(t, "grad", [][]float32{ga, gp, gn}, want)

	// The same triplet twice, and an extra unused embedding, in a batch.
	emb := [][]float32{a, {9, 9}, p, n}
	bl, grad, active, err := TripletLoss(emb, []Triplet{{0, 2, 3}, {0, 2, 3}}, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if bl != 1 || active != 2 {
		t.Errorf("batch loss = %v, active = %d; want 1, 2", bl, active)
	}
	assertRows(t, "batch grad", grad, [][]float32{{-4, 4}, {0, 0}, {4, 0}, {0, -4}})
}

func TestTripletLossReductions(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	emb := randomBatch(r, 6, 3)
	triplets := []Triplet{{0, 1, 2}, {1, 0, 3}, {2, 3, 4}, {4, 5, 0}, {5, 4, 1}, {3, 2, 5}}
	const margin = 0.3
	sum, gsum, active, err := TripletLoss(emb, triplets, margin)
	if err != nil {
		t.Fatal(err)
	}
	if active == 0 || active == len(triplets) {
		t.Fatalf("test data has %d of %d active triplets: want a mix", active, len(triplets))
	}
	tests := []struct {
		red   Reduction
		scale float64
	}{
		{Sum, 1},
		{Mean, 1 / float64(len(triplets))},
		{MeanActive, 1 / float64(active)},
	}
	for _, tt := range tests {
		t.Run(tt.red.String(), func(t *testing.T) {
			loss, grad, act, err := TripletLossReduced(emb, triplets, margin, tt.red)
			if err != nil {
				t.Fatal(err)
			}
			if act != active {
				t.Errorf("active = %d, want %d", act, active)
			}
			if !near(float64(loss), float64(sum)*tt.scale, 1e-6) {
				t.Errorf("loss = %v, want %v", loss, float64(sum)*tt.scale)
			}
			for j := range grad {
				for k := range grad[j] {
					if !near(float64(grad[j][k]), float64(gsum[j][k])*tt.scale, 1e-6) {
						t.Errorf("grad[%d][%d] = %v, want %v", j, k, grad[j][k], float64(gsum[j][k])*tt.scale)
					}
				}
			}
		})
	}
	// No triplets, or no active ones: a zero loss under every reduction.
	for _, red := range []Reduction{Sum, Mean, MeanActive} {
		for _, ts := range [][]Triplet{nil, {{0, 0, 0}}} {
			loss, grad, _, err := TripletLossReduced(constBatch(2, []float32{1}), ts, 0, red)
			if err != nil || loss != 0 {
				t.Errorf("%v, %d triplets: loss %v, err %v; want 0", red, len(ts), loss, err)
			}
			assertZeroGrad(t, grad)
		}
	}
}

// TestTripletLossGradCheck compares the analytic gradient with central
// differences of an independent float64 implementation of J.
//
// Tolerance: J is piecewise quadratic, so away from the hinge's kinks a
// central difference has no truncation error, and in float64 with h = 1e-3
// its rounding error is about 1e-16·|J|/h ≈ 1e-12. The analytic side is
// float32: each gradient entry sums a few terms 2(x − y) of size ≤ 4, each
// rounded to about 6e-8 relative, so its error is below 1e-6. A tolerance
// of 1e-5·(1 + |g|) sits well above both and far below a wrong formula
// (errors of order 1). Triplets whose hinge argument is within 0.1 of zero
// are redrawn, so that no perturbation of ±h (which moves the argument by
// at most about 8h·(1+|x|) ≈ 0.02) crosses a kink.
func TestTripletLossGradCheck(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const (
		n, dim, m = 8, 5, 30
		margin    = 0.5
		h         = 1e-3
	)
	emb := randomBatch(r, n, dim)
	var triplets []Triplet
	for len(triplets) < m {
		// Any indices, repeats included: accumulation must handle aliasing.
		tr := Triplet{r.IntN(n), r.IntN(n), r.IntN(n)}
		if math.Abs(refHinge(to64(emb), tr, margin)) < 0.1 {
			continue
		}
		triplets = append(triplets, tr)
	}
	loss, grad, active, err := TripletLoss(emb, triplets, margin)
	if err != nil {
		t.Fatal(err)
	}
	if active == 0 || active == m {
		t.Fatalf("%d of %d triplets active: want a mix to test both branches", active, m)
	}
	x := to64(emb)
	if want := refTripletLoss(x, triplets, margin); !near(float64(loss), want, 1e-5) {
		t.Errorf("loss = %v, float64 reference %v", loss, want)
	}
	for j := range x {
		for k := range x[j] {
			orig := x[j][k]
			x[j][k] = orig + h
			up := refTripletLoss(x, triplets, margin)
			x[j][k] = orig - h
			down := refTripletLoss(x, triplets, margin)
			x[j][k] = orig
			num := (up - down) / (2 * h)
			if g := float64(grad[j][k]); math.Abs(g-num) > 1e-5*(1+math.Abs(num)) {
				t.Errorf("∂J/∂emb[%d][%d] = %v, numerical %v", j, k, g, num)
			}
		}
	}
}

func TestTripletLossErrors(t *testing.T) {
	good := [][]float32{{0, 0}, {1, 0}, {0, 1}}
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	tests := []struct {
		name     string
		emb      [][]float32
		triplets []Triplet
		margin   float32
		red      Reduction
	}{
		{"ragged batch", [][]float32{{0, 0}, {1}, {0, 1}}, []Triplet{{0, 1, 2}}, 0.2, Sum},
		{"anchor out of range", good, []Triplet{{3, 1, 2}}, 0.2, Sum},
		{"negative index", good, []Triplet{{0, -1, 2}}, 0.2, Sum},
		{"negative out of range", good, []Triplet{{0, 1, 2}, {0, 1, 99}}, 0.2, Sum},
		{"negative margin", good, []Triplet{{0, 1, 2}}, -0.2, Sum},
		{"NaN margin", good, []Triplet{{0, 1, 2}}, nan, Sum},
		{"infinite margin", good, []Triplet{{0, 1, 2}}, inf, Sum},
		{"unknown reduction", good, []Triplet{{0, 1, 2}}, 0.2, Reduction(7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, _, err := TripletLossReduced(tt.emb, tt.triplets, tt.margin, tt.red); err == nil {
				t.Error("no error")
			} else {
				t.Log(err)
			}
		})
	}
	if _, _, _, _, err := SingleTripletLoss([]float32{0, 0}, []float32{0}, []float32{0, 0}, 0.2); err == nil {
		t.Error("SingleTripletLoss with mismatched lengths: no error")
	}
	if _, _, _, _, err := SingleTripletLoss([]float32{0}, []float32{0}, []float32{0}, -1); err == nil {
		t.Error("SingleTripletLoss with a negative margin: no error")
	}
}

// TestSingleMatchesBatch: the single-triplet function and the batch
// function agree on random triplets.
func TestSingleMatchesBatch(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 50 {
		emb := randomBatch(r, 3, 4)
		l1, ga, gp, gn, err := SingleTripletLoss(emb[0], emb[1], emb[2], 0.3)
		if err != nil {
			t.Fatal(err)
		}
		l2, grad, _, err := TripletLoss(emb, []Triplet{{0, 1, 2}}, 0.3)
		if err != nil {
			t.Fatal(err)
		}
		if l1 != l2 {
			t.Errorf("single loss %v, batch loss %v", l1, l2)
		}
		assertRows(t, "single vs batch", [][]float32{ga, gp, gn}, grad)
	}
}

// refTripletLoss is J in float64, written from the formula alone.
func refTripletLoss(x [][]float64, triplets []Triplet, margin float64) float64 {
	var j float64
	for _, t := range triplets {
		j += math.Max(refHinge(x, t, margin), 0)
	}
	return j
}

func refHinge(x [][]float64, t Triplet, margin float64) float64 {
	d := func(u, v []float64) float64 {
		var s float64
		for k := range u {
			s += (u[k] - v[k]) * (u[k] - v[k])
		}
		return s
	}
	return d(x[t.A], x[t.P]) - d(x[t.A], x[t.N]) + margin
}

func to64(emb [][]float32) [][]float64 {
	x := make([][]float64, len(emb))
	for i, e := range emb {
		x[i] = make([]float64, len(e))
		for k, v := range e {
			x[i][k] = float64(v)
		}
	}
	return x
}

// near reports whether got is within tol·(1 + |want|) of want.
func near(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*(1+math.Abs(want))
}

func assertZeroGrad(t *testing.T, grad [][]float32) {
	t.Helper()
	for j, row := range grad {
		for k, v := range row {
			if v != 0 {
				t.Errorf("grad[%d][%d] = %v, want 0", j, k, v)
			}
		}
	}
}

func assertRows(t *testing.T, what string, got, want [][]float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
	}
	for j := range want {
		if len(got[j]) != len(want[j]) {
			t.Fatalf("%s: row %d has %d values, want %d", what, j, len(got[j]), len(want[j]))
		}
		for k := range want[j] {
			if got[j][k] != want[j][k] {
				t.Errorf("%s[%d][%d] = %v, want %v", what, j, k, got[j][k], want[j][k])
			}
		}
	}
}
