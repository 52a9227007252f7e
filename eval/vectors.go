package eval

import (
	"fmt"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/gallery"
	"github.com/oneshotface/oneshot/loss"
)

// FromVectors is the Report of pairs whose images were embedded already:
// vecs[index[path]] is the embedding of the image at path, nil when it has
// no face (the pair is then a failure, as in Pairs). Distances are squared,
// or normalised against cohort when it is not nil, each image's cohort
// statistics computed once, as the gallery compares. It is what probes use
// to score several variants of one set of embeddings without embedding the
// pictures again (cmd/ttaprobe, cmd/backendprobe).
func FromVectors(pairs []dataset.Pair, index map[string]int, vecs [][]float32, cohort *gallery.Cohort) (Report, error) {
	look := func(path string) (int, error) {
		k, ok := index[path]
		if !ok || k < 0 || k >= len(vecs) {
			return 0, fmt.Errorf("eval: no embedding for %s", path)
		}
		return k, nil
	}
	var stats []gallery.CohortStats
	if cohort != nil {
		stats = make([]gallery.CohortStats, len(vecs))
		for k, v := range vecs {
			if v == nil {
				continue
			}
			s, err := cohort.Stats(v)
			if err != nil {
				return Report{}, err
			}
			stats[k] = s
		}
	}
	dist := make([]float32, len(pairs))
	same := make([]bool, len(pairs))
	failed := make([]bool, len(pairs))
	fold := make([]int, len(pairs))
	for i, p := range pairs {
		j, err := look(p.A)
		if err != nil {
			return Report{}, err
		}
		k, err := look(p.B)
		if err != nil {
			return Report{}, err
		}
		a, b := vecs[j], vecs[k]
		same[i], fold[i] = p.Same, p.Fold
		switch {
		case a == nil || b == nil:
			failed[i] = true
		case cohort != nil:
			dist[i] = cohort.Distance(a, b, stats[j], stats[k])
		default:
			d, err := loss.SquaredDistance(a, b)
			if err != nil {
				return Report{}, err
			}
			dist[i] = d
		}
	}
	return FromDistances(dist, same, failed, fold)
}

// RawAndNormalised is FromVectors twice: with squared distances, and
// normalised against a cohort of cohortVecs (gallery.NewCohort, k nearest
// faces per face's statistics), the two ways a probe scores one set of
// embeddings.
func RawAndNormalised(pairs []dataset.Pair, index map[string]int, vecs, cohortVecs [][]float32, k int) (raw, normed Report, err error) {
	cohort, err := gallery.NewCohort(cohortVecs, k)
	if err != nil {
		return Report{}, Report{}, err
	}
	if raw, err = FromVectors(pairs, index, vecs, nil); err != nil {
		return Report{}, Report{}, err
	}
	normed, err = FromVectors(pairs, index, vecs, cohort)
	return raw, normed, err
}
