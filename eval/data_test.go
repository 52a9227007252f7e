// The tests on real images read LFW from disk and pigo's cascades from the
// Go module cache (face.LoadCascadesFromModule), neither of which a
// browser has.

//go:build !js

package eval

import (
	"context"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/face"
)

// devTestSample returns 100 pairs of LFW's pairsDevTest.txt, 5 matched and
// 5 mismatched from each of its 10 folds (the file lists all matched pairs
// first, so its first 100 lines alone would hold a single class), or skips
// the test when the data or the cascades are not on this machine.
func devTestSample(t *testing.T) ([]dataset.Pair, *face.Cascades) {
	t.Helper()
	root, err := dataset.Root()
	if err != nil {
		t.Skipf("skipping the LFW end-to-end test: %v", err)
	}
	pairs, err := dataset.ReadPairsFile(filepath.Join(root, "lfw", "pairsDevTest.txt"),
		filepath.Join(root, "lfw", "images"), "lfw")
	if err != nil {
		t.Skipf("skipping the LFW end-to-end test: %v", err)
	}
	c, err := face.LoadCascadesFromModule()
	if err != nil {
		t.Skipf("skipping the LFW end-to-end test: no face cascades: %v", err)
	}
	type key struct {
		fold int
		same bool
	}
	taken := map[key]int{}
	var sample []dataset.Pair
	for _, p := range pairs {
		k := key{p.Fold, p.Same}
		if taken[k] < 5 {
			taken[k]++
			sample = append(sample, p)
		}
	}
	return sample, c
}

