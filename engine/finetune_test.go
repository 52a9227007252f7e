//go:build !js

package engine

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/train"
)

// confusedPair finds, among the first people of LFW's peopleDevTrain.txt
// with six or more images, the two whose embeddings lie closest together
// relative to their spread (the smallest mismatched − matched gap): a
// pair the model confuses. Each comes with up to 8 frames that have a face.
func confusedPair(t *testing.T, e *Engine) (names [2]string, frames [2][]Frame) {
	t.Helper()
	p := confusedPairs(t, e, 1)[0]
	return p.names, p.frames
}

// pairOfPeople is two people with their frames.
type pairOfPeople struct {
	names  [2]string
	frames [2][]Frame
}

// confusedPairs is confusedPair's k most confused pairs, most confused
// first, no person in two of them.
func confusedPairs(t *testing.T, e *Engine, k int) []pairOfPeople {
	t.Helper()
	root, err := dataset.Root()
	if err != nil {
		t.Skipf("skipping the LFW fine-tuning test: %v", err)
	}
	lfw := filepath.Join(root, "lfw")
	people, err := dataset.ReadPeopleFile(filepath.Join(lfw, "peopleDevTrain.txt"), filepath.Join(lfw, "images"))
	if err != nil {
		t.Skipf("skipping the LFW fine-tuning test: %v", err)
	}
	type cand struct {
		name   string
		frames []Frame
		emb    [][]float32
	}
	var cs []cand
	for _, p := range people {
		if len(p.Images) < 6 {
			continue
		}
		c := cand{name: p.Name}
		for _, path := range p.Images {
			f := loadFrame(t, path)
			v, err := e.Embed(f)
			if errors.Is(err, ErrNoFace) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			c.frames, c.emb = append(c.frames, f), append(c.emb, v.Vector)
			if len(c.frames) == 8 {
				break
			}
		}
		if len(c.frames) >= 6 {
			cs = append(cs, c)
		}
		if len(cs) == 24 {
			break
		}
	}
	if len(cs) < 2 {
		t.Skip("LFW: fewer than two people with six images with a face")
	}
	used := map[int]bool{}
	var out []pairOfPeople
	for len(out) < k {
		best, bi, bj := 0.0, -1, -1
		for i := range cs {
			for j := i + 1; j < len(cs); j++ {
				if used[i] || used[j] {
					continue
				}
				g := gapOf(cs[i].emb, cs[j].emb)
				if bi < 0 || g < best {
					best, bi, bj = g, i, j
				}
			}
		}
		if bi < 0 {
			break
		}
		used[bi], used[bj] = true, true
		t.Logf("confused pair %d of %d people: %s and %s (gap %.4f)", len(out)+1, len(cs), cs[bi].name, cs[bj].name, best)
		out = append(out, pairOfPeople{[2]string{cs[bi].name, cs[bj].name}, [2][]Frame{cs[bi].frames, cs[bj].frames}})
	}
	return out
}

func dist(a, b []float32) float64 {
	var s float64
	for k := range a {
		d := float64(a[k] - b[k])
		s += d * d
	}
	return s
}

// gapOf is the mean squared distance between a's and b's embeddings minus
// the mean within each.
func gapOf(a, b [][]float32) float64 {
	var within, cross float64
	var nw, nc int
	for _, set := range [][][]float32{a, b} {
		for i := range set {
			for j := i + 1; j < len(set); j++ {
				within += dist(set[i], set[j])
				nw++
			}
		}
	}
	for _, x := range a {
		for _, y := range b {
			cross += dist(x, y)
			nc++
		}
	}
	return cross/float64(nc) - within/float64(nw)
}

// heldOutGap embeds the frames with e and returns gapOf of the two sets.
func heldOutGap(t *testing.T, e *Engine, held [2][]Frame) float64 {
	t.Helper()
	var emb [2][][]float32
	for k := range held {
		for _, f := range held[k] {
			v, err := e.Embed(f)
			if err != nil {
				t.Fatal(err)
			}
			emb[k] = append(emb[k], v.Vector)
		}
	}
	return gapOf(emb[0], emb[1])
}

