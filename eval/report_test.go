package eval

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/oneshotface/oneshot/loss"
)

// synthetic makes n matched then n mismatched pairs with normally
// distributed distances, in LFW View 1's fold layout (pair j of each half
// in fold j·10/n).
func synthetic(n int, seed uint64) (dist []float32, same []bool, fold []int) {
	rng := rand.New(rand.NewPCG(seed, 7))
	for half, mean := range []float64{0.8, 1.6} {
		for j := range n {
			d := mean + 0.3*rng.NormFloat64()
			dist = append(dist, float32(math.Max(0, d)))
			same = append(same, half == 0)
			fold = append(fold, j*10/n)
		}
	}
	return dist, same, fold
}

func TestFromDistancesMatchesLoss(t *testing.T) {
	dist, same, fold := synthetic(500, 1)
	r, err := FromDistances(dist, same, nil, fold)
	if err != nil {
		t.Fatal(err)
	}
	folds, _ := loss.FoldsByID(fold)
	kf, err := loss.KFoldAccuracyFolds(dist, same, folds)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.Accuracy-kf.Mean) > 1e-12 || math.Abs(r.Std-kf.Std) > 1e-12 || r.Threshold != kf.Threshold {
		t.Errorf("without failures: accuracy %v ± %v, threshold %v; loss says %v ± %v, %v",
			r.Accuracy, r.Std, r.Threshold, kf.Mean, kf.Std, kf.Threshold)
	}
	if len(r.Folds) != 10 || r.Pairs != 1000 || r.Matched != 500 || r.Failures != 0 {
		t.Errorf("folds %d, pairs %d, matched %d, failures %d", len(r.Folds), r.Pairs, r.Matched, r.Failures)
	}
	if auc, _ := loss.AUC(dist, same); auc != r.AUC {
		t.Errorf("AUC %v, want %v", r.AUC, auc)
	}
	if r.Accuracy < 0.85 || r.Accuracy > 0.99 {
		t.Errorf("accuracy %v: the synthetic classes should be well but not perfectly separated", r.Accuracy)
	}
}

// TestFailuresCountAsErrors checks the rule of the package comment: a pair
// with a missing face is wrong whatever the threshold, even when the fold's
// threshold accepts everything and the substituted distance alone would
// have made it right.
func TestFailuresCountAsErrors(t *testing.T) {
	// Fold 0: one matched pair, failed. Fold 1: matched 2 and 3, a
	// mismatched pair at 1, and a failed matched pair. Trained on fold 1,
	// the best threshold accepts everything — the failed pair included.
	dist := []float32{-1, 2, 3, 1, -1} // failed pairs' values are ignored
	same := []bool{true, true, true, false, true}
	failed := []bool{true, false, false, false, true}
	fold := []int{0, 1, 1, 1, 1}
	r, err := FromDistances(dist, same, failed, fold)
	if err != nil {
		t.Fatal(err)
	}
	if r.Failures != 2 || len(r.Failed) != 2 || r.Failed[0] != 0 || r.Failed[1] != 4 {
		t.Fatalf("failures %d %v, want 2 [0 4]", r.Failures, r.Failed)
	}
	if r.Distances[0] < FailedDistance || r.Distances[4] < FailedDistance {
		t.Errorf("failed matched pairs have distances %v, %v: want ≥ FailedDistance", r.Distances[0], r.Distances[4])
	}
	if got := r.Folds[0].Accuracy; got != 0 {
		t.Errorf("fold 0 (a failed pair only) has accuracy %v, want 0", got)
	}
	// Fold 1 at threshold ≥ 3: 2 and 3 right, 1 wrong, the failure wrong.
	if got := r.Folds[1].Accuracy; got != 0.5 {
		t.Errorf("fold 1 accuracy %v, want 0.5", got)
	}
	if r.Accuracy != 0.25 {
		t.Errorf("accuracy %v, want 0.25", r.Accuracy)
	}
	// Without the rule the substituted distance would count as right.
	folds, _ := loss.FoldsByID(fold)
	kf, _ := loss.KFoldAccuracyFolds(r.Distances, same, folds)
	if kf.Mean <= r.Accuracy {
		t.Errorf("loss alone gives %v, expected it to be more generous than %v (is the test still testing?)", kf.Mean, r.Accuracy)
	}
	// AccuracyAt applies the same rule at any threshold.
	for _, thr := range []float32{0, 1.5, 10, 2 * FailedDistance} {
		if a := r.AccuracyAt(thr); a > 3.0/5 {
			t.Errorf("AccuracyAt(%v) = %v: at most 3 of 5 pairs can be right", thr, a)
		}
	}
	if a := r.AccuracyAt(2 * FailedDistance); a != 2.0/5 {
		t.Errorf("AccuracyAt(accept all) = %v, want 2/5", a)
	}

	// A failed mismatched pair sits at distance 0 and is wrong too.
	dist = []float32{0.5, 0.6, 1.5, -1, 0.4, 0.7, 1.6, 1.7}
	same = []bool{true, true, false, false, true, true, false, false}
	failed = []bool{false, false, false, true, false, false, false, false}
	fold = []int{0, 0, 0, 0, 1, 1, 1, 1}
	r, err = FromDistances(dist, same, failed, fold)
	if err != nil {
		t.Fatal(err)
	}
	if r.Distances[3] != 0 {
		t.Errorf("failed mismatched pair has distance %v, want 0", r.Distances[3])
	}
	if r.Folds[0].Accuracy != 0.75 || r.Folds[1].Accuracy != 1 {
		t.Errorf("fold accuracies %v, %v; want 0.75, 1", r.Folds[0].Accuracy, r.Folds[1].Accuracy)
	}
	if r.Folds[0].Failures != 1 {
		t.Errorf("fold 0 failures %d, want 1", r.Folds[0].Failures)
	}
	// One of four mismatched pairs failed: no threshold accepts fewer
	// than a quarter of the impostors, so TAR at FAR 1% is 0.
	if f := r.FailureFAR(); f != 0.25 {
		t.Errorf("FailureFAR = %v, want 0.25", f)
	}
	if r.TARAtFAR1 != 0 {
		t.Errorf("TAR at FAR 1%% = %v with a 25%% false accept floor, want 0", r.TARAtFAR1)
	}
	if f := (Report{}).FailureFAR(); f != 0 {
		t.Errorf("FailureFAR of an empty report = %v, want 0", f)
	}
}

