// Package loss holds what Oneshot trains and judges an embedder with: the
// triplet loss and its gradient, online triplet mining, the Siamese binary
// head, and the verification metrics (ROC, AUC, EER, TAR@FAR, threshold
// choice and the LFW k-fold accuracy).
//
// Everything here works on plain Go slices: an embedding is a []float32, a
// batch of embeddings is a [][]float32 with one row per image. The package
// knows nothing of tensors, layers or faces, so the training loop (which owns
// the embedder) copies its output rows in and copies the returned gradient
// rows back into the network's backward pass.
//
// # Distance
//
// One-shot verification compares two faces through a learned similarity
//
//	d(x1, x2) = ‖f(x1) − f(x2)‖² = Σₖ (f(x1)ₖ − f(x2)ₖ)²
//
// where f is the embedder shared by both images (a Siamese network). The
// pair is declared "same person" when d ≤ τ and "different" when d > τ.
// SquaredDistance computes d; PairwiseDistances computes it for every pair of
// a batch. Throughout the package a score is a distance: smaller means more
// alike. Sums are accumulated in float64 and rounded to float32 once.
//
// # Triplet loss
//
// A triplet is an anchor A, a positive P (same person as A) and a negative N
// (someone else). We want d(A, P) + margin ≤ d(A, N), so the loss of a
// triplet is the hinge
//
//	L(A, P, N) = max(d(A, P) − d(A, N) + margin, 0)
//
// and the cost of m triplets is their sum J = Σᵢ L(Aᵢ, Pᵢ, Nᵢ) — the sum, as
// in the notes the project started from; TripletLossReduced offers the mean
// over all triplets or over the active ones. Without the margin, f ≡ 0 (or
// every image mapped to one point) would give d(A,P) = d(A,N) = 0 and zero
// loss: a perfect score for a useless embedder. With it, that trivial
// solution costs exactly the margin per triplet. (It is also a stationary
// point — with A = P = N every gradient below vanishes — so gradient descent
// that reaches it stays there: embedders start from random weights, and
// L2-normalising their output rules out f ≡ 0 altogether.)
//
// Where a triplet is active (its hinge argument is positive), the gradient
// of L with respect to the three embeddings is
//
//	∂L/∂A = 2(N − P)    ∂L/∂P = 2(P − A)    ∂L/∂N = 2(A − N)
//
// and zero otherwise. TripletLoss adds these into one gradient row per batch
// embedding, so an image used in many triplets receives the sum of its
// contributions; the tests check it against finite differences.
//
// # Mining
//
// Random triplets are mostly easy — d(A,P) + margin ≤ d(A,N) already — and
// teach nothing. The miners choose triplets from the embeddings of a
// labelled batch as training goes ("online"):
//
//   - BatchAll: every valid triplet; BatchAllActive: only those with a
//     positive loss.
//   - BatchHard: for each anchor its farthest positive and nearest negative.
//   - SemiHard (FaceNet): for each anchor–positive pair the nearest negative
//     that is farther than the positive but within the margin,
//     d(A,P) < d(A,N) < d(A,P) + margin, falling back to the nearest negative
//     when no negative lies in that band.
//
// Every miner returns its triplets hardest first: sorted by d(A,P) − d(A,N)
// descending, so the "hard" triplets of the notes, with d(A,P) ≈ d(A,N) or
// worse, lead. Anchors without a positive or a negative in the batch are
// skipped.
//
// # Siamese head
//
// The alternative verifier of the notes learns the decision itself: a
// logistic unit on the element-wise absolute difference of the embeddings,
//
//	ŷ = σ(Σₖ wₖ |f(x1)ₖ − f(x2)ₖ| + b),
//
// trained with binary cross-entropy on labelled pairs. SiameseHead computes
// it, its loss, and the gradient with respect to W, B and both embeddings.
// FitSiameseHead starts a head as the distance verifier the embeddings
// already make (equal weights on the L1 distance), so that training it
// jointly with the embedder moves the embeddings from the first step.
// To feed its output to the metrics below, use 1 − ŷ (or minus the logit) as
// the distance.
//
// # Verification metrics
//
// The metrics take one distance and one label per pair (same = true when the
// two images show the same person) and always accept a pair when d ≤ τ.
// The true accept rate TAR is the fraction of same pairs accepted, the false
// accept rate FAR the fraction of different pairs accepted.
//
//   - ROC lists (threshold, FAR, TAR) at every distinct distance, thresholds
//     ascending; AUC is the trapezoid area under it, which equals the
//     probability that a random same pair is closer than a random different
//     pair, ties counting one half (the Mann–Whitney statistic).
//   - EER is the rate where FAR equals the false reject rate 1 − TAR.
//   - TARAtFAR answers "what fraction of genuine users get in if at most
//     this fraction of impostors do".
//   - Accuracy measures a given threshold; BestThreshold chooses the one that
//     maximises accuracy, midway between two consecutive distinct distances.
//   - KFoldAccuracy follows the LFW protocol: split the pairs into k folds in
//     file order, choose the threshold on k − 1 folds, measure it on the
//     remaining one, and report the mean and spread over folds.
//
// Ties are handled deterministically: equal distances fall on the same side
// of every threshold, and where several thresholds are equally good the
// smallest is chosen.
//
// # Errors
//
// Functions that take caller data check it and return an error — never
// panic — when lengths disagree (embeddings of different sizes, labels and
// embeddings of different counts, a triplet index outside the batch), when a
// margin is negative or not finite, or when a metric's input cannot define
// it (no pairs, a NaN distance, no same or no different pairs for a ROC).
//
// The package has no state, does no I/O and uses no cgo, so it runs the
// same natively and under GOOS=js GOARCH=wasm.
package loss
