package eval

import (
	"math"
	"strings"
	"testing"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/gallery"
)

func TestFromVectors(t *testing.T) {
	unit := func(deg float64) []float32 {
		r := deg * math.Pi / 180
		return []float32{float32(math.Cos(r)), float32(math.Sin(r))}
	}
	// Matched pairs 10° apart, mismatched 90°: every fold is told apart.
	index := map[string]int{}
	var vecs [][]float32
	add := func(name string, v []float32) string {
		index[name] = len(vecs)
		vecs = append(vecs, v)
		return name
	}
	var pairs []dataset.Pair
	for f := range 10 {
		base := float64(37 * f)
		a := add("a"+string(rune('0'+f)), unit(base))
		b := add("b"+string(rune('0'+f)), unit(base+10))
		c := add("c"+string(rune('0'+f)), unit(base+90))
		pairs = append(pairs, dataset.Pair{A: a, B: b, Same: true, Fold: f}, dataset.Pair{A: a, B: c, Fold: f})
	}
	r, err := FromVectors(pairs, index, vecs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Accuracy != 1 || r.AUC != 1 || r.Failures != 0 {
		t.Errorf("separable pairs: accuracy %g, AUC %g, failures %d; want 1, 1, 0", r.Accuracy, r.AUC, r.Failures)
	}
	// A face not found fails its pair, with or without a cohort.
	vecs[index["b3"]] = nil
	cohort, err := gallery.NewCohort([][]float32{unit(5), unit(100), unit(200), unit(300)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*gallery.Cohort{nil, cohort} {
		r, err := FromVectors(pairs, index, vecs, c)
		if err != nil {
			t.Fatal(err)
		}
		if r.Failures != 1 || r.Accuracy >= 1 {
			t.Errorf("cohort %v: failures %d, accuracy %g; want 1 failure counted wrong", c != nil, r.Failures, r.Accuracy)
		}
	}
	// RawAndNormalised is the two FromVectors calls.
	cohortVecs := [][]float32{unit(5), unit(100), unit(200), unit(300)}
	raw, normed, err := RawAndNormalised(pairs, index, vecs, cohortVecs, 2)
	if err != nil {
		t.Fatal(err)
	}
	wantRaw, _ := FromVectors(pairs, index, vecs, nil)
	wantNormed, _ := FromVectors(pairs, index, vecs, cohort)
	if raw.Accuracy != wantRaw.Accuracy || raw.AUC != wantRaw.AUC || normed.Accuracy != wantNormed.Accuracy || normed.AUC != wantNormed.AUC {
		t.Errorf("RawAndNormalised = %+v, %+v; want FromVectors' %+v, %+v", raw, normed, wantRaw, wantNormed)
	}
	if _, _, err := RawAndNormalised(pairs, index, vecs, nil, 2); err == nil {
		t.Error("RawAndNormalised with no cohort faces: no error")
	}
	if _, err := FromVectors(append(pairs, dataset.Pair{A: "a1", B: "nowhere"}), index, vecs, nil); err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("a pair with an unknown image: error %v, want one naming it", err)
	}
}
