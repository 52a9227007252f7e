package loss_test

import (
	"fmt"

	"github.com/oneshotface/oneshot/loss"
)

// The margin forbids the trivial solution: an embedder that maps every
// image to the same point still pays the margin on every triplet.
func ExampleTripletLoss() {
	collapsed := [][]float32{{0, 0}, {0, 0}, {0, 0}}
	j, _, active, _ := loss.TripletLoss(collapsed, []loss.Triplet{{A: 0, P: 1, N: 2}}, 0.2)
	fmt.Println("collapsed:", j, active)

	good := [][]float32{{0, 0}, {0.1, 0}, {1, 0}} // d(A,P) = 0.01, d(A,N) = 1
	j, _, active, _ = loss.TripletLoss(good, []loss.Triplet{{A: 0, P: 1, N: 2}}, 0.2)
	fmt.Println("separated:", j, active)
	// Output:
	// collapsed: 0.2 1
	// separated: 0 0
}

// Mine the hardest triplet of every anchor of a labelled batch, then take
// the loss and gradient over them. Two of the four triplets are active; the
// gradient row of each embedding sums its contributions.
func ExampleBatchHard() {
	emb := [][]float32{{0}, {1}, {1.5}, {5}} // 1-d embeddings, for clarity
	labels := []int{0, 0, 1, 1}
	triplets, _ := loss.BatchHard(emb, labels, 0.5)
	fmt.Println(triplets)
	j, grad, active, _ := loss.TripletLoss(emb, triplets, 0.5)
	fmt.Println(j, active, grad)
	// Output:
	// [{2 3 1} {1 0 2} {0 1 2} {3 2 1}]
	// 13.75 2 [[-2] [4] [-9] [7]]
}

// Evaluate a verifier the LFW way: thresholds chosen on k − 1 folds,
// accuracy measured on the remaining one. The pairs are separable (AUC 1),
// yet two folds lose a pair: the threshold learnt without them (0.95 and
// 0.65) does not fit them — which is what the protocol is meant to show.
func ExampleKFoldAccuracy() {
	dist := []float32{0.2, 1.3, 0.4, 0.9, 0.3, 1.1, 0.8, 1.2}
	same := []bool{true, false, true, false, true, false, true, false}
	res, _ := loss.KFoldAccuracy(dist, same, 4)
	fmt.Printf("accuracy %.3f ± %.3f (population std)\n", res.Mean, res.Std)
	fmt.Println("per fold:", res.Accuracies)
	fmt.Printf("threshold %.2f\n", res.Threshold)
	auc, _ := loss.AUC(dist, same)
	eer, _, _ := loss.EER(dist, same)
	fmt.Printf("AUC %.2f, EER %.2f\n", auc, eer)
	// Output:
	// accuracy 0.750 ± 0.250 (population std)
	// per fold: [1 0.5 1 0.5]
	// threshold 0.85
	// AUC 1.00, EER 0.00
}
