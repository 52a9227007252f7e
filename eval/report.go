package eval

import (
	"errors"
	"fmt"
	"math"

	"github.com/oneshotface/oneshot/loss"
)

// FailedDistance is the distance a failed matched pair (one of its images
// has no face) is given, so that it lies beyond every threshold: embeddings
// of unit length are at most 4 apart. Should a model's real distances come
// within a factor of two of it, twice the largest real distance is used
// instead. A failed mismatched pair is given distance 0.
const FailedDistance float32 = 1e6

// FAR1 is the false accept rate at which Report.TARAtFAR1 is measured.
const FAR1 = 0.01

// Report is the outcome of a verification test on labelled pairs. Its JSON
// form has the keys accuracy, std, auc, eer, tar_at_far_1pct, threshold,
// failures and pairs at top level, and more besides.
type Report struct {
	// Accuracy is the mean over folds of the accuracy at the threshold
	// chosen on the other folds, failures counting as errors; Std is
	// the population standard deviation of the fold accuracies and StdErr
	// the standard error of their mean (sample std / √k).
	Accuracy float64 `json:"accuracy"`
	Std      float64 `json:"std"`
	StdErr   float64 `json:"std_err"`
	// AUC is the area under the ROC curve (1 perfect, 0.5 guessing).
	AUC float64 `json:"auc"`
	// EER is the equal error rate, reached at EERThreshold.
	EER          float64 `json:"eer"`
	EERThreshold float32 `json:"eer_threshold"`
	// TARAtFAR1 is the true accept rate when at most 1% of impostors are
	// accepted, at TARThreshold.
	TARAtFAR1    float64 `json:"tar_at_far_1pct"`
	TARThreshold float32 `json:"tar_at_far_1pct_threshold"`
	// Threshold maximises accuracy on all pairs: the one to deploy.
	Threshold float32 `json:"threshold"`
	// Failures is the number of pairs with an image without a face;
	// they count as errors in every figure.
	Failures int `json:"failures"`
	// Pairs is the number of pairs, Matched of them showing one person.
	Pairs   int `json:"pairs"`
	Matched int `json:"matched"`
	// Images is the number of distinct images embedded (or tried).
	Images int `json:"images"`
	// NoFace lists the images in which no face was found.
	NoFace []string `json:"no_face"`
	// FallbackEyes is the number of images whose face was found but whose
	// pupils were not: they were aligned with eyes estimated from the face
	// box. FallbackEyesPairs is the number of pairs touching one.
	FallbackEyes      int `json:"fallback_eyes"`
	FallbackEyesPairs int `json:"fallback_eyes_pairs"`
	// Folds holds each fold's accuracy and the threshold chosen for it on
	// the other folds.
	Folds []Fold `json:"folds"`
	// Distances holds the distance of every pair, in the order of the
	// pairs, with failed pairs at their substituted distance
	// (FailedDistance or 0); Same their labels; Failed the indices of the
	// failed pairs.
	Distances []float32 `json:"distances"`
	Same      []bool    `json:"same"`
	Failed    []int     `json:"failed_pairs"`
	// Seconds is how long the evaluation took.
	Seconds float64 `json:"seconds"`
}

// Fold is one fold of the k-fold test.
type Fold struct {
	Pairs     int     `json:"pairs"`
	Failures  int     `json:"failures"`
	Accuracy  float64 `json:"accuracy"`
	Threshold float32 `json:"threshold"`
}

