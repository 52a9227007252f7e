package eval

import (
	"image"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/loss"
	"github.com/oneshotface/oneshot/train"
)

// Validate measures the embedder, during training, on pairs whose images are among samples
// (the pairs of the training people, pairsDevTrain.txt: model selection
// never looks at the test people), with eval's figures and failure rule:
// a pair with an image that has no sample (no face was found) counts as an
// error whatever the threshold.
func Validate(e *embedder.Embedder, samples []train.Sample, pairs []dataset.Pair) (Report, error) {
	byPath := make(map[string]int, len(samples))
	for i, s := range samples {
		byPath[s.Path] = i
	}
	var paths []string
	seen := map[string]bool{}
	for _, p := range pairs {
		for _, path := range []string{p.A, p.B} {
			if _, ok := byPath[path]; ok && !seen[path] {
				seen[path] = true
				paths = append(paths, path)
			}
		}
	}
	// Embed in batches: one forward pass per 64 crops.
	const batch = 64
	crops := make([]*image.RGBA, batch)
	for i := range crops {
		crops[i] = e.Template.NewCrop()
	}
	emb := make(map[string][]float32, len(paths))
	for lo := 0; lo < len(paths); lo += batch {
		hi := min(lo+batch, len(paths))
		for i, path := range paths[lo:hi] {
			s := samples[byPath[path]]
			if err := face.Align(crops[i], s.Img, s.Eyes, e.Template); err != nil {
				return Report{}, err
			}
		}
		v, err := e.EmbedCrops(crops[:hi-lo])
		if err != nil {
			return Report{}, err
		}
		for i, path := range paths[lo:hi] {
			emb[path] = v[i]
		}
	}
	dist := make([]float32, len(pairs))
	same := make([]bool, len(pairs))
	failed := make([]bool, len(pairs))
	fold := make([]int, len(pairs))
	for i, p := range pairs {
		same[i], fold[i] = p.Same, p.Fold
		a, okA := emb[p.A]
		b, okB := emb[p.B]
		if !okA || !okB {
			failed[i] = true
			continue
		}
		d, err := loss.SquaredDistance(a, b)
		if err != nil {
			return Report{}, err
		}
		dist[i] = d
	}
	return FromDistances(dist, same, failed, fold)
}
