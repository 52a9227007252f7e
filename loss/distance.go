package loss

import (
	"fmt"
	"math"
)

// SquaredDistance returns the squared Euclidean distance
// d(a, b) = ‖a − b‖² = Σₖ (aₖ − bₖ)², the similarity of the one-shot notes:
// small for two images of one person, large for two people. The sum is
// accumulated in float64. It returns an error if a and b have different
// lengths.
func SquaredDistance(a, b []float32) (float32, error) {
	if len(a) != len(b) {
		return 0, fmt.Errorf("loss: embeddings have %d and %d values: both must have the same length", len(a), len(b))
	}
	return sqDist(a, b), nil
}

// sqDist is SquaredDistance for callers that have checked the lengths.
func sqDist(a, b []float32) float32 {
	b = b[:len(a)]
	var s float64
	for k, x := range a {
		d := float64(x) - float64(b[k])
		s += d * d
	}
	return float32(s)
}

// PairwiseDistances returns the symmetric n×n matrix D of a batch of n
// embeddings, with D[i][j] = SquaredDistance(emb[i], emb[j]) and a zero
// diagonal. It returns an error if the embeddings differ in length.
func PairwiseDistances(emb [][]float32) ([][]float32, error) {
	if _, err := checkBatch(emb); err != nil {
		return nil, err
	}
	return pairwise(emb), nil
}

// pairwise is PairwiseDistances for a checked batch. Each distance is
// computed once and mirrored, so D[i][j] == D[j][i] exactly.
func pairwise(emb [][]float32) [][]float32 {
	n := len(emb)
	flat := make([]float32, n*n)
	d := make([][]float32, n)
	for i := range d {
		d[i] = flat[i*n : (i+1)*n : (i+1)*n]
	}
	for i := range n {
		for j := i + 1; j < n; j++ {
			v := sqDist(emb[i], emb[j])
			d[i][j], d[j][i] = v, v
		}
	}
	return d
}

// checkBatch checks that every embedding of a batch has the same length and
// returns that length (0 for an empty batch).
func checkBatch(emb [][]float32) (int, error) {
	if len(emb) == 0 {
		return 0, nil
	}
	dim := len(emb[0])
	for i, e := range emb {
		if len(e) != dim {
			return 0, fmt.Errorf("loss: embedding %d has %d values but embedding 0 has %d: all embeddings of a batch must have the same length", i, len(e), dim)
		}
	}
	return dim, nil
}

// checkMargin rejects margins that would make the hinge meaningless.
func checkMargin(margin float32) error {
	m := float64(margin)
	if math.IsNaN(m) || math.IsInf(m, 0) || m < 0 {
		return fmt.Errorf("loss: margin is %v: it must be finite and ≥ 0 (a typical value for unit embeddings is 0.2)", margin)
	}
	return nil
}
