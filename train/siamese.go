package train

import (
	"fmt"
	"math/rand/v2"

	"github.com/oneshotface/oneshot/loss"
	"github.com/oneshotface/oneshot/nn"
)

// The Siamese objective: a binary head on the pair, ŷ = σ(Σₖ wₖ |f(x1)ₖ −
// f(x2)ₖ| + b) (loss.SiameseHead), trained with binary cross-entropy on
// pairs of a batch's faces jointly with the network, whose embeddings
// receive the head's gradient. Config.SiameseWeight turns it on; the head
// is Trainer.Siamese.

// siamesePair is two rows of a batch and whether they show one person.
type siamesePair struct {
	a, b int
	same bool
}

// balancedPairs draws the pairs of a batch whose rows have these labels,
// among the rows use accepts: every same-person pair and as many
// different-people pairs drawn at random, or the other way round when the
// different pairs are fewer, so that the head sees both answers equally
// often. A batch without both kinds gives no pairs.
func balancedPairs(rng *rand.Rand, labels []int, use func(int) bool) []siamesePair {
	var same, diff []siamesePair
	for i := range labels {
		if !use(i) {
			continue
		}
		for j := i + 1; j < len(labels); j++ {
			if !use(j) {
				continue
			}
			p := siamesePair{a: i, b: j, same: labels[i] == labels[j]}
			if p.same {
				same = append(same, p)
			} else {
				diff = append(diff, p)
			}
		}
	}
	k := min(len(same), len(diff))
	if k == 0 {
		return nil
	}
	return append(drawPairs(rng, same, k), drawPairs(rng, diff, k)...)
}

// drawPairs returns k of ps chosen at random (all of them, in order, when k is
// len(ps)), reordering ps.
func drawPairs(rng *rand.Rand, ps []siamesePair, k int) []siamesePair {
	if k == len(ps) {
		return ps
	}
	for i := range k {
		j := i + rng.IntN(len(ps)-i)
		ps[i], ps[j] = ps[j], ps[i]
	}
	return ps[:k]
}

// tripletPairs turns triplets into pairs: anchor–positive the same person,
// anchor–negative not, one of each per triplet.
func tripletPairs(trips []loss.Triplet) []siamesePair {
	out := make([]siamesePair, 0, 2*len(trips))
	for _, t := range trips {
		out = append(out, siamesePair{a: t.A, b: t.P, same: true}, siamesePair{a: t.A, b: t.N, same: false})
	}
	return out
}

// countBalancedPairs is the number of pairs balancedPairs draws from rows
// with these labels: twice the smaller of the same-person and the
// different-people pair counts.
func countBalancedPairs(labels []int) int {
	by := map[int]int{}
	for _, l := range labels {
		by[l]++
	}
	var same int
	for _, c := range by {
		same += c * (c - 1) / 2
	}
	n := len(labels)
	return 2 * min(same, n*(n-1)/2-same)
}

// batchPairs draws the Siamese loss's pairs of a batch (positions in
// idx): from its triplets when they are given, otherwise balanced from
// its labels, leaving out composite faces (see mineUnmixed).
func (t *Trainer) batchPairs(rng *rand.Rand, idx []int, pics []View, trips []loss.Triplet) []siamesePair {
	if trips != nil {
		return tripletPairs(trips)
	}
	labels := make([]int, len(idx))
	for i, j := range idx {
		labels[i] = t.labels[j]
	}
	return balancedPairs(rng, labels, func(k int) bool { return pics == nil || !pics[k].Composite() })
}

// siameseLoss computes the Siamese head's loss on the pairs of the batch's
// embeddings, adds Config.SiameseWeight times its gradient into grad (n
// rows of dim values) and sets the head's parameter gradients (see
// headParams). It returns the loss and the fraction of pairs the head gets
// wrong (ŷ on the wrong side of ½). Without a head it first fits one to
// the pairs (loss.FitSiameseHead). No pairs give a zero loss and zero
// head gradients.
func (t *Trainer) siameseLoss(emb [][]float32, pairs []siamesePair, grad []float32) (l, wrong float64, err error) {
	if len(pairs) == 0 {
		for _, p := range t.headParams() {
			clear(p.Grad.Float32s())
		}
		return 0, 0, nil
	}
	x1, x2 := make([][]float32, len(pairs)), make([][]float32, len(pairs))
	same := make([]bool, len(pairs))
	for i, p := range pairs {
		x1[i], x2[i], same[i] = emb[p.a], emb[p.b], p.same
	}
	if t.Siamese == nil {
		if t.Siamese, err = loss.FitSiameseHead(x1, x2, same); err != nil {
			return 0, 0, fmt.Errorf("train: starting the Siamese head: %w", err)
		}
	}
	bce, g, err := t.Siamese.Loss(x1, x2, same)
	if err != nil {
		return 0, 0, fmt.Errorf("train: %w", err)
	}
	w := t.Config.SiameseWeight
	dim := len(emb[0])
	for i, p := range pairs {
		for k := range dim {
			grad[p.a*dim+k] += w * g.X1[i][k]
			grad[p.b*dim+k] += w * g.X2[i][k]
		}
		if z, _ := t.Siamese.Logit(x1[i], x2[i]); (z > 0) != p.same {
			wrong++
		}
	}
	hp := t.headParams()
	gw := hp[0].Grad.Float32s()
	for k, v := range g.W {
		gw[k] = w * v
	}
	hp[1].Grad.Float32s()[0] = w * g.B
	return float64(bce), wrong / float64(len(pairs)), nil
}

// headParams returns the Siamese head's weights and bias as parameters
// for the optimizer (named "siamese.w" and "siamese.b"), loaded with the
// head's values, or nil without a head; syncHead stores an optimizer
// step's result back into the head. The tensors persist across steps (the
// optimizer keeps its moments by parameter name).
func (t *Trainer) headParams() []*nn.Param {
	h := t.Siamese
	if h == nil || t.Config.SiameseWeight == 0 || len(h.W) == 0 {
		return nil
	}
	if t.head == nil || t.head[0].Value.Shape()[0] != len(h.W) {
		w, _ := nn.FromSlice(make([]float32, len(h.W)), len(h.W))
		gw, _ := nn.FromSlice(make([]float32, len(h.W)), len(h.W))
		b, _ := nn.FromSlice([]float32{0}, 1)
		gb, _ := nn.FromSlice([]float32{0}, 1)
		t.head = []*nn.Param{{Name: "siamese.w", Value: w, Grad: gw}, {Name: "siamese.b", Value: b, Grad: gb}}
	}
	copy(t.head[0].Value.Float32s(), h.W)
	t.head[1].Value.Float32s()[0] = h.B
	return t.head
}

// syncHead stores the values of the head's parameters (headParams), as
// the optimizer left them, back into the head.
func (t *Trainer) syncHead() {
	if t.Siamese != nil && t.head != nil && len(t.Siamese.W) == t.head[0].Value.Shape()[0] {
		copy(t.Siamese.W, t.head[0].Value.Float32s())
		t.Siamese.B = t.head[1].Value.Float32s()[0]
	}
}
