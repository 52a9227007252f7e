package eval

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/oneshotface/oneshot/loss"
)

// Comparison says how far apart two embedders' reports on the same pairs
// really are, and how sure that difference is.
//
// Two models measured on one set of 1,000 pairs can differ by 0.005 in
// accuracy through the luck of which pairs are hard, and choosing the
// better of several such figures rewards that luck (the winner's curse).
// Comparing them pair by pair removes the variation the two share — the
// same hard pairs trip both — and leaves the part that differs:
//
//   - Accuracy: the k-fold accuracies are paired fold by fold (the same
//     pairs, each model's threshold chosen on the other folds), and the
//     difference is the mean of the k per-fold differences, with the
//     standard error of that mean (sample standard deviation / √k).
//   - AUC: a paired bootstrap. Each round draws, with replacement, as many
//     matched pairs from the matched pairs and as many mismatched from the
//     mismatched as there are, and takes the difference of the two
//     models' AUCs on that one draw; the 2.5th and 97.5th percentiles of
//     the differences bound a 95% interval (Efron & Tibshirani, "An
//     Introduction to the Bootstrap", 1993, ch. 13).
//
// Every difference is B − A: positive when B is the better.
type Comparison struct {
	// Pairs is the number of pairs both reports measured; Folds the
	// number of folds their accuracies were paired over.
	Pairs int `json:"pairs"`
	Folds int `json:"folds"`
	// AccuracyDiff is the mean over folds of B's fold accuracy minus A's,
	// AccuracyDiffStdErr its standard error.
	AccuracyDiff       float64 `json:"accuracy_diff"`
	AccuracyDiffStdErr float64 `json:"accuracy_diff_std_err"`
	// AUCDiff is B's AUC minus A's on all the pairs; AUCDiffLow and
	// AUCDiffHigh bound its 95% paired-bootstrap interval, and AUCBFirst
	// is the fraction of bootstrap rounds in which B's AUC was the higher
	// (ties count half).
	AUCDiff     float64 `json:"auc_diff"`
	AUCDiffLow  float64 `json:"auc_diff_low"`
	AUCDiffHigh float64 `json:"auc_diff_high"`
	AUCBFirst   float64 `json:"auc_b_first"`
	// Rounds is the number of bootstrap rounds.
	Rounds int `json:"rounds"`
}

// MinRounds and MaxRounds bound the bootstrap rounds Compare accepts:
// with fewer than MinRounds the 2.5th and 97.5th percentiles rest on a
// handful of rounds each; more than MaxRounds add nothing but time.
const (
	MinRounds = 200
	MaxRounds = 1_000_000
)

// Compare compares report b with report a, measured on the same pairs in
// the same order (see Comparison for what it computes), with the given
// number of bootstrap rounds from a generator seeded with seed, so that a
// comparison can be repeated exactly.
//
// It returns an error if the reports hold no per-pair distances (a report
// read back from JSON holds them), differ in their pairs' number, labels
// or folds, or rounds lies outside MinRounds…MaxRounds.
func Compare(a, b Report, rounds int, seed uint64) (Comparison, error) {
	n := len(a.Distances)
	switch {
	case n == 0 || len(b.Distances) == 0:
		return Comparison{}, errors.New("eval: compare: a report holds no per-pair distances (was it written by an older cmd/eval?)")
	case len(b.Distances) != n || len(a.Same) != n || len(b.Same) != n:
		return Comparison{}, fmt.Errorf("eval: compare: the reports measured %d and %d pairs: they must be measured on the same pairs", n, len(b.Distances))
	case !slices.Equal(a.Same, b.Same):
		return Comparison{}, errors.New("eval: compare: the reports' pair labels differ: they must be measured on the same pairs, in the same order")
	case len(a.Folds) != len(b.Folds) || len(a.Folds) < 2:
		return Comparison{}, fmt.Errorf("eval: compare: the reports have %d and %d folds: need the same number, at least 2", len(a.Folds), len(b.Folds))
	case rounds < MinRounds || rounds > MaxRounds:
		return Comparison{}, fmt.Errorf("eval: compare: %d bootstrap rounds: need %d to %d", rounds, MinRounds, MaxRounds)
	}
	c := Comparison{Pairs: n, Folds: len(a.Folds), Rounds: rounds}

	diffs := make([]float64, len(a.Folds))
	for f := range a.Folds {
		if a.Folds[f].Pairs != b.Folds[f].Pairs {
			return Comparison{}, fmt.Errorf("eval: compare: fold %d has %d pairs in one report and %d in the other", f, a.Folds[f].Pairs, b.Folds[f].Pairs)
		}
		diffs[f] = b.Folds[f].Accuracy - a.Folds[f].Accuracy
	}
	c.AccuracyDiff, _, c.AccuracyDiffStdErr = meanStd(diffs)

	aucA, err := loss.AUC(a.Distances, a.Same)
	if err != nil {
		return Comparison{}, fmt.Errorf("eval: compare: %w", err)
	}
	aucB, err := loss.AUC(b.Distances, b.Same)
	if err != nil {
		return Comparison{}, fmt.Errorf("eval: compare: %w", err)
	}
	c.AUCDiff = aucB - aucA

	var matched, mismatched []int
	for i, s := range a.Same {
		if s {
			matched = append(matched, i)
		} else {
			mismatched = append(mismatched, i)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x636f6d70617265)) // "compare"
	da, db := make([]float32, n), make([]float32, n)
	same := make([]bool, n)
	boot := make([]float64, rounds)
	for r := range boot {
		k := 0
		for _, class := range [][]int{matched, mismatched} {
			for range class {
				i := class[rng.IntN(len(class))]
				da[k], db[k], same[k] = a.Distances[i], b.Distances[i], a.Same[i]
				k++
			}
		}
		// Both classes keep their sizes, so the AUCs are defined.
		ra, _ := loss.AUC(da, same)
		rb, _ := loss.AUC(db, same)
		boot[r] = rb - ra
		switch {
		case rb > ra:
			c.AUCBFirst++
		case rb == ra:
			c.AUCBFirst += 0.5
		}
	}
	c.AUCBFirst /= float64(rounds)
	slices.Sort(boot)
	c.AUCDiffLow, c.AUCDiffHigh = percentile(boot, 0.025), percentile(boot, 0.975)
	return c, nil
}

// percentile returns the q-quantile of sorted xs, interpolating linearly
// between the two nearest ranks.
func percentile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (pos-float64(lo))*(sorted[hi]-sorted[lo])
}
