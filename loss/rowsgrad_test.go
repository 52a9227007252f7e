package loss

import (
	"math"
	"testing"
)

// checkRowsGradient checks a loss over rows of embeddings x against ref,
// its float64 reference: the value loss, and the gradient g against ref's
// central differences (h = 1e-6: the references here are smooth, and in
// float64 the truncation error stays far under the tolerance).
func checkRowsGradient(t *testing.T, x [][]float32, loss float32, g [][]float32, ref func([][]float64) float64) {
	t.Helper()
	x64 := make([][]float64, len(x))
	for i := range x {
		x64[i] = make([]float64, len(x[i]))
		for k, v := range x[i] {
			x64[i][k] = float64(v)
		}
	}
	if want := ref(x64); math.Abs(float64(loss)-want) > 1e-4*(1+want) {
		t.Fatalf("loss %v, want %v", loss, want)
	}
	const h = 1e-6
	for i := range x64 {
		for k := range x64[i] {
			old := x64[i][k]
			x64[i][k] = old + h
			up := ref(x64)
			x64[i][k] = old - h
			down := ref(x64)
			x64[i][k] = old
			want := (up - down) / (2 * h)
			if math.Abs(float64(g[i][k])-want) > 1e-3*(1+math.Abs(want)) {
				t.Errorf("dL/dx[%d][%d] = %v, central difference %v", i, k, g[i][k], want)
			}
		}
	}
}
