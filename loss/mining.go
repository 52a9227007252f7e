package loss

import (
	"cmp"
	"fmt"
	"slices"
)

// Miner chooses triplets from the embeddings of a labelled batch: emb[i] is
// the embedding of an image of identity labels[i]. BatchAll,
// BatchAllActive, BatchHard and SemiHard are Miners, so a training loop can
// take the strategy as a value. A Miner returns its triplets hardest first.
type Miner func(emb [][]float32, labels []int, margin float32) ([]Triplet, error)

// Compile-time checks that the miners share the Miner signature.
var (
	_ Miner = BatchAll
	_ Miner = BatchAllActive
	_ Miner = BatchHard
	_ Miner = SemiHard
)

// BatchAll returns every valid triplet of the batch: each anchor i, each
// positive p ≠ i with labels[p] == labels[i], each negative n with
// labels[n] != labels[i]. A batch of n images has O(n³) of them, most of
// them easy once training is under way. The margin does not change the
// selection (it is checked, so that all miners agree on what a valid margin
// is). Triplets are ordered hardest first, as for every Miner.
//
// It returns an error if len(labels) != len(emb), the embeddings differ in
// length, or margin is negative, infinite or NaN.
func BatchAll(emb [][]float32, labels []int, margin float32) ([]Triplet, error) {
	return batchAll(emb, labels, margin, false)
}

// BatchAllActive is BatchAll keeping only the active triplets, those with
// d(A,P) − d(A,N) + margin > 0, exactly the ones TripletLoss counts as
// active. Their number, compared with BatchAll's, shows how much of the
// batch still teaches something.
func BatchAllActive(emb [][]float32, labels []int, margin float32) ([]Triplet, error) {
	return batchAll(emb, labels, margin, true)
}

func batchAll(emb [][]float32, labels []int, margin float32, activeOnly bool) ([]Triplet, error) {
	d, err := mineSetup(emb, labels, margin)
	if err != nil {
		return nil, err
	}
	var out []scored
	for a := range emb {
		for p := range emb {
			if p == a || labels[p] != labels[a] {
				continue
			}
			for n := range emb {
				if labels[n] == labels[a] {
					continue
				}
				if activeOnly && !(hinge(d[a][p], d[a][n], margin) > 0) {
					continue
				}
				out = append(out, scored{Triplet{a, p, n}, d[a][p] - d[a][n]})
			}
		}
	}
	return hardestFirst(out), nil
}

// BatchHard returns one triplet per anchor (the "batch hard" strategy of
// Hermans, Beyer and Leibe, 2017): the anchor's hardest positive, the image
// of the same identity farthest from it, and its hardest negative, the image
// of another identity nearest to it. Equal distances are resolved towards
// the lower index. Anchors with no positive or no negative in the batch are
// skipped. The margin does not change the selection; triplets that are
// already satisfied are kept (they contribute zero loss). Triplets are
// ordered hardest first.
//
// It returns an error if len(labels) != len(emb), the embeddings differ in
// length, or margin is negative, infinite or NaN.
func BatchHard(emb [][]float32, labels []int, margin float32) ([]Triplet, error) {
	d, err := mineSetup(emb, labels, margin)
	if err != nil {
		return nil, err
	}
	var out []scored
	for a := range emb {
		p, n := -1, -1
		for j := range emb {
			switch {
			case j == a:
			case labels[j] == labels[a]:
				if p < 0 || d[a][j] > d[a][p] {
					p = j
				}
			default:
				if n < 0 || d[a][j] < d[a][n] {
					n = j
				}
			}
		}
		if p < 0 || n < 0 {
			continue
		}
		out = append(out, scored{Triplet{a, p, n}, d[a][p] - d[a][n]})
	}
	return hardestFirst(out), nil
}

// SemiHard returns one triplet per anchor–positive pair, with a negative
// chosen as in FaceNet (Schroff, Kalenichenko and Philbin, 2015): a
// semi-hard negative lies farther from the anchor than the positive, but not
// by the full margin,
//
//	d(A,P) < d(A,N) < d(A,P) + margin,
//
// so its loss is positive but smaller than the margin. Such triplets teach
// without the collapse that the very hardest negatives (often mislabelled or
// extreme images) can cause early in training. Of the semi-hard negatives the
// nearest to the anchor is chosen.
//
// When no negative lies in that band — all are harder than the positive, all
// are already beyond the margin, or the margin is zero — SemiHard falls back
// to the hardest negative, the one nearest to the anchor, as BatchHard does.
// Such a fallback triplet may have zero loss (every negative easy) and is
// kept. Equal distances are resolved towards the lower index. Anchors with
// no positive or no negative are skipped. Triplets are ordered hardest
// first.
//
// It returns an error if len(labels) != len(emb), the embeddings differ in
// length, or margin is negative, infinite or NaN.
func SemiHard(emb [][]float32, labels []int, margin float32) ([]Triplet, error) {
	d, err := mineSetup(emb, labels, margin)
	if err != nil {
		return nil, err
	}
	var out []scored
	for a := range emb {
		for p := range emb {
			if p == a || labels[p] != labels[a] {
				continue
			}
			dAP := d[a][p]
			semi, hard := -1, -1
			for n := range emb {
				if labels[n] == labels[a] {
					continue
				}
				dAN := d[a][n]
				if hard < 0 || dAN < d[a][hard] {
					hard = n
				}
				if dAP < dAN && dAN < dAP+margin && (semi < 0 || dAN < d[a][semi]) {
					semi = n
				}
			}
			n := semi
			if n < 0 {
				n = hard
			}
			if n < 0 {
				continue
			}
			out = append(out, scored{Triplet{a, p, n}, dAP - d[a][n]})
		}
	}
	return hardestFirst(out), nil
}

// scored is a triplet with its hardness d(A,P) − d(A,N).
type scored struct {
	t   Triplet
	gap float32
}

// hardestFirst sorts triplets by d(A,P) − d(A,N) descending, the hardest
// first, breaking ties by anchor, positive and negative index ascending so
// that the order never depends on the sort algorithm.
func hardestFirst(s []scored) []Triplet {
	slices.SortFunc(s, func(x, y scored) int {
		if c := cmp.Compare(y.gap, x.gap); c != 0 {
			return c
		}
		if c := cmp.Compare(x.t.A, y.t.A); c != 0 {
			return c
		}
		if c := cmp.Compare(x.t.P, y.t.P); c != 0 {
			return c
		}
		return cmp.Compare(x.t.N, y.t.N)
	})
	out := make([]Triplet, len(s))
	for i, x := range s {
		out[i] = x.t
	}
	return out
}

// mineSetup checks a miner's arguments and returns the batch's pairwise
// distances.
func mineSetup(emb [][]float32, labels []int, margin float32) ([][]float32, error) {
	if len(labels) != len(emb) {
		return nil, fmt.Errorf("loss: %d labels for %d embeddings: give one label per embedding", len(labels), len(emb))
	}
	if _, err := checkBatch(emb); err != nil {
		return nil, err
	}
	if err := checkMargin(margin); err != nil {
		return nil, err
	}
	return pairwise(emb), nil
}
