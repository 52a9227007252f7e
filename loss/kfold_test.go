package loss

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestKFold(t *testing.T) {
	tests := []struct {
		n, k int
		want [][]int
	}{
		{4, 2, [][]int{{0, 1}, {2, 3}}},
		{10, 3, [][]int{{0, 1, 2, 3}, {4, 5, 6}, {7, 8, 9}}},
		{5, 5, [][]int{{0}, {1}, {2}, {3}, {4}}},
	}
	for _, tt := range tests {
		got, err := KFold(tt.n, tt.k)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(got, tt.want, slices.Equal) {
			t.Errorf("KFold(%d, %d) = %v, want %v", tt.n, tt.k, got, tt.want)
		}
	}
	for _, bad := range [][2]int{{10, 1}, {10, 0}, {3, 4}, {0, 2}} {
		if _, err := KFold(bad[0], bad[1]); err == nil {
			t.Errorf("KFold(%d, %d): no error", bad[0], bad[1])
		}
	}
}

func TestFoldsByID(t *testing.T) {
	got, err := FoldsByID([]int{2, 0, 2, 5, 0})
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]int{{1, 4}, {0, 2}, {3}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("FoldsByID = %v, want %v", got, want)
	}
	if _, err := FoldsByID([]int{0, -1}); err == nil {
		t.Error("negative fold number: no error")
	}
}

func TestKFoldAccuracy(t *testing.T) {
	// Fold A: same 1, 2; different 3, 4 → its best threshold is 2.5.
	// Fold B: same 1, 2; different 3, 2.5 → its best threshold is 2.25.
	// Fold A tested with B's 2.25: all right. Fold B tested with A's 2.5:
	// the different pair at 2.5 is accepted, 3 of 4 right.
	fa, sa := pairs([]float32{1, 2}, []float32{3, 4})
	fb, sb := pairs([]float32{1, 2}, []float32{3, 2.5})
	d, s := append(fa, fb...), append(sa, sb...)

	sample := math.Sqrt((0.125*0.125 + 0.125*0.125) / 1)
	tests := []struct {
		name string
		d    []float32
		s    []bool
		k    int
		want KFoldResult
	}{
		{
			name: "two folds by hand", d: d, s: s, k: 2,
			want: KFoldResult{
				Mean: 0.875, Std: 0.125, StdErr: sample / math.Sqrt2,
				Accuracies: []float64{1, 0.75}, Thresholds: []float32{2.25, 2.5},
				Threshold: 2.25,
			},
		},
		{
			name: "perfectly separable, 3 folds", k: 3,
			d: []float32{0.1, 0.9, 0.2, 0.8, 0.3, 0.7},
			s: []bool{true, false, true, false, true, false},
			want: KFoldResult{
				Mean: 1, Std: 0, StdErr: 0,
				Accuracies: []float64{1, 1, 1}, Thresholds: []float32{0.5, 0.5, 0.5},
				Threshold: 0.5,
			},
		},
		{
			// Separable overall, but fold 2's different pair at 0.5 sits on
			// the threshold (0.5) chosen on folds 0 and 1, and d ≤ τ
			// accepts it. Deviations 1/6, 1/6, −1/3: Σ² = 1/6.
			name: "a threshold from other folds misses", k: 3,
			d: []float32{0.1, 0.9, 0.2, 0.8, 0.3, 0.5},
			s: []bool{true, false, true, false, true, false},
			want: KFoldResult{
				Mean: 2.5 / 3, Std: math.Sqrt(1.0 / 18), StdErr: 1.0 / 6,
				Accuracies: []float64{1, 1, 0.5}, Thresholds: []float32{0.4, 0.4, 0.5},
				Threshold: 0.4,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := KFoldAccuracy(tt.d, tt.s, tt.k)
			if err != nil {
				t.Fatal(err)
			}
			assertKFold(t, got, tt.want)
		})
	}
}

func assertKFold(t *testing.T, got, want KFoldResult) {
	t.Helper()
	if !near(got.Mean, want.Mean, 1e-12) || !near(got.Std, want.Std, 1e-12) || !near(got.StdErr, want.StdErr, 1e-12) {
		t.Errorf("mean %v std %v stderr %v, want %v %v %v", got.Mean, got.Std, got.StdErr, want.Mean, want.Std, want.StdErr)
	}
	if !slices.Equal(got.Accuracies, want.Accuracies) || !slices.Equal(got.Thresholds, want.Thresholds) || got.Threshold != want.Threshold {
		t.Errorf("accuracies %v thresholds %v threshold %v, want %v %v %v",
			got.Accuracies, got.Thresholds, got.Threshold, want.Accuracies, want.Thresholds, want.Threshold)
	}
}

// TestKFoldAccuracyFolds: folds given as index lists or fold numbers give
// the same answer as the same pairs rearranged into file order.
func TestKFoldAccuracyFolds(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	d, s := randomScores(r, 60, 10)
	foldOf := make([]int, len(d))
	for i := range foldOf {
		foldOf[i] = i % 4 // interleaved folds
	}
	folds, err := FoldsByID(foldOf)
	if err != nil {
		t.Fatal(err)
	}
	got, err := KFoldAccuracyFolds(d, s, folds)
	if err != nil {
		t.Fatal(err)
	}
	var od []float32
	var os []bool
	for _, f := range folds {
		for _, i := range f {
			od, os = append(od, d[i]), append(os, s[i])
		}
	}
	want, err := KFoldAccuracy(od, os, 4)
	if err != nil {
		t.Fatal(err)
	}
	assertKFold(t, got, want)
	if got.Mean <= 0.5 || got.Mean > 1 {
		t.Errorf("mean accuracy %v on informative scores", got.Mean)
	}
	// Std is the population standard deviation, StdErr the sample one / √k.
	var ss float64
	for _, a := range got.Accuracies {
		ss += (a - got.Mean) * (a - got.Mean)
	}
	if !near(got.Std, math.Sqrt(ss/4), 1e-12) || !near(got.StdErr, math.Sqrt(ss/3)/2, 1e-12) {
		t.Errorf("std %v, stderr %v: not population / sample-over-√k", got.Std, got.StdErr)
	}
}

func TestKFoldAccuracyFoldsErrors(t *testing.T) {
	d, s := pairs([]float32{1, 2}, []float32{3, 4})
	tests := []struct {
		name  string
		folds [][]int
	}{
		{"one fold", [][]int{{0, 1, 2, 3}}},
		{"no folds", nil},
		{"empty fold", [][]int{{0, 1, 2, 3}, {}}},
		{"overlap", [][]int{{0, 1, 2}, {2, 3}}},
		{"repeat within a fold", [][]int{{0, 0, 1}, {2, 3}}},
		{"pair missing", [][]int{{0, 1}, {2}}},
		{"index out of range", [][]int{{0, 1}, {2, 3, 4}}},
		{"negative index", [][]int{{0, 1}, {2, 3, -1}}},
	}
	for _, tt := range tests {
		if _, err := KFoldAccuracyFolds(d, s, tt.folds); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	if _, err := KFoldAccuracy(d, s, 5); err == nil {
		t.Error("more folds than pairs: no error")
	}
}