// FromDistances computes a Report's figures from per-pair distances:
// dist[i] is the distance of pair i, same[i] its label, failed[i] whether
// one of its images had no face (dist[i] is then ignored; failed may be nil
// for none), and fold[i] its fold number (see dataset.Pair.Fold). When the
// fold numbers name fewer than two folds, the pairs are split into
// min(10, n) folds in file order instead.
//
// Failed pairs get a distance wrong for their label (see FailedDistance)
// for threshold choice and the ROC figures, and are counted wrong in every
// fold accuracy whatever the threshold. The fields about images (Images,
// NoFace, FallbackEyes…) and Seconds are left for the caller.
//
// It returns an error if the slices differ in length, there are no
// matched or no mismatched pairs, or a real distance is NaN or infinite.
func FromDistances(dist []float32, same, failed []bool, fold []int) (Report, error) {
	n := len(dist)
	if len(same) != n || len(fold) != n || (failed != nil && len(failed) != n) {
		return Report{}, fmt.Errorf("eval: %d distances, %d labels, %d failure flags and %d fold numbers: need one of each per pair",
			n, len(same), len(failed), len(fold))
	}
	if n == 0 {
		return Report{}, errors.New("eval: no pairs")
	}
	isFailed := func(i int) bool { return failed != nil && failed[i] }

	r := Report{Pairs: n, Same: append([]bool(nil), same...), Distances: make([]float32, n),
		Failed: []int{}, NoFace: []string{}}
	var maxReal float32
	for i, d := range dist {
		if same[i] {
			r.Matched++
		}
		if isFailed(i) {
			r.Failures++
			r.Failed = append(r.Failed, i)
			continue
		}
		if math.IsNaN(float64(d)) || math.IsInf(float64(d), 0) {
			return Report{}, fmt.Errorf("eval: pair %d has distance %v: the embedder produced a non-finite embedding", i, d)
		}
		maxReal = max(maxReal, d)
	}
	if r.Matched == 0 || r.Matched == n {
		return Report{}, fmt.Errorf("eval: %d matched and %d mismatched pairs: need some of both", r.Matched, n-r.Matched)
	}
	far := FailedDistance
	if maxReal > far/2 {
		far = 2 * maxReal
	}
	for i, d := range dist {
		switch {
		case !isFailed(i):
			r.Distances[i] = d
		case same[i]:
			r.Distances[i] = far
		default:
			r.Distances[i] = 0
		}
	}

	folds, err := loss.FoldsByID(fold)
	if err != nil {
		return Report{}, fmt.Errorf("eval: %w", err)
	}
	if len(folds) < 2 {
		if folds, err = loss.KFold(n, min(10, n)); err != nil {
			return Report{}, fmt.Errorf("eval: %w", err)
		}
	}
	kf, err := loss.KFoldAccuracyFolds(r.Distances, same, folds)
	if err != nil {
		return Report{}, fmt.Errorf("eval: %w", err)
	}
	// Measure each fold again with failures always wrong (see the
	// package comment): loss counts them right under an extreme threshold.
	accs := make([]float64, len(folds))
	for f, idx := range folds {
		fd := Fold{Pairs: len(idx), Threshold: kf.Thresholds[f]}
		correct := 0
		for _, i := range idx {
			if isFailed(i) {
				fd.Failures++
			} else if (r.Distances[i] <= fd.Threshold) == same[i] {
				correct++
			}
		}
		fd.Accuracy = float64(correct) / float64(len(idx))
		accs[f] = fd.Accuracy
		r.Folds = append(r.Folds, fd)
	}
	r.Accuracy, r.Std, r.StdErr = meanStd(accs)
	r.Threshold = kf.Threshold

	if r.AUC, err = loss.AUC(r.Distances, same); err != nil {
		return Report{}, fmt.Errorf("eval: %w", err)
	}
	if r.EER, r.EERThreshold, err = loss.EER(r.Distances, same); err != nil {
		return Report{}, fmt.Errorf("eval: %w", err)
	}
	if r.TARAtFAR1, r.TARThreshold, err = loss.TARAtFAR(r.Distances, same, FAR1); err != nil {
		return Report{}, fmt.Errorf("eval: %w", err)
	}
	return r, nil
}

// meanStd returns the mean, the population standard deviation and the
// standard error of the mean (sample standard deviation / √k) of xs, as
// loss.KFoldResult defines them.
func meanStd(xs []float64) (mean, std, stderr float64) {
	k := float64(len(xs))
	for _, x := range xs {
		mean += x
	}
	mean /= k
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	std = math.Sqrt(ss / k)
	if len(xs) > 1 {
		stderr = math.Sqrt(ss/(k-1)) / math.Sqrt(k)
	}
	return mean, std, stderr
}

// AccuracyAt is the accuracy of threshold t on all the report's pairs,
// failures counting as errors: the figure to quote for a threshold fixed in
// advance, such as a model's calibrated one. It is 0 for a report without
// per-pair distances. It counts with At.
func (r Report) AccuracyAt(t float32) float64 {
	p := r.At(t)
	n := p.Matched + p.Mismatched
	if n == 0 {
		return 0
	}
	return float64(n-p.FalseAccepts-p.FalseRejects) / float64(n)
}

