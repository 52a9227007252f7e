package nn

import (
	"math/rand/v2"
	"testing"
)

// TestRowKernelsMatchScalar: each row kernel (in vectors where the simd
// experiment is on) computes exactly the values of its one-channel-at-a-
// time Tail version, for rows shorter than a vector, of whole vectors and
// with a tail.
func TestRowKernelsMatchScalar(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	vec := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.Float64()*4 - 2)
		}
		if n > 3 {
			v[3] = 0 // PReLU's kink
		}
		return v
	}
	for _, n := range []int{1, 5, 16, 37, 64} {
		x, p, q, r, s, u := vec(n), vec(n), vec(n), vec(n), vec(n), vec(n)
		got, want := make([]float32, n), make([]float32, n)
		got2, want2 := make([]float32, n), make([]float32, n)
		check := func(name string, a, b []float32) {
			t.Helper()
			if !identicalF32(a, b) {
				t.Errorf("%s on %d channels differs from its scalar version", name, n)
			}
		}
		affineRow(got, x, p, q)
		affineRowTail(0, want, x, p, q)
		check("affineRow", got, want)
		normaliseRow(got, got2, x, p, q, r, s)
		normaliseRowTail(0, want, want2, x, p, q, r, s)
		check("normaliseRow y", got, want)
		check("normaliseRow x̂", got2, want2)
		bnGradRow(got, x, p, q, r, s)
		bnGradRowTail(0, want, x, p, q, r, s)
		check("bnGradRow", got, want)
		preluRow(got, x, u)
		preluRowTail(0, want, x, u)
		check("preluRow", got, want)
		copy(got2, r)
		copy(want2, r)
		preluGradRow(got, got2, x, p, u)
		preluGradRowTail(0, want, want2, x, p, u)
		check("preluGradRow dx", got, want)
		check("preluGradRow dα", got2, want2)
	}
}
