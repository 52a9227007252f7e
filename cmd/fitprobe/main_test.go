package main

import (
	"math"
	"testing"
)

// TestFit: a student that gives the centred, unit-length teacher
// embedding scores 0, one that gives its opposite scores 4, and the
// standard deviation is over faces.
func TestFit(t *testing.T) {
	teacher := [][]float32{{3, 1}, {1, 3}}
	mean := meanOf(teacher) // (2, 2): centred, the two are (1, −1) and (−1, 1), over √2
	if mean[0] != 2 || mean[1] != 2 {
		t.Fatalf("meanOf = %v, want [2 2]", mean)
	}
	r := float32(1 / math.Sqrt2)
	same := [][]float32{{r, -r}, {-r, r}}
	if m, sd := fit(teacher, same, mean); m > 1e-12 || sd > 1e-6 {
		t.Errorf("the teacher's own centred embeddings: loss %g (sd %g), want 0", m, sd)
	}
	opposite := [][]float32{{-r, r}, {r, -r}}
	if m, sd := fit(teacher, opposite, mean); math.Abs(m-4) > 1e-6 || sd > 1e-6 {
		t.Errorf("the opposite embeddings: loss %g (sd %g), want 4", m, sd)
	}
	mixed := [][]float32{{r, -r}, {r, -r}} // right, then opposite
	if m, sd := fit(teacher, mixed, mean); math.Abs(m-2) > 1e-6 || math.Abs(sd-2) > 1e-6 {
		t.Errorf("one right, one opposite: loss %g (sd %g), want 2 (sd 2)", m, sd)
	}
}
