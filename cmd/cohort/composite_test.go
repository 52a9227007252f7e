package main

import (
	"image"
	"math"
	"slices"
	"testing"
)

// TestGroup: groups of the asked size, no face twice, at most limit of
// them, the same for the same seed and another order for another.
func TestGroup(t *testing.T) {
	faces := make([]int, 23)
	for i := range faces {
		faces[i] = 100 + i
	}
	groups := group(faces, 4, 10, 7)
	if len(groups) != 5 { // 23 faces make five whole groups of four
		t.Fatalf("%d groups of 4 from 23 faces, want 5", len(groups))
	}
	seen := map[int]bool{}
	for _, g := range groups {
		if len(g) != 4 {
			t.Fatalf("a group of %d", len(g))
		}
		for _, f := range g {
			if seen[f] || f < 100 || f >= 123 {
				t.Fatalf("face %d twice or not given", f)
			}
			seen[f] = true
		}
	}
	if got := group(faces, 4, 2, 7); len(got) != 2 || !slices.Equal(got[0], groups[0]) {
		t.Errorf("limit 2 gave %v, want the first two of %v", got, groups)
	}
	if other := group(faces, 4, 10, 8); slices.Equal(other[0], groups[0]) && slices.Equal(other[1], groups[1]) {
		t.Error("another seed gave the same groups")
	}
	if faces[0] != 100 || faces[22] != 122 {
		t.Error("group reordered its argument")
	}
}

// TestMeanCrop: each value is the rounded mean of the members' values.
func TestMeanCrop(t *testing.T) {
	crops := make([]*image.RGBA, 3)
	for i := range crops {
		crops[i] = image.NewRGBA(image.Rect(0, 0, 2, 1))
	}
	copy(crops[0].Pix, []uint8{0, 10, 255, 1, 7, 7, 7, 7})
	copy(crops[1].Pix, []uint8{3, 20, 255, 2, 7, 7, 7, 7})
	copy(crops[2].Pix, []uint8{200, 30, 254, 2, 0, 0, 0, 0})
	got := meanCrop(crops, []int{0, 1})
	if want := []uint8{2, 15, 255, 2, 7, 7, 7, 7}; !slices.Equal(got.Pix, want) { // 1.5 and 1.5 round up
		t.Errorf("mean of crops 0 and 1: %v, want %v", got.Pix, want)
	}
	if got := meanCrop(crops, []int{0, 1, 2}); got.Pix[0] != 68 || got.Pix[2] != 255 || got.Pix[4] != 5 {
		t.Errorf("mean of three: %v", got.Pix)
	}
}

// TestMeasureLeak: a composite that is one of its members' pictures gives
// them away (AUC 1, nearest always), and so does its member's other
// picture next to it; one that is as near its members as everyone else
// gives nothing (0.5, never the nearest); one far from its members, less
// than nothing.
func TestMeasureLeak(t *testing.T) {
	unit := func(angle float64) []float32 {
		return []float32{float32(math.Cos(angle)), float32(math.Sin(angle))}
	}
	// Pictures at angles 0 … 7 radians/8; person a has pictures 0 and 1,
	// person b 2 and 7, everyone else one.
	var pics [][]float32
	for p := range 8 {
		pics = append(pics, unit(float64(p)/8))
	}
	owner := []string{"a", "a", "b", "c", "d", "e", "f", "b"}
	own := []composite{{emb: unit(0), members: []int{0}}}
	if l := measureLeak(own, pics, owner); l.AUC != 1 || l.OtherAUC != 1 || l.Nearest != 1 {
		t.Errorf("a composite on its member's picture: %+v, want AUC 1, other AUC 1 and always nearest", l)
	}
	// Every picture at the same cosine from the composite: no telling.
	same := make([][]float32, len(pics))
	for i := range same {
		same[i] = []float32{0, 1}
	}
	nobody := []composite{{emb: []float32{0, 1}, members: []int{0, 3}}}
	if l := measureLeak(nobody, same, owner); l.AUC != 0.5 || l.OtherAUC != 0.5 || l.Nearest != 0 {
		t.Errorf("a composite as near everyone: %+v, want 0.5 and never nearest", l)
	}
	// Near person a's pictures, made of person b's and f's: b's picture 7
	// is the farthest of all, picture 2 nearer than 3 of the 5 others.
	far := []composite{{emb: unit(0), members: []int{7, 6}}}
	l := measureLeak(far, pics, owner)
	if want := 0.0; l.AUC != want || l.Nearest != 0 {
		t.Errorf("a composite far from its members: %+v, want AUC %v and never nearest", l, want)
	}
	if want := 3.0 / 5; l.OtherAUC != want {
		t.Errorf("a composite far from its members: other AUC %v, want %v", l.OtherAUC, want)
	}
}
