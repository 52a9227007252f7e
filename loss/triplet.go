package loss

import "fmt"

// Triplet names an anchor A, a positive P (same person as A) and a negative
// N (a different person) by their indices into a batch of embeddings.
type Triplet struct {
	A, P, N int
}

// Reduction says how TripletLossReduced combines the losses of several
// triplets into one number.
type Reduction int

const (
	// Sum adds the triplet losses: J = Σᵢ L(Aᵢ, Pᵢ, Nᵢ), as in the notes.
	// The size of J, and of its gradient, grows with the number of triplets.
	Sum Reduction = iota
	// Mean divides the sum by the number of triplets, so that the learning
	// rate does not depend on the batch size.
	Mean
	// MeanActive divides the sum by the number of active triplets (those
	// with a positive loss), the usual choice with BatchAll mining, where
	// most triplets are inactive and a plain mean would shrink towards zero
	// as training succeeds. With no active triplet the loss is zero.
	MeanActive
)

// String returns the name of the reduction.
func (r Reduction) String() string {
	switch r {
	case Sum:
		return "sum"
	case Mean:
		return "mean"
	case MeanActive:
		return "mean-active"
	}
	return fmt.Sprintf("Reduction(%d)", int(r))
}

// hinge returns the argument of the triplet loss's max: d(A,P) − d(A,N) +
// margin. A triplet is active when it is > 0. The miners use the same
// function, so "active" means the same thing everywhere in the package.
func hinge(dAP, dAN, margin float32) float32 {
	return dAP - dAN + margin
}

// TripletLoss returns the summed triplet loss of the notes,
//
//	J = Σᵢ max(d(Aᵢ, Pᵢ) − d(Aᵢ, Nᵢ) + margin, 0),
//
// over triplets of indices into the batch emb, together with its gradient
// and the number of active triplets (those with a positive loss).
//
// grad has one row per embedding of emb, of the same length; row j is
// ∂J/∂emb[j], the sum of the contributions ∂L/∂A = 2(N − P),
// ∂L/∂P = 2(P − A) and ∂L/∂N = 2(A − N) of every active triplet in which
// emb[j] plays that role. Rows of embeddings in no active triplet are zero.
// A triplet that repeats an index (A == P, say) gets the correct gradient
// of its loss too, because the contributions are added.
//
// The loss is a sum, not a mean: use TripletLossReduced for a mean. An
// empty triplet list gives a zero loss and a zero gradient. It returns an
// error if the embeddings differ in length, an index is outside the batch,
// or margin is negative, infinite or NaN.
func TripletLoss(emb [][]float32, triplets []Triplet, margin float32) (loss float32, grad [][]float32, active int, err error) {
	return TripletLossReduced(emb, triplets, margin, Sum)
}

// TripletLossReduced is TripletLoss with the losses combined by red: their
// Sum, their Mean over all triplets, or their mean over the active
// triplets (MeanActive). The gradient is scaled the same way as the loss.
func TripletLossReduced(emb [][]float32, triplets []Triplet, margin float32, red Reduction) (loss float32, grad [][]float32, active int, err error) {
	dim, err := checkBatch(emb)
	if err != nil {
		return 0, nil, 0, err
	}
	if err := checkMargin(margin); err != nil {
		return 0, nil, 0, err
	}
	if red != Sum && red != Mean && red != MeanActive {
		return 0, nil, 0, fmt.Errorf("loss: unknown reduction %v: use Sum, Mean or MeanActive", red)
	}
	for i, t := range triplets {
		if err := t.check(len(emb)); err != nil {
			return 0, nil, 0, fmt.Errorf("loss: triplet %d: %w", i, err)
		}
	}

	grad = make([][]float32, len(emb))
	flat := make([]float32, len(emb)*dim)
	for j := range grad {
		grad[j] = flat[j*dim : (j+1)*dim : (j+1)*dim]
	}
	// With many triplets per embedding (batch-all mining gives O(n³)), the
	// n² pairwise distances are cheaper than two distances per triplet.
	// Both ways give bit-identical distances.
	dist := func(i, j int) float32 { return sqDist(emb[i], emb[j]) }
	if len(triplets) > len(emb)*len(emb)/4 {
		d := pairwise(emb)
		dist = func(i, j int) float32 { return d[i][j] }
	}
	var sum float64
	for _, t := range triplets {
		a, p, n := emb[t.A], emb[t.P], emb[t.N]
		z := hinge(dist(t.A, t.P), dist(t.A, t.N), margin)
		if z <= 0 { // a NaN z counts as active, so NaN embeddings show in the loss
			continue
		}
		active++
		sum += float64(z)
		accumulate(grad[t.A], grad[t.P], grad[t.N], a, p, n)
	}

	var scale float64 = 1
	switch red {
	case Mean:
		if len(triplets) > 0 {
			scale = 1 / float64(len(triplets))
		}
	case MeanActive:
		if active > 0 {
			scale = 1 / float64(active)
		}
	}
	if scale != 1 {
		s := float32(scale)
		for k := range flat {
			flat[k] *= s
		}
	}
	return float32(sum * scale), grad, active, nil
}

// accumulate adds the gradient of one active triplet into the gradient rows
// gA, gP, gN (which may be the same row when indices repeat).
func accumulate(gA, gP, gN, a, p, n []float32) {
	p, n = p[:len(a)], n[:len(a)]
	gA, gP, gN = gA[:len(a)], gP[:len(a)], gN[:len(a)]
	for k := range a {
		gA[k] += 2 * (n[k] - p[k])
		gP[k] += 2 * (p[k] - a[k])
		gN[k] += 2 * (a[k] - n[k])
	}
}

// check reports whether the triplet's indices fall inside a batch of n.
func (t Triplet) check(n int) error {
	for _, f := range [...]struct {
		role string
		i    int
	}{{"anchor", t.A}, {"positive", t.P}, {"negative", t.N}} {
		if f.i < 0 || f.i >= n {
			return fmt.Errorf("%s index %d is outside the batch of %d embeddings", f.role, f.i, n)
		}
	}
	return nil
}

// SingleTripletLoss returns the loss of one triplet given as three
// embeddings, L = max(d(a, p) − d(a, n) + margin, 0), and its gradient with
// respect to each of them: 2(n − p), 2(p − a) and 2(a − n) when L > 0, zero
// vectors otherwise. The three gradient slices are newly allocated. It
// returns an error if the embeddings differ in length or margin is
// negative, infinite or NaN.
func SingleTripletLoss(a, p, n []float32, margin float32) (loss float32, gradA, gradP, gradN []float32, err error) {
	if len(p) != len(a) || len(n) != len(a) {
		return 0, nil, nil, nil, fmt.Errorf("loss: anchor, positive and negative have %d, %d and %d values: all must have the same length", len(a), len(p), len(n))
	}
	if err := checkMargin(margin); err != nil {
		return 0, nil, nil, nil, err
	}
	gradA = make([]float32, len(a))
	gradP = make([]float32, len(a))
	gradN = make([]float32, len(a))
	z := hinge(sqDist(a, p), sqDist(a, n), margin)
	if z <= 0 {
		return 0, gradA, gradP, gradN, nil
	}
	accumulate(gradA, gradP, gradN, a, p, n)
	return z, gradA, gradP, gradN, nil
}
