package eval

import (
	"math"
	"strings"
	"testing"
)

// reportOf builds a report from synthetic distances, failing the test on
// error.
func reportOf(t *testing.T, dist []float32, same []bool, fold []int) Report {
	t.Helper()
	r, err := FromDistances(dist, same, nil, fold)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCompareWithItselfIsZero(t *testing.T) {
	dist, same, fold := synthetic(300, 3)
	a := reportOf(t, dist, same, fold)
	c, err := Compare(a, a, 500, 1)
	if err != nil {
		t.Fatal(err)
	}
	if c.AccuracyDiff != 0 || c.AccuracyDiffStdErr != 0 || c.AUCDiff != 0 || c.AUCDiffLow != 0 || c.AUCDiffHigh != 0 {
		t.Errorf("a report against itself: %+v, want every difference 0", c)
	}
	if c.AUCBFirst != 0.5 || c.Pairs != 600 || c.Folds != 10 || c.Rounds != 500 {
		t.Errorf("a report against itself: %+v, want ties (0.5), 600 pairs, 10 folds, 500 rounds", c)
	}
}

// TestCompareSeparatesRealFromNoise: a model whose distances separate the
// classes far better is found better with an interval clear of zero; a
// second draw of the same model's noise is not.
func TestCompareSeparatesRealFromNoise(t *testing.T) {
	dist, same, fold := synthetic(500, 4)
	a := reportOf(t, dist, same, fold)

	// B: the same pairs, each distance pulled towards its class's
	// centre — the same hard pairs, made easier.
	better := make([]float32, len(dist))
	for i, d := range dist {
		centre := float32(1.6)
		if same[i] {
			centre = 0.8
		}
		better[i] = centre + 0.5*(d-centre)
	}
	b := reportOf(t, better, same, fold)
	c, err := Compare(a, b, 1000, 2)
	if err != nil {
		t.Fatal(err)
	}
	if c.AUCDiff <= 0 || c.AUCDiffLow <= 0 || c.AUCDiffHigh < c.AUCDiff || c.AUCDiffLow > c.AUCDiff {
		t.Errorf("a clearly better B: AUC difference %v in [%v, %v]: want positive, with the interval above 0 and around it",
			c.AUCDiff, c.AUCDiffLow, c.AUCDiffHigh)
	}
	if c.AUCBFirst < 0.99 {
		t.Errorf("a clearly better B comes first in %v of the rounds, want > 0.99", c.AUCBFirst)
	}
	if c.AccuracyDiff <= 2*c.AccuracyDiffStdErr {
		t.Errorf("a clearly better B: accuracy difference %v ± %v, want above two standard errors", c.AccuracyDiff, c.AccuracyDiffStdErr)
	}
	if want := b.AUC - a.AUC; math.Abs(c.AUCDiff-want) > 1e-12 {
		t.Errorf("AUC difference %v, want the reports' %v", c.AUCDiff, want)
	}

	// C: as good as A, with its own noise on every pair.
	other, _, _ := synthetic(500, 5)
	c2, err := Compare(a, reportOf(t, other, same, fold), 1000, 2)
	if err != nil {
		t.Fatal(err)
	}
	if c2.AUCDiffLow >= 0 || c2.AUCDiffHigh <= 0 {
		t.Errorf("two equally good models: AUC difference %v in [%v, %v]: want an interval across 0",
			c2.AUCDiff, c2.AUCDiffLow, c2.AUCDiffHigh)
	}

	again, _ := Compare(a, b, 1000, 2)
	if again != c {
		t.Errorf("the same seed gave %+v, then %+v", c, again)
	}
}

func TestCompareRefusesDifferentPairs(t *testing.T) {
	dist, same, fold := synthetic(100, 6)
	a := reportOf(t, dist, same, fold)

	flipped := append([]bool(nil), same...)
	flipped[0], flipped[len(flipped)-1] = !flipped[0], !flipped[len(flipped)-1]
	shortD, shortS, shortF := synthetic(90, 6)
	cases := []struct {
		name string
		b    Report
		want string
	}{
		{"other labels", reportOf(t, dist, flipped, fold), "labels differ"},
		{"fewer pairs", reportOf(t, shortD, shortS, shortF), "same pairs"},
		{"no distances", Report{}, "no per-pair distances"},
	}
	for _, tc := range cases {
		if _, err := Compare(a, tc.b, 500, 1); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
	for _, rounds := range []int{MinRounds - 1, MaxRounds + 1} {
		if _, err := Compare(a, a, rounds, 1); err == nil || !strings.Contains(err.Error(), "rounds") {
			t.Errorf("%d rounds: error %v, want one about rounds", rounds, err)
		}
	}
}

func TestPercentile(t *testing.T) {
	xs := []float64{0, 10, 20, 30, 40}
	for _, tc := range []struct{ q, want float64 }{{0, 0}, {1, 40}, {0.5, 20}, {0.125, 5}} {
		if got := percentile(xs, tc.q); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("percentile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
}