// TestPairsLFW runs the whole pipeline — decode, detect, align, embed,
// distances, metrics, plots, JSON — on 100 LFW pairs with an untrained
// compact model: a test of the plumbing, not of accuracy.
func TestPairsLFW(t *testing.T) {
	pairs, c := devTestSample(t)
	if len(pairs) != 100 {
		t.Fatalf("sampled %d pairs, want 100", len(pairs))
	}
	e := untrainedCompact(t)
	e2, err := e.Clone()
	if err != nil {
		t.Fatal(err)
	}
	// No time limit of its own: the test binary's -timeout bounds it, so a
	// loaded machine makes it slower, not failed.
	ctx := t.Context()
	calls, last := 0, 0
	r, err := Pairs(ctx, []*embedder.Embedder{e, e2}, c.NewDetector, pairs, func(done, total int) {
		calls++
		if done < last || done > total {
			t.Errorf("progress %d/%d after %d", done, total, last)
		}
		last = done
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("100 LFW pairs, untrained model: accuracy %.3f ± %.3f, AUC %.3f, EER %.3f, %d failures, %d fallback eyes, %d images in %.1f s",
		r.Accuracy, r.Std, r.AUC, r.EER, r.Failures, r.FallbackEyes, r.Images, r.Seconds)
	if calls == 0 || last != r.Images {
		t.Errorf("progress called %d times, last %d of %d images", calls, last, r.Images)
	}
	if r.Pairs != 100 || len(r.Distances) != 100 || len(r.Folds) != 10 {
		t.Errorf("pairs %d, distances %d, folds %d; want 100, 100, 10", r.Pairs, len(r.Distances), len(r.Folds))
	}
	if r.Images < 100 || r.Images > 200 {
		t.Errorf("%d distinct images for 100 pairs", r.Images)
	}
	if r.Accuracy < 0 || r.Accuracy > 1 || r.AUC < 0 || r.AUC > 1 {
		t.Errorf("accuracy %v, AUC %v: outside [0, 1]", r.Accuracy, r.AUC)
	}
	if r.Failures > 5 {
		t.Errorf("%d of 100 pairs failed (no face): the detector finds nearly every LFW face", r.Failures)
	}
	if r.Failures != len(r.Failed) || len(r.NoFace) > 2*r.Failures {
		t.Errorf("failures %d, failed pairs %v, images without face %v", r.Failures, r.Failed, r.NoFace)
	}
	for i, d := range r.Distances {
		if d < 0 || d > 4.001 && d < FailedDistance {
			t.Errorf("pair %d: distance %v of unit embeddings", i, d)
		}
	}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	checkKeys(t, data)

	// Cancelling stops it with the context's error.
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Pairs(cancelled, []*embedder.Embedder{e}, c.NewDetector, pairs, nil); err == nil {
		t.Error("cancelled context: no error")
	}
}

func TestPairsErrors(t *testing.T) {
	e := untrainedCompact(t)
	newDet := func() *face.Detector { return nil }
	pairs := []dataset.Pair{{A: "/nonexistent/a.jpg", B: "/nonexistent/b.jpg", Same: true}}
	if _, err := Pairs(context.Background(), nil, newDet, pairs, nil); err == nil {
		t.Error("no embedders: no error")
	}
	if _, err := Pairs(context.Background(), []*embedder.Embedder{e}, newDet, nil, nil); err == nil {
		t.Error("no pairs: no error")
	}
	if _, err := Pairs(context.Background(), []*embedder.Embedder{e}, nil, pairs, nil); err == nil {
		t.Error("nil newDetector: no error")
	}
	if _, err := Pairs(context.Background(), []*embedder.Embedder{e}, newDet, pairs, nil); err == nil {
		t.Error("newDetector returning nil: no error")
	}
	c, err := face.LoadCascadesFromModule()
	if err != nil {
		t.Skipf("skipping the missing-file case: no face cascades: %v", err)
	}
	if _, err := Pairs(context.Background(), []*embedder.Embedder{e}, c.NewDetector, pairs, nil); err == nil {
		t.Error("missing image files: no error")
	}
}

// untrainedCompact is the compact embedder with fresh weights (seed 1).
func untrainedCompact(t *testing.T) *embedder.Embedder {
	t.Helper()
	m, err := embedder.NewCompact(1)
	if err != nil {
		t.Fatal(err)
	}
	e, err := embedder.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestPairsAltered checks that the crops are altered before they are
// embedded: with every crop painted one grey, every pair of found faces
// is at distance 0, so the verification is no better than chance.
func TestPairsAltered(t *testing.T) {
	pairs, c := devTestSample(t)
	e := untrainedCompact(t)
	grey := func(crop *image.RGBA) {
		for i := range crop.Pix {
			crop.Pix[i] = 128
		}
	}
	r, err := PairsAltered(context.Background(), []*embedder.Embedder{e}, c.NewDetector, pairs, grey, nil)
	if err != nil {
		t.Fatal(err)
	}
	failed := failedPairs(r)
	for i, d := range r.Distances {
		if d != 0 && !failed[i] {
			t.Fatalf("pair %d: distance %g between two grey crops", i, d)
		}
	}
	if len(r.Failed) == 0 && r.AUC != 0.5 {
		t.Errorf("AUC %g with every crop grey, want 0.5", r.AUC)
	}
}

// samplePaths is the images of the first n pairs of devTestSample, both
// sides of each, with the sample's cascades.
func samplePaths(t *testing.T, n int) ([]string, *face.Cascades) {
	pairs, c := devTestSample(t)
	var paths []string
	for _, p := range pairs[:n] {
		paths = append(paths, p.A, p.B)
	}
	return paths, c
}

// TestEmbedAltered checks that EmbedAltered embeds the altered crops and
// Embed the crops as aligned: with every crop painted one grey, every face
// embeds to the same vector; as aligned, two faces do not.
func TestEmbedAltered(t *testing.T) {
	paths, c := samplePaths(t, 5)
	e := untrainedCompact(t)
	grey := func(crop *image.RGBA) {
		for i := range crop.Pix {
			crop.Pix[i] = 128
		}
	}
	for _, altered := range []bool{false, true} {
		var vecs [][]float32
		var err error
		if altered {
			vecs, err = EmbedAltered(context.Background(), []*embedder.Embedder{e}, c.NewDetector, paths, grey, nil)
		} else {
			vecs, err = Embed(context.Background(), []*embedder.Embedder{e}, c.NewDetector, paths, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		var found [][]float32
		for _, v := range vecs {
			if v != nil {
				found = append(found, v)
			}
		}
		if len(found) < 2 {
			t.Fatalf("faces found in %d of %d images", len(found), len(paths))
		}
		identical := slices.Equal(found[0], found[1])
		if identical != altered {
			t.Errorf("altered %v: the first two faces embed identically: %v", altered, identical)
		}
	}
}

// TestEmbedAlterations checks that embedding several alterations in one
// pass (one detection per image, batches of several crops per face) gives
// exactly what one pass per alteration gives, each copy altered from the
// crop as aligned, with 17 alterations (more than a batch) too.
func TestEmbedAlterations(t *testing.T) {
	paths, c := samplePaths(t, 6)
	e := untrainedCompact(t)
	shade := func(v uint8) func(*image.RGBA) {
		return func(crop *image.RGBA) {
			for i := range crop.Pix {
				crop.Pix[i] = crop.Pix[i]/2 + v // half the crop, so it is not the same for every face
			}
		}
	}
	embs := []*embedder.Embedder{e}
	for _, alters := range [][]func(*image.RGBA){{nil, shade(10), shade(90)}, append([]func(*image.RGBA){nil}, slices.Repeat([]func(*image.RGBA){shade(40)}, 16)...)} {
		got, err := EmbedAlterations(context.Background(), embs, c.NewDetector, paths, alters, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(alters) {
			t.Fatalf("%d sets of embeddings for %d alterations", len(got), len(alters))
		}
		for a, alter := range alters {
			want, err := EmbedAltered(context.Background(), embs, c.NewDetector, paths, alter, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := range paths {
				if !slices.Equal(got[a][i], want[i]) {
					t.Fatalf("%d alterations: image %d, alteration %d differs from its own pass", len(alters), i, a)
				}
			}
		}
	}
	if _, err := EmbedAlterations(context.Background(), embs, c.NewDetector, paths, nil, nil); err == nil {
		t.Error("no alterations: no error")
	}
}

// TestPairsBy checks that each pair's distance is the caller's: a
// distance that names the pair (1 for a matched pair, 3 for a mismatched
// one) separates the pairs perfectly whatever the embedder, and the
// function sees both images' embeddings.
func TestPairsBy(t *testing.T) {
	pairs, c := devTestSample(t)
	e := untrainedCompact(t)
	if _, err := PairsBy(context.Background(), []*embedder.Embedder{e}, c.NewDetector, pairs, nil, nil); err == nil {
		t.Error("nil distance: no error")
	}
	r, err := PairsBy(context.Background(), []*embedder.Embedder{e}, c.NewDetector, pairs, func(p dataset.Pair, a, b []float32) (float32, error) {
		if len(a) != embedder.EmbeddingDim || len(b) != embedder.EmbeddingDim {
			t.Errorf("%s, %s: embeddings of %d and %d values", p.A, p.B, len(a), len(b))
		}
		if p.Same {
			return 1, nil
		}
		return 3, nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	failed := failedPairs(r)
	for i, d := range r.Distances {
		if want := map[bool]float32{true: 1, false: 3}[pairs[i].Same]; !failed[i] && d != want {
			t.Fatalf("pair %d: distance %g, want %g", i, d, want)
		}
	}
	if len(r.Failed) == 0 && r.AUC != 1 {
		t.Errorf("AUC %g with distances that name the pairs, want 1", r.AUC)
	}
}

// failedPairs is the set of r's failed pairs.
func failedPairs(r Report) map[int]bool {
	failed := make(map[int]bool, len(r.Failed))
	for _, i := range r.Failed {
		failed[i] = true
	}
	return failed
}

// TestPairsTakeLargePhotos checks that a photograph over face.MaxSide a
// side is scaled down and measured (here: no face in a plain picture, a
// failed pair) rather than stopping the whole evaluation.
func TestPairsTakeLargePhotos(t *testing.T) {
	c, err := face.LoadCascadesFromModule()
	if err != nil {
		t.Skipf("skipping: no face cascades: %v", err)
	}
	dir := t.TempDir()
	big := filepath.Join(dir, "big.png")
	g := image.NewGray(image.Rect(0, 0, face.MaxSide+904, 300))
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, g); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	pairs := []dataset.Pair{{A: big, B: big, Same: true}, {A: big, B: big, Same: false}}
	r, err := Pairs(context.Background(), []*embedder.Embedder{untrainedCompact(t)}, c.NewDetector, pairs, nil)
	if err != nil {
		t.Fatalf("a %d px wide photo stopped the evaluation: %v", face.MaxSide+904, err)
	}
	if r.Failures != 2 || len(r.NoFace) != 1 {
		t.Fatalf("failures %d, no face %v: want both pairs failed for want of a face in the one image", r.Failures, r.NoFace)
	}
}
