package loss

import (
	"math/rand/v2"
	"testing"
)

func TestSquaredDistance(t *testing.T) {
	tests := []struct {
		name    string
		a, b    []float32
		want    float32
		wantErr bool
	}{
		{name: "equal", a: []float32{1, 2, 3}, b: []float32{1, 2, 3}, want: 0},
		{name: "3-4-5", a: []float32{0, 0}, b: []float32{3, 4}, want: 25},
		{name: "symmetric", a: []float32{3, 4}, b: []float32{0, 0}, want: 25},
		{name: "negative components", a: []float32{-1, 1}, b: []float32{1, -1}, want: 8},
		{name: "empty", a: nil, b: []float32{}, want: 0},
		{name: "length mismatch", a: []float32{1, 2}, b: []float32{1}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SquaredDistance(tt.a, tt.b)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("SquaredDistance = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPairwiseDistances(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	emb := randomBatch(r, 7, 5)
	d, err := PairwiseDistances(emb)
	if err != nil {
		t.Fatal(err)
	}
	for i := range emb {
		if d[i][i] != 0 {
			t.Errorf("D[%d][%d] = %v, want 0", i, i, d[i][i])
		}
		for j := range emb {
			want, _ := SquaredDistance(emb[i], emb[j])
			if d[i][j] != want || d[j][i] != d[i][j] {
				t.Errorf("D[%d][%d] = %v, D[%d][%d] = %v, want %v", i, j, d[i][j], j, i, d[j][i], want)
			}
		}
	}
	if _, err := PairwiseDistances([][]float32{{1, 2}, {3}}); err == nil {
		t.Error("ragged batch: no error")
	}
	if d, err := PairwiseDistances(nil); err != nil || len(d) != 0 {
		t.Errorf("empty batch: %v, %v", d, err)
	}
}

// randomBatch returns n embeddings of dim components uniform in [−1, 1).
func randomBatch(r *rand.Rand, n, dim int) [][]float32 {
	emb := make([][]float32, n)
	for i := range emb {
		emb[i] = make([]float32, dim)
		for k := range emb[i] {
			emb[i][k] = 2*r.Float32() - 1
		}
	}
	return emb
}