// OperatingPoint is what a threshold fixed in advance does on a report's
// pairs: of the Mismatched pairs (two people), FalseAccepts lie at a
// distance ≤ Threshold; of the Matched pairs (one person), FalseRejects lie
// beyond it. A failed pair (no face in one of its images) is an error at
// every threshold.
type OperatingPoint struct {
	Threshold    float32 `json:"threshold"`
	FalseAccepts int     `json:"false_accepts"`
	Mismatched   int     `json:"mismatched"`
	FalseRejects int     `json:"false_rejects"`
	Matched      int     `json:"matched"`
}

// At is the operating point of threshold t on all the report's pairs:
// the figures to quote for a threshold stored in a model file, such as its
// strict point, where FAR is what the calibration promised. It is zero but
// for the threshold for a report without per-pair labels.
func (r Report) At(t float32) OperatingPoint {
	p := OperatingPoint{Threshold: t}
	if len(r.Same) != len(r.Distances) {
		return p
	}
	failed := r.failedSet()
	for i, d := range r.Distances {
		accepted := d <= t && !failed[i]
		if r.Same[i] {
			p.Matched++
			if !accepted {
				p.FalseRejects++
			}
		} else {
			p.Mismatched++
			if accepted || failed[i] {
				p.FalseAccepts++
			}
		}
	}
	return p
}

// FAR is the false accept rate: the share of the pairs of two people
// accepted. It is 0 without such pairs.
func (p OperatingPoint) FAR() float64 {
	if p.Mismatched == 0 {
		return 0
	}
	return float64(p.FalseAccepts) / float64(p.Mismatched)
}

// TAR is the true accept rate: the share of the pairs of one person
// accepted. It is 0 without such pairs.
func (p OperatingPoint) TAR() float64 {
	if p.Matched == 0 {
		return 0
	}
	return float64(p.Matched-p.FalseRejects) / float64(p.Matched)
}

// FailureFAR is the false accept rate the failed mismatched pairs cause
// by themselves: they count as accepted at every threshold, so no
// threshold reaches a lower rate (it is At's FAR below every distance).
// When it exceeds FAR1, TARAtFAR1 is 0 because of the failures, not the
// embedder. It is 0 for a report without per-pair labels.
func (r Report) FailureFAR() float64 {
	return r.At(float32(math.Inf(-1))).FAR()
}

// failedSet returns whether each pair failed.
func (r Report) failedSet() []bool {
	f := make([]bool, len(r.Distances))
	for _, i := range r.Failed {
		if i >= 0 && i < len(f) {
			f[i] = true
		}
	}
	return f
}

// StrictThreshold is the largest distance at which at most FAR1 of the
// compared pairs of two people of every part of the report are accepted
// (TARThreshold of each part's compared pairs, the smallest of them):
// parts gives the number of pairs of each part, in order, and must cover
// the report. A strict point calibrated on a mix of data sets by
// TARThreshold holds its 1% on the mix, so on the easiest set's impostors
// it is stricter than needed and on the hardest set's looser: family
// photographs of all ages are far more alike than press photographs of
// public figures. This point holds on each part, so it is the hardest
// part's. Failed pairs are left out: a picture without a face is never
// compared, so it says nothing about where the threshold lies (At, which
// counts them as accepted, is the measure of a stored threshold). Parts
// without compared pairs of two people set no bound. It returns an error
// if the parts do not add up to the report's pairs, no part has compared
// pairs of two people, or a part that has them has no compared pair of
// one person.
func (r Report) StrictThreshold(parts []int) (float32, error) {
	total := 0
	for _, n := range parts {
		if n < 0 {
			return 0, fmt.Errorf("eval: a part of %d pairs", n)
		}
		total += n
	}
	if total != len(r.Distances) || len(r.Same) != len(r.Distances) {
		return 0, fmt.Errorf("eval: parts of %d pairs in all, for a report of %d distances and %d labels", total, len(r.Distances), len(r.Same))
	}
	failed := r.failedSet()
	strict, bounded := float32(math.Inf(1)), false
	lo := 0
	for _, n := range parts {
		var dist []float32
		var same []bool
		impostors := 0
		for i := lo; i < lo+n; i++ {
			if !failed[i] {
				dist, same = append(dist, r.Distances[i]), append(same, r.Same[i])
				if !r.Same[i] {
					impostors++
				}
			}
		}
		lo += n
		if impostors == 0 {
			continue
		}
		_, t, err := loss.TARAtFAR(dist, same, FAR1)
		if err != nil {
			return 0, fmt.Errorf("eval: %w", err)
		}
		strict, bounded = min(strict, t), true
	}
	if !bounded {
		return 0, errors.New("eval: no part has compared pairs of two people")
	}
	return strict, nil
}
