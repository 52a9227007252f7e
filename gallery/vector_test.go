package gallery

import (
	"math"
	"testing"
)

// TestMeanUnit checks the template of unit embeddings: the mean
// re-normalised to unit length, and an error, not a panic or a NaN, for
// no embeddings, embeddings of different lengths and ones that cancel out.
func TestMeanUnit(t *testing.T) {
	got, err := MeanUnit([][]float32{{1, 0}, {0, 1}})
	if err != nil {
		t.Fatal(err)
	}
	if r := math.Sqrt(0.5); math.Abs(float64(got[0])-r) > 1e-6 || math.Abs(float64(got[1])-r) > 1e-6 {
		t.Errorf("mean of (1,0) and (0,1) = %v, want (0.707, 0.707)", got)
	}
	for name, embs := range map[string][][]float32{
		"none":              nil,
		"different lengths": {{1, 0}, {1, 0, 0}},
		"opposite":          {{1, 0}, {-1, 0}},
	} {
		if v, err := MeanUnit(embs); err == nil {
			t.Errorf("%s: %v, no error", name, v)
		}
	}
}
