package loss

import "fmt"

// ROCPoint is one point of a receiver operating characteristic: accepting
// every pair with distance ≤ Threshold gives the false accept rate FAR
// (the fraction of different pairs accepted) and the true accept rate TAR
// (the fraction of same pairs accepted).
type ROCPoint struct {
	Threshold float32
	FAR, TAR  float64
}

// ROC returns the ROC curve of the pairs: one point per distinct distance,
// with that distance as threshold, in ascending order of threshold (so FAR
// and TAR never decrease), preceded by a point with a threshold just below
// the smallest distance, where nothing is accepted (FAR = TAR = 0). The
// last point accepts everything (FAR = TAR = 1). Any threshold between two
// consecutive points' thresholds gives the rates of the lower one. Equal
// distances make a single point, so a tie between a same and a different
// pair shows as a diagonal step.
//
// It returns an error if dist and same differ in length, a distance is NaN
// or infinite, or there is no same pair or no different pair (the rates
// would be undefined).
func ROC(dist []float32, same []bool) ([]ROCPoint, error) {
	c, err := rocCounts(dist, same)
	if err != nil {
		return nil, err
	}
	pts := make([]ROCPoint, len(c.pts))
	for i, p := range c.pts {
		pts[i] = ROCPoint{Threshold: p.thr, FAR: c.far(p), TAR: c.tar(p)}
	}
	return pts, nil
}

// AUC returns the area under the ROC curve, by the trapezoid rule. It
// equals the probability that a randomly drawn same pair has a smaller
// distance than a randomly drawn different pair, a tie counting one half
// (the Mann–Whitney U statistic divided by the number of such couples):
// 1 for perfectly separated distances, 0.5 for a verifier that guesses.
// The area is computed from integer counts, so that equality is exact up to
// the final division. Errors are those of ROC.
func AUC(dist []float32, same []bool) (float64, error) {
	c, err := rocCounts(dist, same)
	if err != nil {
		return 0, err
	}
	// 2·area·nSame·nDiff = Σ Δfp·(tpᵢ + tpᵢ₋₁); at most 2·nSame·nDiff.
	var twice int64
	for i := 1; i < len(c.pts); i++ {
		twice += int64(c.pts[i].fp-c.pts[i-1].fp) * int64(c.pts[i].tp+c.pts[i-1].tp)
	}
	return float64(twice) / (2 * float64(c.nSame) * float64(c.nDiff)), nil
}

// EER returns the equal error rate, where the false accept rate equals the
// false reject rate 1 − TAR, and the threshold at which it is reached.
// Walking the ROC by increasing threshold, FAR − (1 − TAR) rises from −1 to
// 1; between the two points where it changes sign the rates and the
// threshold are interpolated linearly, the usual convention (at an
// interpolated threshold the actual rates are those of the lower ROC
// point). Perfectly separated distances give 0, at the largest same-pair
// distance. Errors are those of ROC.
func EER(dist []float32, same []bool) (rate float64, threshold float32, err error) {
	c, err := rocCounts(dist, same)
	if err != nil {
		return 0, 0, err
	}
	g := func(p rocCount) float64 { return c.far(p) - (1 - c.tar(p)) }
	for i := 1; i < len(c.pts); i++ {
		p := c.pts[i]
		gi := g(p)
		if gi < 0 {
			continue
		}
		if gi == 0 {
			return c.far(p), p.thr, nil
		}
		q := c.pts[i-1]
		gq := g(q)
		t := -gq / (gi - gq)
		rate = c.far(q) + t*(c.far(p)-c.far(q))
		threshold = float32(float64(q.thr) + t*(float64(p.thr)-float64(q.thr)))
		return rate, threshold, nil
	}
	// Unreachable: the last point has FAR = TAR = 1, so g = 1.
	last := c.pts[len(c.pts)-1]
	return c.far(last), last.thr, nil
}

// TARAtFAR returns the true accept rate at the largest ROC threshold whose
// false accept rate is at most far, and that threshold: "if we let in at
// most this fraction of impostors, what fraction of genuine users get in".
// The threshold is the distance of a pair; every threshold from it up to
// (not including) the next larger distance gives the same rates. When the
// smallest distance alone already accepts too many different pairs, the
// threshold is just below it and the rate is 0.
//
// It returns an error if far is not in [0, 1], or for the reasons of ROC.
func TARAtFAR(dist []float32, same []bool, far float64) (tar float64, threshold float32, err error) {
	if !(far >= 0 && far <= 1) {
		return 0, 0, fmt.Errorf("loss: false accept rate %v: it must be in [0, 1]", far)
	}
	c, err := rocCounts(dist, same)
	if err != nil {
		return 0, 0, err
	}
	best := c.pts[0]
	for _, p := range c.pts[1:] {
		if c.far(p) > far {
			break
		}
		best = p
	}
	return c.tar(best), best.thr, nil
}

// rocCount is a ROC point as counts: accepting distances ≤ thr accepts tp
// same pairs and fp different pairs.
type rocCount struct {
	thr    float32
	tp, fp int
}

type rocCurve struct {
	pts          []rocCount
	nSame, nDiff int
}

func (c *rocCurve) far(p rocCount) float64 { return float64(p.fp) / float64(c.nDiff) }
func (c *rocCurve) tar(p rocCount) float64 { return float64(p.tp) / float64(c.nSame) }

// rocCounts checks the pairs and builds the ROC as counts.
func rocCounts(dist []float32, same []bool) (*rocCurve, error) {
	nSame, nDiff, err := checkScores(dist, same)
	if err != nil {
		return nil, err
	}
	if nSame == 0 || nDiff == 0 {
		return nil, fmt.Errorf("loss: %d same and %d different pairs: a ROC needs at least one of each", nSame, nDiff)
	}
	gs := groups(dist, same)
	c := &rocCurve{nSame: nSame, nDiff: nDiff, pts: make([]rocCount, 1, len(gs)+1)}
	c.pts[0] = rocCount{thr: below(gs[0].d)}
	tp, fp := 0, 0
	for _, g := range gs {
		tp += g.same
		fp += g.diff
		c.pts = append(c.pts, rocCount{thr: g.d, tp: tp, fp: fp})
	}
	return c, nil
}