func TestFromDistancesFallbackFolds(t *testing.T) {
	// All in fold 0: split into 10 folds in file order instead.
	dist, same, _ := synthetic(10, 2)
	r, err := FromDistances(dist, same, nil, make([]int, len(dist)))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Folds) != 10 {
		t.Errorf("%d folds, want 10", len(r.Folds))
	}
}

func TestFromDistancesErrors(t *testing.T) {
	for name, c := range map[string]struct {
		dist   []float32
		same   []bool
		failed []bool
		fold   []int
	}{
		"empty":         {},
		"lengths":       {dist: []float32{1, 2}, same: []bool{true}, fold: []int{0, 1}},
		"failed len":    {dist: []float32{1, 2}, same: []bool{true, false}, failed: []bool{true}, fold: []int{0, 1}},
		"one class":     {dist: []float32{1, 2}, same: []bool{true, true}, fold: []int{0, 1}},
		"NaN":           {dist: []float32{1, float32(math.NaN())}, same: []bool{true, false}, fold: []int{0, 1}},
		"infinite":      {dist: []float32{1, float32(math.Inf(1))}, same: []bool{true, false}, fold: []int{0, 1}},
		"negative fold": {dist: []float32{1, 2}, same: []bool{true, false}, fold: []int{-1, 0}},
	} {
		if _, err := FromDistances(c.dist, c.same, c.failed, c.fold); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// A NaN distance on a failed pair is ignored.
	_, err := FromDistances([]float32{1, float32(math.NaN()), 2, 0.5}, []bool{true, true, false, false},
		[]bool{false, true, false, false}, []int{0, 0, 1, 1})
	if err != nil {
		t.Errorf("NaN on a failed pair: %v", err)
	}
}

// requiredKeys are the top-level JSON keys tools rely on.
var requiredKeys = []string{"accuracy", "std", "auc", "eer", "tar_at_far_1pct", "threshold", "failures", "pairs"}

func checkKeys(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("report JSON does not parse: %v", err)
	}
	for _, k := range requiredKeys {
		v, ok := m[k]
		if !ok {
			t.Errorf("report JSON lacks key %q", k)
			continue
		}
		if _, ok := v.(float64); !ok {
			t.Errorf("report JSON key %q is %T, want a number", k, v)
		}
	}
	return m
}

