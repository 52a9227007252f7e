package main

import (
	"math"
	"testing"

	"github.com/oneshotface/oneshot/whiten"
)

func TestParseShrinks(t *testing.T) {
	got, err := parseShrinks("0, 0.1,1")
	if err != nil || len(got) != 3 || got[0] != 0 || got[1] != 0.1 || got[2] != 1 {
		t.Errorf("parseShrinks(\"0, 0.1,1\") = %v, %v", got, err)
	}
	for _, bad := range []string{"", "x", "-0.1", "1.5", "0.1,,0.2", "NaN"} {
		if _, err := parseShrinks(bad); err == nil {
			t.Errorf("parseShrinks(%q): no error", bad)
		}
	}
}

// TestEmbed checks that without a map embed is the mirrored embedding (the
// unit mean of the two crops' unit vectors), and that a map is applied to
// each crop before its normalisation.
func TestEmbed(t *testing.T) {
	crops := [][]float32{{3, 4}, {0, 2}}
	got, err := embed(nil, crops)
	if err != nil {
		t.Fatal(err)
	}
	// unit vectors (0.6, 0.8) and (0, 1): mean direction (0.6, 1.8).
	n := math.Hypot(0.6, 1.8)
	if math.Abs(float64(got[0])-0.6/n) > 1e-6 || math.Abs(float64(got[1])-1.8/n) > 1e-6 {
		t.Errorf("embed without a map = %v, want (%.4f, %.4f)", got, 0.6/n, 1.8/n)
	}
	// The map (x, y) ↦ (x − 3, y) sends the crops to (0, 4) and (−3, 2).
	tr := &whiten.Transform{Mean: []float64{3, 0}, P: [][]float64{{1, 0}, {0, 1}}, Var: []float64{1, 1}}
	got, err = embed(tr, crops)
	if err != nil {
		t.Fatal(err)
	}
	a := 3 / math.Hypot(3, 2)
	wx, wy := -a, 1+2/math.Hypot(3, 2)
	n = math.Hypot(wx, wy)
	if math.Abs(float64(got[0])-wx/n) > 1e-6 || math.Abs(float64(got[1])-wy/n) > 1e-6 {
		t.Errorf("embed with a map = %v, want (%.4f, %.4f)", got, wx/n, wy/n)
	}
	if _, err := embed(tr, [][]float32{{1, 2, 3}}); err == nil {
		t.Error("an output of the wrong length: no error")
	}
}
