// Package whiten learns a within-person whitening of an embedder's outputs
// and folds it into the embedder's last layers, so that verification uses
// the whitened embeddings at no cost in file size or time.
//
// An embedder's output before its final L2 normalisation, z, varies for
// two reasons: who the face is, and everything else (light, pose,
// expression, the crop). The cosine of two embeddings weighs every
// direction of z alike, so directions in which one person's pictures
// differ a lot count as much as directions that tell people apart. The
// within-class covariance normalisation of speaker and face verification
// (WCCN, Hatch, Kajarekar & Stolcke 2006; with length normalisation,
// Garcia-Romero & Espy-Wilson 2011) fixes that with one linear map learned
// on the training people: centre z on the training mean m and whiten the
// within-person covariance Sw,
//
//	z ↦ P(z − m),  P = Sw^(−1/2),
//
// and then, as before, scale to unit length. Directions in which a person's
// pictures vary shrink; the rest grow. Sw is estimated on the people the
// embedder was trained on, whose pictures it has partly memorised: their
// within-person spread is smaller than an unseen person's, most of all in
// the directions training squeezed. Shrinking the estimate towards a
// multiple of the identity,
//
//	Sw(α) = (1 − α)·Sw + α·(tr Sw / d)·I,
//
// keeps the map from trusting those directions too much (α = 0: full
// whitening; α = 1: only centring and a scale).
//
// The map is linear and the embedder's last layers are a dense layer and a
// batch norm, so Fold writes the map into them: the model keeps its size
// and speed, its embeddings become the whitened ones, and test-time
// mirroring, the cohort and the threshold are then made on those. Learn
// estimates the map; cmd/cohort -whiten learns and folds it;
// cmd/backendprobe measures it on held-out people.
//
// Measured (MODEL_CARD.md, "Whitening the outputs"): on a run that never
// saw the held-out people, shrink 0.1 lifted their pairs from 0.918 to
// 0.926 normalised accuracy and AUC from 0.9715 to 0.9745; on the shipped
// model, learned on all its training people, it lowered the test people's
// AUC (0.977 to 0.973): that model has fitted its training people's
// pictures so closely that their spread says little about anyone else's.
// The shipped model is not whitened; cmd/cohort whitens only when asked.
package whiten

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Transform is the map z ↦ P(z − Mean) on an embedder's outputs before
// their L2 normalisation.
type Transform struct {
	// Mean is m, the mean output over the training crops.
	Mean []float64
	// P is the d×d map, one row per output value.
	P [][]float64
	// Var is the variance of each value of P(z − m) over the training
	// crops: the statistics the folded batch norm keeps (Fold).
	Var []float64
	// Shrink is the α the within-person covariance was shrunk by.
	Shrink float64
	// People and Faces count the people with two or more faces, and their
	// faces, that the within-person covariance was estimated on.
	People, Faces int
}