func TestReportJSON(t *testing.T) {
	dist, same, fold := synthetic(50, 3)
	failed := make([]bool, len(dist))
	failed[3], failed[70] = true, true
	r, err := FromDistances(dist, same, failed, fold)
	if err != nil {
		t.Fatal(err)
	}
	r.NoFace = []string{"a.jpg"}
	r.FallbackEyes = 4
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	m := checkKeys(t, data)
	if m["pairs"] != 100.0 || m["failures"] != 2.0 || m["fallback_eyes"] != 4.0 {
		t.Errorf("pairs %v, failures %v, fallback_eyes %v; want 100, 2, 4", m["pairs"], m["failures"], m["fallback_eyes"])
	}
	if d, ok := m["distances"].([]any); !ok || len(d) != 100 {
		t.Errorf("distances: %T of length %d, want 100 numbers", m["distances"], len(d))
	}
	var back Report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.Accuracy != r.Accuracy || back.Threshold != r.Threshold || len(back.Folds) != len(r.Folds) {
		t.Errorf("report does not survive a JSON round trip")
	}
}

// checkPlot decodes a PNG and checks its size and that it is not blank:
// enough ink, and some pixels of the given colour family.
func checkPlot(t *testing.T, data []byte, name string) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: not a PNG: %v", name, err)
	}
	if b := img.Bounds(); b != image.Rect(0, 0, PlotWidth, PlotHeight) {
		t.Fatalf("%s: size %v, want %d×%d", name, b, PlotWidth, PlotHeight)
	}
	ink, bluish := 0, 0
	for y := 0; y < PlotHeight; y++ {
		for x := 0; x < PlotWidth; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if r < 0xf000 || g < 0xf000 || b < 0xf000 {
				ink++
			}
			if b > r+0x3000 && b > 0x8000 {
				bluish++
			}
		}
	}
	if total := PlotWidth * PlotHeight; ink < total/50 {
		t.Errorf("%s: only %d of %d pixels drawn", name, ink, total)
	}
	if bluish < 200 {
		t.Errorf("%s: only %d blue pixels: where is the data?", name, bluish)
	}
	if dir := os.Getenv("ONESHOT_EVAL_PLOTS"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Error(err)
		}
	}
}

func TestPlots(t *testing.T) {
	dist, same, fold := synthetic(500, 4)
	failed := make([]bool, len(dist))
	failed[10], failed[600] = true, true
	r, err := FromDistances(dist, same, failed, fold)
	if err != nil {
		t.Fatal(err)
	}
	var roc, hist bytes.Buffer
	if err := PlotROC(&roc, r); err != nil {
		t.Fatal(err)
	}
	checkPlot(t, roc.Bytes(), "roc.png")
	if err := PlotHistogram(&hist, r); err != nil {
		t.Fatal(err)
	}
	checkPlot(t, hist.Bytes(), "hist.png")

	// A perfect and a useless verifier, and a tiny report, draw too.
	for name, d := range map[string][]float32{
		"perfect": {0.1, 0.2, 0.3, 1.5, 1.6, 1.7},
		"useless": {1, 1, 1, 1, 1, 1},
	} {
		r, err := FromDistances(d, []bool{true, true, true, false, false, false}, nil, []int{0, 1, 2, 0, 1, 2})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := PlotROC(&b, r); err != nil {
			t.Errorf("%s ROC: %v", name, err)
		}
		checkPlot(t, b.Bytes(), name+"-roc.png")
		b.Reset()
		if err := PlotHistogram(&b, r); err != nil {
			t.Errorf("%s histogram: %v", name, err)
		}
		checkPlot(t, b.Bytes(), name+"-hist.png")
	}
	if err := PlotROC(&bytes.Buffer{}, Report{}); err == nil {
		t.Error("PlotROC of an empty report: no error")
	}
	if err := PlotHistogram(&bytes.Buffer{}, Report{}); err == nil {
		t.Error("PlotHistogram of an empty report: no error")
	}
}

