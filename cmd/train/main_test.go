package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/train"
)

// TestInitWeights checks -init: a model starts with another model file's
// weights and batch-norm statistics, and a file of another architecture
// or an unreadable one is refused with a message naming it.
func TestInitWeights(t *testing.T) {
	dir := t.TempDir()
	from, err := embedder.CompactV1.New(7)
	if err != nil {
		t.Fatal(err)
	}
	// Non-default running statistics, to see they are copied too.
	for _, p := range from.Params() {
		if strings.HasSuffix(p.Name, "running_var") {
			for i := range p.Value.Float32s() {
				p.Value.Float32s()[i] = 2 + float32(i)
			}
		}
	}
	path := filepath.Join(dir, "from.oneshot")
	if err := saveModel(path, from); err != nil {
		t.Fatal(err)
	}

	m, err := embedder.CompactV1.New(8)
	if err != nil {
		t.Fatal(err)
	}
	if five, err := initWeights(embedder.CompactV1, m, path); err != nil || five {
		t.Fatalf("initWeights: five-point %v, %v; want the pupils' template", five, err)
	}
	for _, p := range from.Params() {
		got, want := m.Param(p.Name).Value.Float32s(), p.Value.Float32s()
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s[%d] = %v, want %v", p.Name, i, got[i], want[i])
			}
		}
	}

	other, err := embedder.CompactV2.New(8)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := initWeights(embedder.CompactV2, other, path); err == nil || !strings.Contains(err.Error(), "compact-v1 model cannot start compact-v2") {
		t.Errorf("compact-v2 from a compact-v1 file: err = %v, want an architecture mismatch", err)
	}
	// compact-v2-80 rescales a compact-v2 file; compact-v2-deep grows from one.
	v2 := filepath.Join(dir, "v2.oneshot")
	if err := saveModel(v2, other); err != nil {
		t.Fatal(err)
	}
	at80, err := embedder.CompactV2At80.New(8)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := initWeights(embedder.CompactV2At80, at80, v2); err != nil {
		t.Errorf("compact-v2-80 from a compact-v2 file: %v", err)
	}
	deep, err := embedder.CompactV2Deep.New(8)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := initWeights(embedder.CompactV2Deep, deep, v2); err != nil {
		t.Errorf("compact-v2-deep from a compact-v2 file: %v", err)
	}
	// A five-point file says so, so that a run from it aligns as it does.
	five := face.TemplateCompact64
	five.FivePoint = true
	if err := embedder.Describe(other, five, embedder.CompactNorm, 0); err != nil {
		t.Fatal(err)
	}
	if err := saveModel(v2, other); err != nil {
		t.Fatal(err)
	}
	v2m, err := embedder.CompactV2.New(9)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := initWeights(embedder.CompactV2, v2m, v2); err != nil || !got {
		t.Errorf("initWeights from a five-point file: five-point %v, %v; want true", got, err)
	}
	if got, want := deep.Param("block9.body.pw.conv.weight").Value.Float32s()[5], other.Param("block9.body.pw.conv.weight").Value.Float32s()[5]; got != want {
		t.Errorf("compact-v2-deep from a compact-v2 file: block9 weight %v, want %v", got, want)
	}
	bad := filepath.Join(dir, "bad.oneshot")
	if err := os.WriteFile(bad, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := initWeights(embedder.CompactV1, m, bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("garbage file: err = %v, want an error naming it", err)
	}
	if _, err := initWeights(embedder.CompactV1, m, filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file: no error")
	}
}

// TestSightTemplate checks -sight-crop: the student's own crop by
// default, a named smaller crop with -sight, and clear refusals.
func TestSightTemplate(t *testing.T) {
	student := face.TemplateCompact80
	if got, err := sightTemplate("", false, student); err != nil || got != student {
		t.Errorf("no -sight-crop: %v, %v; want the student's crop", got.Name, err)
	}
	if got, err := sightTemplate("compact64", true, student); err != nil || got != face.TemplateCompact64 {
		t.Errorf("-sight-crop compact64: %v, %v; want the 64-px crop", got.Name, err)
	}
	for _, tc := range []struct {
		name  string
		sight bool
		want  string
	}{
		{"compact64", false, "needs -sight"},
		{"compact72", true, "unknown -sight-crop"},
		{"compact96", true, "finer than the student's"},
		{"dlib150", true, "frames the face otherwise"},
	} {
		if _, err := sightTemplate(tc.name, tc.sight, student); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("-sight-crop %s (sight %v): err = %v, want %q", tc.name, tc.sight, err, tc.want)
		}
	}
}

