package loss

import (
	"fmt"
	"math"
	"slices"
)

// KFoldResult is the outcome of a k-fold verification test.
type KFoldResult struct {
	// Mean is the mean of the per-fold accuracies, the number reported as
	// "LFW accuracy".
	Mean float64
	// Std is the population standard deviation of the per-fold accuracies,
	// √(Σ(accᵢ − Mean)²/k) — what numpy's std, and so the FaceNet and
	// InsightFace evaluation scripts, report as "Mean ± Std".
	Std float64
	// StdErr is the standard error of the mean that the LFW protocol asks
	// for, S = σ̂/√k with σ̂ the sample standard deviation √(Σ(accᵢ − Mean)²/(k − 1)).
	StdErr float64
	// Accuracies holds the accuracy measured on each fold, in fold order.
	Accuracies []float64
	// Thresholds holds, for each fold, the threshold chosen on the other
	// k − 1 folds and measured on it.
	Thresholds []float32
	// Threshold is the threshold chosen (by BestThreshold) on all pairs:
	// the one to deploy after the evaluation. Its accuracy on those same
	// pairs is optimistic; Mean is the honest estimate.
	Threshold float32
}

// KFold splits n pairs into k folds in file order, as the LFW protocol
// does: the first fold holds pairs 0, 1, …, the next fold the following
// ones. When k does not divide n, the first n mod k folds get one pair
// more. It returns an error unless 2 ≤ k ≤ n.
func KFold(n, k int) ([][]int, error) {
	if k < 2 || k > n {
		return nil, fmt.Errorf("loss: %d folds of %d pairs: need 2 ≤ folds ≤ pairs", k, n)
	}
	folds := make([][]int, k)
	start := 0
	for f := range folds {
		size := n / k
		if f < n%k {
			size++
		}
		folds[f] = make([]int, size)
		for i := range folds[f] {
			folds[f][i] = start + i
		}
		start += size
	}
	return folds, nil
}

// FoldsByID groups pairs into folds by the fold number of each pair, for a
// pairs file that says which fold a pair belongs to: pair i goes into the
// fold of number foldOf[i]. Folds are returned in increasing fold number
// (numbers need not be consecutive), each listing its pairs in file order.
// It returns an error if a fold number is negative.
func FoldsByID(foldOf []int) ([][]int, error) {
	ids := slices.Clone(foldOf)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) > 0 && ids[0] < 0 {
		return nil, fmt.Errorf("loss: fold number %d: fold numbers must be ≥ 0", ids[0])
	}
	folds := make([][]int, len(ids))
	for i, id := range foldOf {
		f, _ := slices.BinarySearch(ids, id)
		folds[f] = append(folds[f], i)
	}
	return folds, nil
}

// KFoldAccuracy runs the LFW verification protocol on n pairs split into k
// folds in file order (KFold): for each fold, the threshold is chosen by
// BestThreshold on the pairs of the other k − 1 folds and its Accuracy is
// measured on the fold. The result holds the per-fold accuracies and
// thresholds, their mean and spread, and the threshold chosen on all pairs.
// LFW's View 2 is 6000 pairs in 10 folds of 300 same and 300 different
// pairs, in that order.
//
// It returns an error unless 2 ≤ k ≤ len(dist), or for the reasons of
// Accuracy.
func KFoldAccuracy(dist []float32, same []bool, k int) (KFoldResult, error) {
	folds, err := KFold(len(dist), k)
	if err != nil {
		return KFoldResult{}, err
	}
	return KFoldAccuracyFolds(dist, same, folds)
}

// KFoldAccuracyFolds is KFoldAccuracy with folds given by the caller, each
// a list of pair indices (see KFold and FoldsByID). The folds must
// partition the pairs: every pair in exactly one fold, at least two folds,
// none empty. It returns an error otherwise, or for the reasons of
// Accuracy.
func KFoldAccuracyFolds(dist []float32, same []bool, folds [][]int) (KFoldResult, error) {
	if _, _, err := checkScores(dist, same); err != nil {
		return KFoldResult{}, err
	}
	if err := checkFolds(folds, len(dist)); err != nil {
		return KFoldResult{}, err
	}
	k := len(folds)
	res := KFoldResult{Accuracies: make([]float64, k), Thresholds: make([]float32, k)}
	fold := make([]int, len(dist)) // fold of each pair
	for f, idx := range folds {
		for _, i := range idx {
			fold[i] = f
		}
	}
	var trainD, testD []float32
	var trainS, testS []bool
	for f := range folds {
		trainD, trainS, testD, testS = trainD[:0], trainS[:0], testD[:0], testS[:0]
		for i, d := range dist {
			if fold[i] == f {
				testD, testS = append(testD, d), append(testS, same[i])
			} else {
				trainD, trainS = append(trainD, d), append(trainS, same[i])
			}
		}
		thr, _, err := BestThreshold(trainD, trainS)
		if err != nil {
			return KFoldResult{}, err
		}
		res.Thresholds[f] = thr
		res.Accuracies[f] = accuracy(testD, testS, thr)
	}

	var sum float64
	for _, a := range res.Accuracies {
		sum += a
	}
	res.Mean = sum / float64(k)
	var ss float64
	for _, a := range res.Accuracies {
		ss += (a - res.Mean) * (a - res.Mean)
	}
	res.Std = math.Sqrt(ss / float64(k))
	res.StdErr = math.Sqrt(ss/float64(k-1)) / math.Sqrt(float64(k))

	thr, _, err := BestThreshold(dist, same)
	if err != nil {
		return KFoldResult{}, err
	}
	res.Threshold = thr
	return res, nil
}

// checkFolds checks that folds partition the indices 0 … n−1.
func checkFolds(folds [][]int, n int) error {
	if len(folds) < 2 {
		return fmt.Errorf("loss: %d folds: k-fold evaluation needs at least 2", len(folds))
	}
	seen := make([]int, n) // fold+1 of each pair, 0 if none yet
	for f, idx := range folds {
		if len(idx) == 0 {
			return fmt.Errorf("loss: fold %d is empty", f)
		}
		for _, i := range idx {
			if i < 0 || i >= n {
				return fmt.Errorf("loss: fold %d lists pair %d, outside the %d pairs", f, i, n)
			}
			if seen[i] != 0 {
				return fmt.Errorf("loss: pair %d is in fold %d and fold %d: folds must not overlap", i, seen[i]-1, f)
			}
			seen[i] = f + 1
		}
	}
	for i, s := range seen {
		if s == 0 {
			return fmt.Errorf("loss: pair %d is in no fold: folds must cover every pair", i)
		}
	}
	return nil
}
