package loss

import (
	"math"
	"math/rand/v2"
	"testing"
)

// pairs builds distances and labels from the distances of same pairs and of
// different pairs, same pairs first.
func pairs(sameD, diffD []float32) ([]float32, []bool) {
	var d []float32
	var s []bool
	for _, v := range sameD {
		d, s = append(d, v), append(s, true)
	}
	for _, v := range diffD {
		d, s = append(d, v), append(s, false)
	}
	return d, s
}

func TestAccuracy(t *testing.T) {
	// same at 1 and 3, different at 2 and 4
	d, s := pairs([]float32{1, 3}, []float32{2, 4})
	tests := []struct {
		thr  float32
		want float64
	}{
		{0.5, 0.5},  // rejects all: both different pairs right
		{1, 0.75},   // d ≤ τ accepts the pair at exactly τ
		{1.5, 0.75}, // same 1 ✓, same 3 ✗, diff 2 ✓, diff 4 ✓
		{2, 0.5},
		{3, 0.75},
		{4, 0.5}, // accepts all
		{float32(math.Inf(1)), 0.5},
	}
	for _, tt := range tests {
		got, err := Accuracy(d, s, tt.thr)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("Accuracy(τ=%v) = %v, want %v", tt.thr, got, tt.want)
		}
	}
	if _, err := Accuracy(d, s, float32(math.NaN())); err == nil {
		t.Error("NaN threshold: no error")
	}
}

func TestBestThreshold(t *testing.T) {
	tests := []struct {
		name         string
		sameD, diffD []float32
		thr          float32
		acc          float64
	}{
		{"separable: midpoint of the gap", []float32{0.1, 0.2, 0.3}, []float32{0.5, 0.6}, 0.4, 1},
		// accuracy 3/4 at k = 1 and k = 3: the smaller threshold wins
		{"tie between thresholds", []float32{1, 3}, []float32{2, 4}, 1.5, 0.75},
		{"only same pairs: accept all", []float32{1, 2, 3}, nil, 3, 1},
		{"only different pairs: accept none", nil, []float32{1, 2, 3}, below(1), 1},
		{"reversed: accept none", []float32{5, 6}, []float32{1, 2, 3}, below(1), 0.6},
		// same and different share 2: both sides of any threshold together
		{"tied distances", []float32{1, 2, 2}, []float32{2, 3}, 2.5, 0.8},
		{"neighbouring floats", []float32{1}, []float32{math.Nextafter32(1, 2)}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, s := pairs(tt.sameD, tt.diffD)
			thr, acc, err := BestThreshold(d, s)
			if err != nil {
				t.Fatal(err)
			}
			if thr != tt.thr || acc != tt.acc {
				t.Errorf("BestThreshold = %v, %v; want %v, %v", thr, acc, tt.thr, tt.acc)
			}
			if a, _ := Accuracy(d, s, thr); a != acc {
				t.Errorf("Accuracy at the chosen threshold = %v, BestThreshold says %v", a, acc)
			}
		})
	}
}

// TestBestThresholdIsBest: on random data with ties, no distance (nor a
// point between two) gives a better accuracy than BestThreshold's.
func TestBestThresholdIsBest(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for range 20 {
		d, s := randomScores(r, 40, 8)
		thr, acc, err := BestThreshold(d, s)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range d {
			for _, cand := range []float32{c, below(c)} {
				if a, _ := Accuracy(d, s, cand); a > acc {
					t.Errorf("τ = %v gives %v > %v at BestThreshold's %v", cand, a, acc, thr)
				}
			}
		}
	}
}

// TestMetricsErrors: every metric rejects malformed input with an error.
func TestMetricsErrors(t *testing.T) {
	nan := float32(math.NaN())
	tests := []struct {
		name    string
		d       []float32
		s       []bool
		rocOnly bool // BestThreshold and Accuracy accept it
	}{
		{"no pairs", nil, nil, false},
		{"length mismatch", []float32{1, 2}, []bool{true}, false},
		{"NaN distance", []float32{1, nan}, []bool{true, false}, false},
		{"infinite distance", []float32{1, float32(math.Inf(1))}, []bool{true, false}, false},
		{"no different pair", []float32{1, 2}, []bool{true, true}, true},
		{"no same pair", []float32{1, 2}, []bool{false, false}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err1 := ROC(tt.d, tt.s)
			_, err2 := AUC(tt.d, tt.s)
			_, _, err3 := EER(tt.d, tt.s)
			_, _, err4 := TARAtFAR(tt.d, tt.s, 0.1)
			for i, err := range []error{err1, err2, err3, err4} {
				if err == nil {
					t.Errorf("ROC function %d: no error", i)
				}
			}
			_, _, err5 := BestThreshold(tt.d, tt.s)
			_, err6 := Accuracy(tt.d, tt.s, 1)
			_, err7 := KFoldAccuracy(tt.d, tt.s, 2)
			for i, err := range []error{err5, err6, err7} {
				if (err == nil) != tt.rocOnly {
					t.Errorf("threshold function %d: error %v", i, err)
				}
			}
		})
	}
}

// randomScores draws n pairs, about half of them same, with distances
// rounded to one of levels values so that ties are common; same pairs tend
// to be closer.
func randomScores(r *rand.Rand, n, levels int) ([]float32, []bool) {
	d := make([]float32, n)
	s := make([]bool, n)
	for i := range d {
		s[i] = i%2 == 0 || r.IntN(3) == 0
		x := r.Float64()
		if s[i] {
			x *= 0.8
		} else {
			x = 0.3 + 0.7*x
		}
		d[i] = float32(math.Round(x*float64(levels)) / float64(levels))
	}
	return d, s
}
