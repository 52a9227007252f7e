package train

import (
	"fmt"
	"maps"
	"math"
	"slices"
)

// identityProxies is what Config.ProxyWeight trains against: one proxy a
// person, the teacher's mean embedding of that person's training faces
// scaled to unit length, and each sample's row among them.
type identityProxies struct {
	vecs  []float32 // one proxy after another
	dim   int       // values in a proxy
	class []int     // class[i]: sample i's proxy
}

// newIdentityProxies averages the teacher's plain-face embeddings (centred,
// see Targets.Centre) of each label's samples. A person whose faces the
// teacher sees as cancelling out (a zero mean) cannot have a proxy; that
// is reported as an error rather than trained towards nothing.
func newIdentityProxies(labels []int, plain [][]float32) (*identityProxies, error) {
	if len(plain) != len(labels) || len(plain) == 0 {
		return nil, fmt.Errorf("train: %d teacher embeddings for %d samples", len(plain), len(labels))
	}
	dim := len(plain[0])
	row := map[int]int{} // a label's proxy: people numbered in label order
	for _, l := range labels {
		row[l] = 0
	}
	people := slices.Sorted(maps.Keys(row))
	for j, l := range people {
		row[l] = j
	}
	p := &identityProxies{vecs: make([]float32, len(people)*dim), dim: dim, class: make([]int, len(labels))}
	sums := make([]float64, len(people)*dim)
	for i, l := range labels {
		j := row[l]
		p.class[i] = j
		if len(plain[i]) != dim {
			return nil, fmt.Errorf("train: teacher embedding %d has %d values, embedding 0 has %d", i, len(plain[i]), dim)
		}
		for k, v := range plain[i] {
			sums[j*dim+k] += float64(v)
		}
	}
	for j, l := range people {
		s := sums[j*dim : (j+1)*dim]
		var n float64
		for _, v := range s {
			n += v * v
		}
		if n == 0 || math.IsNaN(n) || math.IsInf(n, 0) {
			return nil, fmt.Errorf("train: the teacher's faces of person %d average to no direction; no proxy for them", l)
		}
		n = math.Sqrt(n)
		for k, v := range s {
			p.vecs[j*dim+k] = float32(v / n)
		}
	}
	return p, nil
}
