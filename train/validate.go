package train

import (
	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/loss"
	"github.com/oneshotface/oneshot/nn"
)

// Validation is a model's verification result on a pairs list.
type Validation struct {
	Accuracy, Std float64 // k-fold, thresholds chosen on the other folds
	Threshold     float32 // chosen on all pairs
	Missing       int     // pairs with an image without a face (counted wrong)
}

// Validate measures m on pairs whose images are among samples (the pairs
// of the training people, pairsDevTrain.txt: model selection never looks
// at the test people). Pairs with an image that has no sample count as
// errors.
func Validate(m *nn.Model, tmpl face.Template, norm face.Normalization, samples []Sample, pairs []dataset.Pair) (Validation, error) {
	byPath := make(map[string]int, len(samples))
	for i, s := range samples {
		byPath[s.Path] = i
	}
	need := map[string]bool{}
	for _, p := range pairs {
		need[p.A], need[p.B] = true, true
	}
	emb := map[string][]float32{}
	per := tmpl.Width * tmpl.Height * 3
	const batch = 64
	var paths []string
	for p := range need {
		if _, ok := byPath[p]; ok {
			paths = append(paths, p)
		}
	}
	crop := tmpl.NewCrop()
	input := make([]float32, per*batch)
	for lo := 0; lo < len(paths); lo += batch {
		hi := min(lo+batch, len(paths))
		for i, p := range paths[lo:hi] {
			s := samples[byPath[p]]
			if err := face.Align(crop, s.Img, s.Eyes, tmpl); err != nil {
				return Validation{}, err
			}
			if err := face.Tensor(input[i*per:(i+1)*per], crop, norm); err != nil {
				return Validation{}, err
			}
		}
		x, err := nn.FromSlice(input[:(hi-lo)*per], hi-lo, tmpl.Height, tmpl.Width, 3)
		if err != nil {
			return Validation{}, err
		}
		y, err := m.Forward(x, false)
		if err != nil {
			return Validation{}, err
		}
		dim := y.Shape()[1]
		for i, p := range paths[lo:hi] {
			emb[p] = append([]float32(nil), y.Float32s()[i*dim:(i+1)*dim]...)
		}
	}
	var v Validation
	dist := make([]float32, len(pairs))
	same := make([]bool, len(pairs))
	foldOf := make([]int, len(pairs))
	for i, p := range pairs {
		same[i], foldOf[i] = p.Same, p.Fold
		a, okA := emb[p.A]
		b, okB := emb[p.B]
		if !okA || !okB {
			// No face: predicted wrong whatever the threshold.
			v.Missing++
			if p.Same {
				dist[i] = 1e9
			}
			continue
		}
		d, err := loss.SquaredDistance(a, b)
		if err != nil {
			return Validation{}, err
		}
		dist[i] = d
	}
	folds, err := loss.FoldsByID(foldOf)
	if err != nil {
		return Validation{}, err
	}
	r, err := loss.KFoldAccuracyFolds(dist, same, folds)
	if err != nil {
		return Validation{}, err
	}
	v.Accuracy, v.Std, v.Threshold = r.Mean, r.Std, r.Threshold
	return v, nil
}