// TestFineTuneLFW is the acceptance test: fine-tuning on two LFW
// people the model confuses widens the gap between their mismatched and
// matched distances on held-out images; a run at a huge learning rate is
// rolled back; a cancelled run leaves the model in place; the gallery is
// re-embedded; ResetModel goes back.
func TestFineTuneLFW(t *testing.T) {
	e, trained := newEngine(t)
	if !trained {
		t.Log("an uncalibrated model ($ONESHOT_MODEL): checking the plumbing; the gap must widen only with a trained model")
	}
	names, frames := confusedPair(t, e)
	// The first four images of each train; the rest are held out and
	// never shown to FineTune.
	var caps []Capture
	var held [2][]Frame
	for k := range frames {
		for i, f := range frames[k] {
			if i < 4 {
				caps = append(caps, Capture{Frame: f, Label: names[k]})
			} else {
				held[k] = append(held[k], f)
			}
		}
	}
	// Someone enrolled, to check re-embedding.
	if _, err := e.Enroll("Probe", frames[0][:2]); err != nil {
		t.Fatal(err)
	}
	probe := frames[0][2]
	v0, err := e.Verify("Probe", probe, Options{AnyQuality: true})
	if err != nil {
		t.Fatal(err)
	}
	info0 := e.Info().Model
	gapBefore := heldOutGap(t, e, held)

	// A cancelled run leaves everything in place.
	ctx, cancel := context.WithCancel(context.Background())
	_, err = e.FineTune(ctx, FineTuneRequest{Captures: caps, Epochs: 50}, func(p FineTuneProgress) {
		if p.Epoch == 3 {
			cancel()
		}
	})
	cancel()
	if err == nil || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "previous model is kept") {
		t.Errorf("cancelled run: error %v", err)
	}
	if e.Info().Model.Fingerprint != info0.Fingerprint {
		t.Fatal("a cancelled run changed the model")
	}

	// A learning rate of 1000 in full mode blows training up: rolled back.
	// In head mode only the last layers move, and whether that helps the
	// held-out triplets of two people depends on the model (it hurt the
	// model shipped until 2026-11-30 and helped the one after), so what is
	// checked there is that the engine acts on the
	// held-out verdict: a worse result leaves everything as it was, a
	// result kept is no worse (train.TestScoreNotWorse tests that verdict).
	bad, err := e.FineTune(context.Background(), FineTuneRequest{Captures: caps, Mode: "full", Epochs: 5, LR: 1000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("full mode, lr 1000: kept %v, %s", bad.Kept, bad.Reason)
	if bad.Kept || !strings.Contains(bad.Reason, "training failed") || e.Info().Model.Fingerprint != info0.Fingerprint {
		t.Errorf("a full-mode run at learning rate 1000: %+v", bad)
	}
	bad, err = e.FineTune(context.Background(), FineTuneRequest{Captures: caps, Epochs: 10, LR: 1000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("lr 1000: kept %v, %s (held-out %+v → %+v)", bad.Kept, bad.Reason, bad.Before, bad.After)
	if !bad.Kept {
		if bad.After.NotWorse(bad.Before) || !strings.Contains(bad.Reason, "got worse") ||
			bad.Model != nil || e.Info().Model.Fingerprint != info0.Fingerprint {
			t.Errorf("a rolled-back run: %+v, the engine's model %+v", bad, e.Info().Model)
		}
		if v, err := e.Verify("Probe", probe, Options{AnyQuality: true}); err != nil || v.Distance != v0.Distance {
			t.Errorf("after the rolled-back run Verify gives %+v, %v; want distance %v", v, err, v0.Distance)
		}
	} else {
		if !bad.After.NotWorse(bad.Before) || bad.Model == nil || e.Info().Model.Fingerprint == info0.Fingerprint {
			t.Errorf("a run kept with a worse held-out result, or not swapped in: %+v, the engine's model %+v", bad, e.Info().Model)
		}
		// The real run below starts from the model as shipped.
		t.Log("the run at learning rate 1000 in head mode was kept (no worse on the held-out triplets); resetting")
		if _, err := e.ResetModel(); err != nil {
			t.Fatal(err)
		}
	}

	// The real run.
	// Other calls run while it trains: the engine is not held.
	var events int
	res, err := e.FineTune(context.Background(), FineTuneRequest{Captures: caps}, func(FineTuneProgress) {
		events++
		if !e.mu.TryLock() {
			t.Error("the engine is held while fine-tuning trains")
		} else {
			e.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	gapAfter := heldOutGap(t, e, held)
	t.Logf("fine-tuned (%s, %d triplets, %d epochs, %.2fs, %d progress events): kept %v %s; inner held-out gap %.4f → %.4f; "+
		"gap on the %d+%d held-out images %.4f → %.4f",
		res.Mode, res.Triplets, res.Epochs, res.Seconds, events, res.Kept, res.Reason, res.Before.Gap, res.After.Gap,
		len(held[0]), len(held[1]), gapBefore, gapAfter)
	if events == 0 || res.Triplets == 0 || res.HeldOut == 0 {
		t.Errorf("result %+v after %d progress events", res, events)
	}
	if res.Kept {
		info := e.Info().Model
		if res.Model == nil || res.Model.Fingerprint == info0.Fingerprint || info.Fingerprint != res.Model.Fingerprint || info.FineTuned == "" || res.Reembedded != 1 {
			t.Errorf("kept, but the engine's model is %+v (result %+v)", info, res)
		}
		if info.Threshold != info0.Threshold || info.StrictThreshold != info0.StrictThreshold || info.ThresholdSource != info0.ThresholdSource {
			t.Errorf("the thresholds changed from %v (strict %v, %s) to %v (strict %v, %s)", info0.Threshold, info0.StrictThreshold, info0.ThresholdSource,
				info.Threshold, info.StrictThreshold, info.ThresholdSource)
		}
		if _, err := e.Verify("Probe", probe, Options{AnyQuality: true}); err != nil {
			t.Errorf("verify after fine-tuning: %v", err)
		}
	} else if e.Info().Model.Fingerprint != info0.Fingerprint {
		t.Error("not kept, but the model changed")
	}
	if trained {
		if !res.Kept && res.Loss == 0 {
			// The triplet margin already separates this pair's captures:
			// the triplet loss has nothing to learn from them and a
			// rollback is the right answer. The Siamese objective, whose
			// loss never reaches zero, must then widen the gap instead.
			t.Logf("the triplet loss was 0 on these captures and the run was rolled back; the Siamese objective must widen the gap")
			if res, err = e.FineTune(context.Background(), FineTuneRequest{Captures: caps, Objective: train.ObjectiveSiamese}, nil); err != nil {
				t.Fatal(err)
			}
			gapAfter = heldOutGap(t, e, held)
			t.Logf("fine-tuned (%s, siamese): kept %v %s; gap on the held-out images %.4f → %.4f", res.Mode, res.Kept, res.Reason, gapBefore, gapAfter)
			if !res.Kept && res.After.Separation > res.Before.Separation && res.After.AUC > res.Before.AUC {
				// The Siamese objective did widen the captures' held-out
				// gap, but turned one of their held-out triplets wrong, and
				// the guard (train.Score.NotWorse) keeps the old model
				// then: the safe side, by design. The engine must be
				// unchanged, as checked above for the first run.
				t.Logf("the Siamese run widened the held-out separation (%.4f → %.4f) and AUC (%.3f → %.3f) but was rolled back: %s",
					res.Before.Separation, res.After.Separation, res.Before.AUC, res.After.AUC, res.Reason)
				if e.Info().Model.Fingerprint != info0.Fingerprint {
					t.Error("the Siamese run was rolled back, but the model changed")
				}
				return
			}
		}
		if !res.Kept {
			t.Errorf("the shipped model's fine-tuning was rolled back: %s", res.Reason)
		}
		if gapAfter <= gapBefore {
			t.Errorf("the held-out gap between %s and %s did not widen: %.4f → %.4f", names[0], names[1], gapBefore, gapAfter)
		}
	}

	// Reset to the shipped model.
	info, err := e.ResetModel()
	if err != nil {
		t.Fatal(err)
	}
	if info.Fingerprint != info0.Fingerprint || info.FineTuned != "" {
		t.Errorf("after ResetModel the model is %+v, want %+v", info, info0)
	}
	// Everyone was re-embedded from the kept crops (dlib's 150-pixel chip,
	// cut again to the model's 64 pixels), not from the frames enrollment
	// aligned directly: the distance is near the first, not equal to it.
	if v, err := e.Verify("Probe", probe, Options{AnyQuality: true}); err != nil || math.Abs(float64(v.Distance-v0.Distance)) > 0.05 {
		t.Errorf("after ResetModel Verify gives %+v, %v; want distance %v ± 0.05", v, err, v0.Distance)
	}
}

func TestFineTuneBadRequests(t *testing.T) {
	e, _ := newEngine(t)
	g := grey(40, 40)
	for _, c := range []struct {
		name string
		req  FineTuneRequest
		want string
	}{
		{"nothing", FineTuneRequest{}, "nothing to fine-tune"},
		{"both", FineTuneRequest{Captures: []Capture{{g, "a"}}, Triplets: []Triplet{{g, g, g}}}, "not both"},
		{"no label", FineTuneRequest{Captures: []Capture{{g, ""}}}, "empty label"},
		{"no face", FineTuneRequest{Triplets: []Triplet{{g, g, g}}}, "triplet 1's anchor: no face"},
		{"bad frame", FineTuneRequest{Captures: []Capture{{Frame{Width: 2, Height: 2}, "a"}}}, "capture 1 (a)"},
	} {
		_, err := e.FineTune(context.Background(), c.req, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
