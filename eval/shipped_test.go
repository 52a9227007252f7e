//go:build !js

package eval

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/face"
)

// shipped are the 10-fold accuracies of models/compact.oneshot on the
// yardstick's sets (Sets) as recorded in MODEL_CARD.md, with our own
// pipeline. Update both together when a new model ships.
var shipped = map[string]float64{
	"LFW": 0.936,
	"FIW": 0.865,
}

// maxStrictFAR is the share of pairs of two people the strict threshold may
// accept on unseen people: it was set where 1% of the training people's
// are accepted, and must stay within twice that.
const maxStrictFAR = 0.02

// shippedModel opens models/compact.oneshot. The file is part of the
// repository: its absence is a failure, not a reason to skip.
func shippedModel(t *testing.T) (*embedder.Embedder, string) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "models", "compact.oneshot")
	e, err := embedder.Open(path)
	if err != nil {
		t.Fatalf("the shipped model: %v", err)
	}
	return e, path
}

// TestShippedModelDoesNotRegress evaluates the committed compact model on
// LFW pairsDevTest and the FIW validation pairs and fails if its accuracy
// on either falls more than 0.01 below the recorded figure, or if its
// strict threshold accepts more than 2% of the pairs of two people on
// LFW, so the weights (or the face pipeline they depend on) cannot
// silently get worse.
func TestShippedModelDoesNotRegress(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the full evaluation in -short mode")
	}
	e, _ := shippedModel(t)
	root, err := dataset.Root()
	if err != nil {
		t.Skipf("skipping the shipped-model evaluation: %v", err)
	}
	embedders, err := e.Workers(runtime.NumCPU())
	if err != nil {
		t.Fatal(err)
	}
	sets, err := Sets(root)
	if err != nil {
		t.Fatal(err)
	}
	c, err := face.LoadCascadesFromModule()
	if err != nil {
		t.Fatal(err)
	}
	measured := 0
	for _, set := range sets {
		want, ok := shipped[set.Name]
		if !ok {
			continue
		}
		measured++
		r, err := Pairs(context.Background(), embedders, c.NewDetector, set.Pairs, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: accuracy %.4f ± %.4f, AUC %.4f, failures %d", set.Name, r.Accuracy, r.Std, r.AUC, r.Failures)
		if r.Accuracy < want-0.01 {
			t.Errorf("%s: accuracy %.4f is below the recorded %.4f − 0.01: the shipped model or the face pipeline regressed", set.Name, r.Accuracy, want)
		}
		strict := r.At(e.StrictThreshold)
		t.Logf("%s: strict threshold %.4f: %d of %d pairs of two people accepted", set.Name, strict.Threshold, strict.FalseAccepts, strict.Mismatched)
		if set.Name == "LFW" && (strict.Mismatched == 0 || strict.FAR() > maxStrictFAR) {
			t.Errorf("%s: at the strict threshold %.4f, %d of %d pairs of two people are accepted: more than %.0f%%", set.Name, strict.Threshold, strict.FalseAccepts, strict.Mismatched, 100*maxStrictFAR)
		}
	}
	if measured != len(shipped) {
		t.Errorf("measured %d of the %d recorded sets", measured, len(shipped))
	}
}

// TestShippedModelFitsTheBudget: the committed model file, cohort
// included, stays within 2.5 MB, and carries the mirroring, five-point
// alignment and thresholds its recorded accuracy was measured with.
func TestShippedModelFitsTheBudget(t *testing.T) {
	e, path := shippedModel(t)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > 2_500_000 {
		t.Errorf("%s is %d bytes, over 2.5 MB", path, st.Size())
	}
	if !e.Mirror || !e.Template.FivePoint || e.Threshold == 0 || e.StrictThreshold == 0 {
		t.Errorf("the shipped model: mirror %v, five-point %v, threshold %v, strict threshold %v; its recorded figures need all four",
			e.Mirror, e.Template.FivePoint, e.Threshold, e.StrictThreshold)
	}
}
