package loss

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Accuracy returns the fraction of pairs classified correctly by the
// threshold: a pair is called "same" when dist[i] ≤ threshold, and is
// correct when that agrees with same[i]. It returns an error if dist and
// same differ in length, there are no pairs, a distance is NaN or
// infinite, or the threshold is NaN.
func Accuracy(dist []float32, same []bool, threshold float32) (float64, error) {
	if _, _, err := checkScores(dist, same); err != nil {
		return 0, err
	}
	if math.IsNaN(float64(threshold)) {
		return 0, fmt.Errorf("loss: threshold is NaN")
	}
	return accuracy(dist, same, threshold), nil
}

// accuracy is Accuracy for checked, non-empty inputs.
func accuracy(dist []float32, same []bool, threshold float32) float64 {
	correct := 0
	for i, d := range dist {
		if (d <= threshold) == same[i] {
			correct++
		}
	}
	return float64(correct) / float64(len(dist))
}

// BestThreshold returns the threshold that maximises Accuracy on the given
// pairs, and that accuracy.
//
// Only the order of the distances matters to accuracy, so the candidates are
// one threshold per gap between consecutive distinct distances — the
// midpoint of the gap, which leaves the most room on both sides for pairs
// not seen yet — plus the two extremes: just below the smallest distance
// (accept nothing) and the largest distance (accept everything). When
// several candidates reach the same best accuracy the smallest is returned,
// so the result does not depend on the order of the pairs.
//
// Unlike the ROC functions it accepts pairs of one class only. It returns
// an error if dist and same differ in length, there are no pairs, or a
// distance is NaN or infinite.
func BestThreshold(dist []float32, same []bool) (threshold float32, accuracy float64, err error) {
	_, nDiff, err := checkScores(dist, same)
	if err != nil {
		return 0, 0, err
	}
	gs := groups(dist, same)
	// Accepting the first k groups classifies correctly the same pairs
	// among them and the different pairs after them.
	best, bestK := nDiff, 0 // k = 0: accept nothing
	tp, fp := 0, 0
	for k, g := range gs {
		tp += g.same
		fp += g.diff
		if c := tp + nDiff - fp; c > best {
			best, bestK = c, k+1
		}
	}
	switch {
	case bestK == 0:
		threshold = below(gs[0].d)
	case bestK == len(gs):
		threshold = gs[len(gs)-1].d
	default:
		threshold = midpoint(gs[bestK-1].d, gs[bestK].d)
	}
	return threshold, float64(best) / float64(len(dist)), nil
}

// group is a run of pairs sharing one distance, with how many of them are
// same and different pairs.
type group struct {
	d          float32
	same, diff int
}

// groups sorts the pairs by distance and merges equal distances, so that
// ties always fall on the same side of a threshold. The result does not
// depend on the order of the input.
func groups(dist []float32, same []bool) []group {
	order := make([]int, len(dist))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int { return cmp.Compare(dist[i], dist[j]) })
	var gs []group
	for _, i := range order {
		if len(gs) == 0 || dist[i] != gs[len(gs)-1].d {
			gs = append(gs, group{d: dist[i]})
		}
		g := &gs[len(gs)-1]
		if same[i] {
			g.same++
		} else {
			g.diff++
		}
	}
	return gs
}

// checkScores checks the inputs common to all metrics and counts the same
// and different pairs.
func checkScores(dist []float32, same []bool) (nSame, nDiff int, err error) {
	if len(dist) != len(same) {
		return 0, 0, fmt.Errorf("loss: %d distances and %d labels: give one label per pair", len(dist), len(same))
	}
	if len(dist) == 0 {
		return 0, 0, fmt.Errorf("loss: no pairs to evaluate")
	}
	for i, d := range dist {
		if math.IsNaN(float64(d)) || math.IsInf(float64(d), 0) {
			return 0, 0, fmt.Errorf("loss: distance %d is %v: distances must be finite", i, d)
		}
		if same[i] {
			nSame++
		} else {
			nDiff++
		}
	}
	return nSame, nDiff, nil
}

// below returns the largest float32 smaller than d: a threshold that
// accepts no pair at distance d or more.
func below(d float32) float32 {
	return math.Nextafter32(d, float32(math.Inf(-1)))
}

// midpoint returns a threshold t with a ≤ t < b, as near (a + b)/2 as
// float32 allows, for a < b.
func midpoint(a, b float32) float32 {
	m := float32((float64(a) + float64(b)) / 2)
	if m >= b { // a and b are neighbouring float32 values
		m = a
	}
	return m
}
