package loss

import (
	"fmt"
	"math"
)

// ProxySoftmax is a softmax over fixed identity proxies (the cosine-margin
// form of CosFace, Wang et al. 2018, with proxies that are not learned):
// for an embedding e of person y among C people with unit-length proxies
// P₁ … P_C, the logits are
//
//	zⱼ = s·(e·Pⱼ) − s·m·[j = y]
//
// and the loss is the cross-entropy −log softmax(z)_y, averaged over the
// rows with a label ≥ 0 (a row labelled −1, such as a composite face that
// is nobody, is left out and gets a zero gradient). proxies holds the C
// proxies one after another, each as long as an embedding. Embeddings and
// proxies are meant to be unit vectors, so that e·Pⱼ is a cosine.
//
// In distillation the proxies are the teacher's mean embedding of each
// training person: the student is pulled towards where the teacher puts
// the person and pushed away from where it puts every other person at
// once — all of them, not only the few a batch's triplets can reach. The
// scale s sets how hard the push concentrates on the nearest people; the
// margin m asks the right person to win by m in cosine.
//
// It returns the loss and dL/de for every row.
func ProxySoftmax(emb [][]float32, labels []int, proxies []float32, scale, margin float32) (loss float32, grad [][]float32, err error) {
	dim, err := checkBatch(emb)
	if err != nil {
		return 0, nil, err
	}
	if len(labels) != len(emb) {
		return 0, nil, fmt.Errorf("loss: %d labels for %d embeddings", len(labels), len(emb))
	}
	if len(emb) > 0 && (dim == 0 || len(proxies) == 0 || len(proxies)%dim != 0) {
		return 0, nil, fmt.Errorf("loss: %d proxy values do not make proxies of %d values", len(proxies), dim)
	}
	if err := CheckProxySettings(scale, margin); err != nil {
		return 0, nil, err
	}
	grad = make([][]float32, len(emb))
	var classes int
	if dim > 0 {
		classes = len(proxies) / dim
	}
	counted := 0
	for i, y := range labels {
		grad[i] = make([]float32, dim)
		if y >= classes || y < -1 {
			return 0, nil, fmt.Errorf("loss: row %d is labelled %d: want −1 (left out) or one of the %d proxies", i, y, classes)
		}
		if y >= 0 {
			counted++
		}
	}
	if counted == 0 {
		return 0, grad, nil
	}
	z := make([]float64, classes)
	var sum float64
	for i, e := range emb {
		y := labels[i]
		if y < 0 {
			continue
		}
		top, zy := math.Inf(-1), 0.0
		for j := range z {
			p := proxies[j*dim : (j+1)*dim]
			var dot float32
			for k, v := range e {
				dot += v * p[k]
			}
			z[j] = float64(scale) * float64(dot)
			if j == y {
				z[j] -= float64(scale) * float64(margin)
				zy = z[j]
			}
			top = max(top, z[j])
		}
		var norm float64
		for j, v := range z {
			z[j] = math.Exp(v - top)
			norm += z[j]
		}
		// z now holds softmax(z)·norm; the loss is log norm + top − z_y
		// (from the logit, not from exp(z_y − top), which may underflow).
		sum += math.Log(norm) + top - zy
		// dL/de = s · Σⱼ (softmaxⱼ − [j = y]) Pⱼ, over the counted rows.
		g := grad[i]
		c := float64(scale) / float64(counted)
		for j, v := range z {
			w := v / norm
			if j == y {
				w--
			}
			cw := float32(c * w)
			p := proxies[j*dim : (j+1)*dim]
			for k := range g {
				g[k] += cw * p[k]
			}
		}
	}
	return float32(sum / float64(counted)), grad, nil
}

// CheckProxySettings rejects a ProxySoftmax scale or margin that cannot
// work, so that a training run can refuse them before its first step.
func CheckProxySettings(scale, margin float32) error {
	if s := float64(scale); math.IsNaN(s) || math.IsInf(s, 0) || s <= 0 {
		return fmt.Errorf("loss: proxy scale is %v: it must be finite and > 0 (a typical value is 16)", scale)
	}
	return checkMargin(margin)
}
