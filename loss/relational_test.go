package loss

import (
	"math/rand/v2"
	"testing"
)

// TestRelationalDistanceGradient checks dL/df against central differences
// (float64 reference, as the triplet loss's check) and the loss's zeros.
func TestRelationalDistanceGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const n, dim = 5, 6
	student, teacher := make([][]float32, n), make([][]float32, n)
	for i := range student {
		student[i], teacher[i] = make([]float32, dim), make([]float32, dim)
		for k := range student[i] {
			student[i][k] = float32(rng.NormFloat64())
			teacher[i][k] = float32(rng.NormFloat64())
		}
	}
	ref := func(s [][]float64) float64 {
		var sum float64
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				var ds, dt float64
				for k := 0; k < dim; k++ {
					ds += (s[i][k] - s[j][k]) * (s[i][k] - s[j][k])
					d := float64(teacher[i][k] - teacher[j][k])
					dt += d * d
				}
				sum += (ds - dt) * (ds - dt)
			}
		}
		return sum / float64(n*(n-1)/2)
	}
	l, g, err := RelationalDistance(student, teacher)
	if err != nil {
		t.Fatal(err)
	}
	checkRowsGradient(t, student, l, g, ref)
	// The teacher's own embeddings have zero loss and gradient.
	l, g, _ = RelationalDistance(teacher, teacher)
	if l != 0 || g[0][0] != 0 {
		t.Errorf("student = teacher: loss %v, gradient %v", l, g[0][0])
	}
	if _, _, err := RelationalDistance(student, teacher[:2]); err == nil {
		t.Error("batches of different sizes: no error")
	}
}
