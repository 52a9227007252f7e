package loss

import (
	"math/rand/v2"
	"testing"
)

// benchBatch is a training-sized batch: 16 identities × 4 images of 128-d.
func benchBatch() ([][]float32, []int) {
	r := rand.New(rand.NewPCG(1, 1))
	emb := randomBatch(r, 64, 128)
	labels := make([]int, 64)
	for i := range labels {
		labels[i] = i / 4
	}
	return emb, labels
}

func BenchmarkBatchHard(b *testing.B) {
	emb, labels := benchBatch()
	for b.Loop() {
		if _, err := BatchHard(emb, labels, 0.2); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBatchAll(b *testing.B) {
	emb, labels := benchBatch()
	for b.Loop() {
		if _, err := BatchAll(emb, labels, 0.2); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTripletLossBatchAll(b *testing.B) {
	emb, labels := benchBatch()
	triplets, _ := BatchAll(emb, labels, 0.2)
	for b.Loop() {
		if _, _, _, err := TripletLoss(emb, triplets, 0.2); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKFoldAccuracyLFW(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	dist, same := randomScores(r, 6000, 1<<20)
	for b.Loop() {
		if _, err := KFoldAccuracy(dist, same, 10); err != nil {
			b.Fatal(err)
		}
	}
}