// TestOperatingPointCountsErrorsAtAFixedThreshold: At counts false
// accepts and false rejects at a threshold, failed pairs always wrong, and
// agrees with AccuracyAt on every threshold.
func TestOperatingPointCountsErrorsAtAFixedThreshold(t *testing.T) {
	dist := []float32{0.5, 0.9, -1, 0.8, -1, 1.6} // failed pairs' values are ignored
	same := []bool{true, true, true, false, false, false}
	failed := []bool{false, false, true, false, true, false}
	fold := []int{0, 0, 0, 1, 1, 1}
	r, err := FromDistances(dist, same, failed, fold)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		t      float32
		fa, fr int
	}{
		{0, 1, 3},                  // the failed mismatched pair is accepted even here
		{0.7, 1, 2},                // 0.5 accepted; 0.9 and the failure rejected
		{1.0, 2, 1},                // 0.8 now accepted: a false accept
		{2 * FailedDistance, 3, 1}, // accept all: the failed matched pair stays rejected
	} {
		p := r.At(c.t)
		if p.Threshold != c.t || p.Matched != 3 || p.Mismatched != 3 || p.FalseAccepts != c.fa || p.FalseRejects != c.fr {
			t.Errorf("At(%v) = %+v, want %d false accepts and %d false rejects of 3 and 3", c.t, p, c.fa, c.fr)
		}
		if want := float64(c.fa) / 3; p.FAR() != want {
			t.Errorf("At(%v).FAR() = %v, want %v", c.t, p.FAR(), want)
		}
		if want := float64(3-c.fr) / 3; p.TAR() != want {
			t.Errorf("At(%v).TAR() = %v, want %v", c.t, p.TAR(), want)
		}
		if want := float64(6-c.fa-c.fr) / 6; r.AccuracyAt(c.t) != want {
			t.Errorf("AccuracyAt(%v) = %v, but At counts %d errors of 6", c.t, r.AccuracyAt(c.t), c.fa+c.fr)
		}
	}
	if p := (Report{}).At(1); p != (OperatingPoint{Threshold: 1}) || p.FAR() != 0 || p.TAR() != 0 {
		t.Errorf("At on an empty report = %+v (FAR %v, TAR %v), want zero counts", p, p.FAR(), p.TAR())
	}
}

// TestStrictThresholdHoldsOnEveryPart: on an easy part and a hard part,
// the strict point accepts at most 1% of each part's compared impostors,
// it is the hard part's (stricter than the mix's own 1% point), failed
// pairs are left out, and parts that do not cover the report are refused.
func TestStrictThresholdHoldsOnEveryPart(t *testing.T) {
	var dist []float32
	var same, failed []bool
	var fold []int
	add := func(n int, sameFrom, impFrom float32, nFailed int) {
		for i := range n {
			dist = append(dist, sameFrom+float32(i)*0.001, impFrom+float32(i)*0.01)
			same = append(same, true, false)
			failed = append(failed, false, i < nFailed)
			fold = append(fold, i%10, i%10)
		}
	}
	add(300, 0.2, 1.0, 0) // easy: impostors from 1.0 up
	add(300, 0.3, 0.6, 2) // hard: impostors from 0.62 up (the first two failed)
	r, err := FromDistances(dist, same, failed, fold)
	if err != nil {
		t.Fatal(err)
	}
	strict, err := r.StrictThreshold([]int{600, 600})
	if err != nil {
		t.Fatal(err)
	}
	// accepted counts the compared impostors of pairs [lo, hi) accepted.
	accepted := func(lo, hi int) (n int) {
		for i := lo; i < hi; i++ {
			if !r.Same[i] && !failed[i] && r.Distances[i] <= strict {
				n++
			}
		}
		return n
	}
	if got := accepted(0, 600); got != 0 {
		t.Errorf("the easy part at the strict point %v: %d impostors accepted, want none", strict, got)
	}
	// 298 compared impostors allow 2 (1%, rounded down): 0.62 and 0.63,
	// not 0.64.
	if got := accepted(600, 1200); got != 2 {
		t.Errorf("the hard part at the strict point %v: %d impostors accepted, want 2 of its 298 compared", strict, got)
	}
	if !(strict < r.TARThreshold) {
		t.Errorf("strict point %v is not stricter than the mix's 1%% point %v", strict, r.TARThreshold)
	}
	for _, bad := range [][]int{{600}, {600, 601}, {-1, 1201}} {
		if _, err := r.StrictThreshold(bad); err == nil {
			t.Errorf("StrictThreshold(%v): no error for parts that do not cover 1,200 pairs", bad)
		}
	}
	allSame := Report{Distances: []float32{0.1, 0.5, 0.6}, Same: []bool{true, true, false}, Failed: []int{2}}
	if _, err := allSame.StrictThreshold([]int{3}); err == nil {
		t.Error("no compared pair of two people: no error")
	}
}