// Learn estimates the whitening from people[person][face][crop], each
// crop an embedder output before L2 normalisation (a face may have several
// crops, such as the picture and its mirror image). The mean is over every
// crop; the within-person covariance is over the crops of people with two
// or more faces, about each person's mean, shrunk by shrink in [0, 1] (see
// the package comment). People with one face add to the mean only: their
// crops differ by the crop alone, not by the picture.
func Learn(people [][][][]float32, shrink float64) (*Transform, error) {
	if !(shrink >= 0 && shrink <= 1) {
		return nil, fmt.Errorf("whiten: shrink %g: want a value from 0 to 1", shrink)
	}
	d := -1
	var crops int
	for i, p := range people {
		for j, f := range p {
			if len(f) == 0 {
				return nil, fmt.Errorf("whiten: person %d, face %d has no crops", i, j)
			}
			for _, v := range f {
				if d < 0 {
					d = len(v)
				}
				if len(v) != d || d == 0 {
					return nil, fmt.Errorf("whiten: person %d, face %d: an output of %d values among outputs of %d", i, j, len(v), d)
				}
				for _, x := range v {
					if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
						return nil, fmt.Errorf("whiten: person %d, face %d: an output is not finite", i, j)
					}
				}
				crops++
			}
		}
	}
	if crops == 0 {
		return nil, errors.New("whiten: no outputs to learn from")
	}

	mean := make([]float64, d)
	for _, p := range people {
		addCrops(mean, p, 1/float64(crops))
	}
	total := mat.NewSymDense(d, nil)  // about the mean, every crop
	within := mat.NewSymDense(d, nil) // about each person's mean, people with ≥ 2 faces
	t := &Transform{Mean: mean, Shrink: shrink}
	var withinCrops int
	for _, p := range people {
		addScatter(total, p, mean)
		if len(p) < 2 {
			continue
		}
		n := 0
		for _, f := range p {
			n += len(f)
		}
		mu := make([]float64, d)
		addCrops(mu, p, 1/float64(n))
		addScatter(within, p, mu)
		withinCrops += n
		t.People++
		t.Faces += len(p)
	}
	if t.People < 2 {
		return nil, fmt.Errorf("whiten: %d people with two or more faces: want at least 2", t.People)
	}
	total.ScaleSym(1/float64(crops), total)
	within.ScaleSym(1/float64(withinCrops), within)

	// Sw(α) = (1 − α)·Sw + α·(tr Sw / d)·I.
	avg := mat.Trace(within) / float64(d)
	if !(avg > 0) {
		return nil, errors.New("whiten: the outputs do not vary within any person")
	}
	within.ScaleSym(1-shrink, within)
	for k := 0; k < d; k++ {
		within.SetSym(k, k, within.At(k, k)+shrink*avg)
	}
	p, err := inverseRoot(within)
	if err != nil {
		return nil, err
	}
	// Var = diag(P·Σ·Pᵀ), Σ the total covariance.
	var ps, psp mat.Dense
	ps.Mul(p, total)
	psp.Mul(&ps, p.T())
	t.P = make([][]float64, d)
	t.Var = make([]float64, d)
	for r := 0; r < d; r++ {
		t.P[r] = mat.Row(nil, r, p)
		t.Var[r] = psp.At(r, r)
	}
	return t, nil
}

// addCrops adds w times every crop of faces to sum.
func addCrops(sum []float64, faces [][][]float32, w float64) {
	for _, f := range faces {
		for _, v := range f {
			for k, x := range v {
				sum[k] += w * float64(x)
			}
		}
	}
}

// addScatter adds (v − centre)(v − centre)ᵀ for every crop v of faces to s.
func addScatter(s *mat.SymDense, faces [][][]float32, centre []float64) {
	diff := mat.NewVecDense(len(centre), nil)
	for _, f := range faces {
		for _, v := range f {
			for k, x := range v {
				diff.SetVec(k, float64(x)-centre[k])
			}
			s.SymRankOne(s, 1, diff)
		}
	}
}

// inverseRoot returns W^(−1/2) of a symmetric positive semi-definite W,
// eigenvalues below 1e-6 of the largest raised to it.
func inverseRoot(w *mat.SymDense) (*mat.Dense, error) {
	var eig mat.EigenSym
	if !eig.Factorize(w, true) {
		return nil, errors.New("whiten: the within-person covariance could not be decomposed")
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	d := len(vals)
	top := vals[d-1]
	if !(top > 0) {
		return nil, errors.New("whiten: the within-person covariance is zero")
	}
	scaled := mat.NewDense(d, d, nil)
	for c := 0; c < d; c++ {
		s := 1 / math.Sqrt(math.Max(vals[c], 1e-6*top))
		for r := 0; r < d; r++ {
			scaled.Set(r, c, vecs.At(r, c)*s)
		}
	}
	var out mat.Dense
	out.Mul(scaled, vecs.T())
	return &out, nil
}

// Apply returns P(z − m) for one output z.
func (t *Transform) Apply(z []float32) ([]float32, error) {
	if len(z) != len(t.Mean) {
		return nil, fmt.Errorf("whiten: an output of %d values for a map of %d", len(z), len(t.Mean))
	}
	out := make([]float32, len(t.P))
	for r, row := range t.P {
		var s float64
		for k, p := range row {
			s += p * (float64(z[k]) - t.Mean[k])
		}
		out[r] = float32(s)
	}
	return out, nil
}
