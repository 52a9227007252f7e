package loss

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestROC(t *testing.T) {
	tests := []struct {
		name         string
		sameD, diffD []float32
		want         []ROCPoint
	}{
		{
			name: "interleaved", sameD: []float32{1, 3}, diffD: []float32{2, 4},
			want: []ROCPoint{{below(1), 0, 0}, {1, 0, 0.5}, {2, 0.5, 0.5}, {3, 0.5, 1}, {4, 1, 1}},
		},
		{
			// the same pair and the different pair at 2 make one diagonal step
			name: "tie", sameD: []float32{1, 2}, diffD: []float32{2, 3},
			want: []ROCPoint{{below(1), 0, 0}, {1, 0, 0.5}, {2, 0.5, 1}, {3, 1, 1}},
		},
		{
			name: "separable", sameD: []float32{0.5, 0.1}, diffD: []float32{0.9},
			want: []ROCPoint{{below(0.1), 0, 0}, {0.1, 0, 0.5}, {0.5, 0, 1}, {0.9, 1, 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, s := pairs(tt.sameD, tt.diffD)
			got, err := ROC(d, s)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestAUCAndEER(t *testing.T) {
	tests := []struct {
		name         string
		sameD, diffD []float32
		auc, eer     float64
		eerThr       float32
	}{
		{"perfectly separable", []float32{0.1, 0.2, 0.3}, []float32{0.5, 0.6}, 1, 0, 0.3},
		// FAR − FRR: −1, −1/3 (τ=1), +1/3 (τ=2): the crossing is halfway
		{"identical distributions", []float32{1, 2, 3}, []float32{1, 2, 3}, 0.5, 0.5, 1.5},
		{"all tied", []float32{7, 7}, []float32{7, 7, 7}, 0.5, 0.5, 7},
		// every different pair accepted before any same pair: FAR = FRR = 1 at τ = 2
		{"reversed", []float32{5, 6}, []float32{1, 2}, 0, 1, 2},
		// AUC: couples (1,2) ✓ (1,4) ✓ (3,2) ✗ (3,4) ✓ → 3/4
		{"interleaved", []float32{1, 3}, []float32{2, 4}, 0.75, 0.5, 2},
		// AUC: (1,2) ✓ (1,3) ✓ (2,2) ½ (2,3) ✓ → 3.5/4
		{"tie", []float32{1, 2}, []float32{2, 3}, 0.875, 0.25, 1.5},
		// AUC: (1,1.5) ✓ (1,4) ✓ (2,1.5) ✗ (2,4) ✓ (3,1.5) ✗ (3,4) ✓ → 4/6.
		// FAR − FRR: −1, −2/3 (τ=1), −1/6 (τ=1.5), +1/6 (τ=2): halfway
		// between 1.5 and 2, FAR = FRR = 0.5
		{"interpolated", []float32{1, 2, 3}, []float32{1.5, 4}, 4.0 / 6, 0.5, 1.75},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, s := pairs(tt.sameD, tt.diffD)
			auc, err := AUC(d, s)
			if err != nil {
				t.Fatal(err)
			}
			if !near(auc, tt.auc, 1e-12) {
				t.Errorf("AUC = %v, want %v", auc, tt.auc)
			}
			if mw := mannWhitney(d, s); !near(auc, mw, 1e-12) {
				t.Errorf("AUC = %v, Mann–Whitney %v", auc, mw)
			}
			eer, thr, err := EER(d, s)
			if err != nil {
				t.Fatal(err)
			}
			if !near(eer, tt.eer, 1e-12) || thr != tt.eerThr {
				t.Errorf("EER = %v at %v, want %v at %v", eer, thr, tt.eer, tt.eerThr)
			}
		})
	}
}

// TestAUCIsMannWhitney: on random data with many ties, the trapezoid AUC
// equals the probability that a same pair is closer than a different pair,
// ties counting ½, computed by comparing every couple.
func TestAUCIsMannWhitney(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	for trial := range 30 {
		d, s := randomScores(r, 20+r.IntN(200), 2+r.IntN(30))
		auc, err := AUC(d, s)
		if err != nil {
			t.Fatal(err)
		}
		if mw := mannWhitney(d, s); !near(auc, mw, 1e-12) {
			t.Errorf("trial %d: AUC = %v, Mann–Whitney %v", trial, auc, mw)
		}
	}
}

// mannWhitney is P(d_same < d_diff) + ½ P(d_same = d_diff) over all couples
// of a same pair and a different pair.
func mannWhitney(d []float32, s []bool) float64 {
	var wins float64
	var couples int
	for i := range d {
		for j := range d {
			if !s[i] || s[j] {
				continue
			}
			couples++
			switch {
			case d[i] < d[j]:
				wins++
			case d[i] == d[j]:
				wins += 0.5
			}
		}
	}
	return wins / float64(couples)
}

func TestTARAtFAR(t *testing.T) {
	// same at 1 and 3, different at 2 and 4; ROC points (τ, FAR, TAR):
	// (1, 0, ½), (2, ½, ½), (3, ½, 1), (4, 1, 1)
	d, s := pairs([]float32{1, 3}, []float32{2, 4})
	tests := []struct {
		far float64
		tar float64
		thr float32
	}{
		{0, 0.5, 1},
		{0.49, 0.5, 1},
		{0.5, 1, 3}, // largest threshold with FAR ≤ ½ is 3, not 2
		{0.99, 1, 3},
		{1, 1, 4},
	}
	for _, tt := range tests {
		tar, thr, err := TARAtFAR(d, s, tt.far)
		if err != nil {
			t.Fatal(err)
		}
		if tar != tt.tar || thr != tt.thr {
			t.Errorf("TARAtFAR(%v) = %v at %v, want %v at %v", tt.far, tar, thr, tt.tar, tt.thr)
		}
	}
	// The nearest pair is different: at FAR 0 nothing is accepted.
	d, s = pairs([]float32{2, 3}, []float32{1, 4})
	if tar, thr, err := TARAtFAR(d, s, 0); err != nil || tar != 0 || thr != below(1) {
		t.Errorf("TARAtFAR(0) = %v at %v (%v), want 0 just below 1", tar, thr, err)
	}
	for _, far := range []float64{-0.1, 1.1} {
		if _, _, err := TARAtFAR(d, s, far); err == nil {
			t.Errorf("TARAtFAR(%v): no error", far)
		}
	}
}

// TestMetricsOrderIndependent: shuffling the pairs, ties included, changes
// no metric.
func TestMetricsOrderIndependent(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	d, s := randomScores(r, 300, 12)
	roc0, _ := ROC(d, s)
	auc0, _ := AUC(d, s)
	eer0, et0, _ := EER(d, s)
	tar0, tt0, _ := TARAtFAR(d, s, 0.1)
	thr0, acc0, _ := BestThreshold(d, s)
	for range 5 {
		r.Shuffle(len(d), func(i, j int) { d[i], d[j] = d[j], d[i]; s[i], s[j] = s[j], s[i] })
		roc, _ := ROC(d, s)
		auc, _ := AUC(d, s)
		eer, et, _ := EER(d, s)
		tar, tt, _ := TARAtFAR(d, s, 0.1)
		thr, acc, _ := BestThreshold(d, s)
		if !slices.Equal(roc, roc0) || auc != auc0 || eer != eer0 || et != et0 || tar != tar0 || tt != tt0 || thr != thr0 || acc != acc0 {
			t.Fatalf("metrics changed after shuffling the pairs")
		}
	}
}
