package loss

import (
	"math"
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
	s64 := make([][]float64, n)
	for i := range s64 {
		s64[i] = make([]float64, dim)
		for k := range s64[i] {
			s64[i][k] = float64(student[i][k])
		}
	}
	l, g, err := RelationalDistance(student, teacher)
	if err != nil {
		t.Fatal(err)
	}
	if want := ref(s64); math.Abs(float64(l)-want) > 1e-4*(1+want) {
		t.Fatalf("loss %v, want %v", l, want)
	}
	const h = 1e-6
	for i := range s64 {
		for k := range s64[i] {
			old := s64[i][k]
			s64[i][k] = old + h
			up := ref(s64)
			s64[i][k] = old - h
			down := ref(s64)
			s64[i][k] = old
			want := (up - down) / (2 * h)
			if math.Abs(float64(g[i][k])-want) > 1e-3*(1+math.Abs(want)) {
				t.Fatalf("dL/df[%d][%d] = %v, central difference %v", i, k, g[i][k], want)
			}
		}
	}
	// The teacher's own embeddings have zero loss and gradient.
	l, g, _ = RelationalDistance(teacher, teacher)
	if l != 0 || g[0][0] != 0 {
		t.Errorf("student = teacher: loss %v, gradient %v", l, g[0][0])
	}
	if _, _, err := RelationalDistance(student, teacher[:2]); err == nil {
		t.Error("batches of different sizes: no error")
	}
}