// TestParseViewSets checks -view-seeds: seeds with optional jitter
// factors, warp and glasses probabilities and blend, swap and side
// probabilities, the run's seed when empty, and clear refusals.
func TestParseViewSets(t *testing.T) {
	got, err := parseViewSets("1, 2:0.5,3:0.7,6:1:0.5,11:1:1:0.5,13x2,14x1.5:0.5,21w1,22x2w0.5:0.5,42x2g1,43w1g0.5:0.5", 9, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	c := func(mix, swap, side float64) train.Composition {
		return train.Composition{Mix: mix, Swap: swap, Side: side}
	}
	want := []viewSet{{1, 1, c(0.25, 0, 0)}, {2, 1, c(0.5, 0, 0)}, {3, 1, c(0.7, 0, 0)}, {6, 1, c(1, 0.5, 0)}, {11, 1, c(1, 1, 0.5)},
		{13, 2, c(0.25, 0, 0)}, {14, 1.5, c(0.5, 0, 0)},
		{21, 1, train.Composition{Mix: 0.25, Warp: 1}}, {22, 2, train.Composition{Mix: 0.5, Warp: 0.5}},
		{42, 2, train.Composition{Mix: 0.25, Glasses: 1}}, {43, 1, train.Composition{Mix: 0.5, Warp: 1, Glasses: 0.5}}}
	if !slices.Equal(got, want) {
		t.Errorf("parseViewSets = %v, want %v", got, want)
	}
	if got, err := parseViewSets("", 9, 0.25); err != nil || !slices.Equal(got, []viewSet{{9, 1, c(0.25, 0, 0)}}) {
		t.Errorf("empty -view-seeds = %v, %v; want the run's seed and -mix", got, err)
	}
	for _, bad := range []string{"x", "1,,2", "1:2", "1:-0.1", "1:nan", "1,1:0.5", "-1",
		"6:1:0", "6:1:1.5", "6:1:x", "6:0:0.5", "6:1:0.5:2", "6:1:0.5:0", "6:1:0.5:x", "6:1:0.5:1:1",
		"13x", "13x0", "13x-1", "13x5", "13xnan", "x2", "13x2x2", "13,13x2",
		"21w", "21w0", "21w1.5", "21wx", "21w1w1", "21w0.5x2", "w1",
		"42g", "42g0", "42g2", "42gx", "42g1g1", "42g1w1", "g1"} {
		if _, err := parseViewSets(bad, 9, 0); err == nil || !strings.Contains(err.Error(), "-view-seeds") {
			t.Errorf("parseViewSets(%q) error = %v, want a -view-seeds error", bad, err)
		}
	}
}

// TestViewSetCacheName: sets of the plain jitter range keep the cache
// names they have always had; a scaled range gets a file of its own.
func TestViewSetCacheName(t *testing.T) {
	for _, tc := range []struct {
		set  viewSet
		want string
	}{
		{viewSet{seed: 6, jitter: 1, Composition: train.Composition{Mix: 1, Swap: 1}}, "views-K-seed6.bin"},
		{viewSet{seed: 13, jitter: 2}, "views-K-seed13-jitter2.bin"},
		{viewSet{seed: 14, jitter: 1.5, Composition: train.Composition{Mix: 0.5}}, "views-K-seed14-jitter1.5.bin"},
	} {
		if got := tc.set.cacheName("K"); got != tc.want {
			t.Errorf("cacheName of %+v = %q, want %q", tc.set, got, tc.want)
		}
	}
}

// TestEpochsTime sums the seconds of every recorded epoch, those of an
// earlier process included, to the second.
func TestEpochsTime(t *testing.T) {
	h := []train.EpochRecord{{Epoch: 0, Stats: train.EpochStats{Seconds: 61.4}}, {Epoch: 1, Stats: train.EpochStats{Seconds: 75.3}}}
	if got, want := epochsTime(h), 2*time.Minute+17*time.Second; got != want {
		t.Errorf("epochsTime = %v, want %v", got, want)
	}
	if got := epochsTime(nil); got != 0 {
		t.Errorf("epochsTime of no epochs = %v, want 0", got)
	}
}

// TestTrainedPairs checks that validation keeps only the pairs of people
// trained on, each with its fold: a pair of a held-out person is dropped,
// not counted as an error.
func TestTrainedPairs(t *testing.T) {
	root := "images"
	people := []dataset.Person{
		{Name: "Ann", Images: []string{dataset.LFWImage(root, "Ann", 1), dataset.LFWImage(root, "Ann", 2)}},
		{Name: "Bob", Images: []string{dataset.LFWImage(root, "Bob", 1)}},
	}
	pairs := []dataset.Pair{
		{A: dataset.LFWImage(root, "Ann", 1), B: dataset.LFWImage(root, "Ann", 2), Same: true, Fold: 0},
		{A: dataset.LFWImage(root, "Cid", 1), B: dataset.LFWImage(root, "Cid", 2), Same: true, Fold: 1}, // held out
		{A: dataset.LFWImage(root, "Ann", 1), B: dataset.LFWImage(root, "Ann", 3), Same: true, Fold: 2}, // an image not in the list
		{A: dataset.LFWImage(root, "Ann", 2), B: dataset.LFWImage(root, "Bob", 1), Fold: 3},
		{A: dataset.LFWImage(root, "Bob", 1), B: dataset.LFWImage(root, "Cid", 1), Fold: 4}, // one side held out
	}
	got := trainedPairs(pairs, people)
	want := []dataset.Pair{pairs[0], pairs[3]}
	if !slices.Equal(got, want) {
		t.Errorf("trainedPairs kept %v, want %v", got, want)
	}
}

func TestFamilies(t *testing.T) {
	people := []dataset.Person{{Name: "George_W_Bush"}, {Name: "fiw/F0007/MID1"}, {Name: "orl/s3"}, {Name: "fiw/F0002/MID4"}, {Name: "fiw/F0007/MID3"}}
	if got, want := families(people), []int{-1, 0, -1, 1, 0}; !slices.Equal(got, want) {
		t.Errorf("families = %v, want %v", got, want)
	}
}
