package loss

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestProxySoftmaxGradient checks the loss against a float64 reference and
// dL/de against central differences of it, with a margin, and that a row
// labelled −1 neither counts nor gets a gradient.
func TestProxySoftmaxGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, dim, classes = 4, 5, 7
	const scale, margin = 4, 0.3
	emb := make([][]float32, n)
	for i := range emb {
		emb[i] = make([]float32, dim)
		for k := range emb[i] {
			emb[i][k] = float32(rng.NormFloat64()) / 2
		}
	}
	proxies := make([]float32, classes*dim)
	for k := range proxies {
		proxies[k] = float32(rng.NormFloat64()) / 2
	}
	labels := []int{2, -1, 6, 2}
	ref := func(e [][]float64) float64 {
		var sum float64
		counted := 0
		for i, y := range labels {
			if y < 0 {
				continue
			}
			counted++
			var norm, zy float64
			for j := 0; j < classes; j++ {
				var dot float64
				for k := 0; k < dim; k++ {
					dot += e[i][k] * float64(proxies[j*dim+k])
				}
				z := scale * dot
				if j == y {
					z -= scale * margin
					zy = z
				}
				norm += math.Exp(z)
			}
			sum += math.Log(norm) - zy
		}
		return sum / float64(counted)
	}
	l, g, err := ProxySoftmax(emb, labels, proxies, scale, margin)
	if err != nil {
		t.Fatal(err)
	}
	checkRowsGradient(t, emb, l, g, ref)
	for k, v := range g[1] {
		if v != 0 {
			t.Errorf("row labelled -1 has gradient %v at %d", v, k)
		}
	}
}

// TestProxySoftmaxNearOwnProxy: an embedding on its own person's proxy,
// with the others orthogonal to it, costs almost nothing at a large
// scale, and more when the margin eats into its lead.
func TestProxySoftmaxNearOwnProxy(t *testing.T) {
	proxies := []float32{1, 0, 0, 0, 1, 0, 0, 0, 1}
	emb := [][]float32{{1, 0, 0}, {0, 0, 1}}
	l, _, err := ProxySoftmax(emb, []int{0, 2}, proxies, 30, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := math.Log(1 + 2*math.Exp(-30)); math.Abs(float64(l)-want) > 1e-9 {
		t.Errorf("loss on own proxy = %v, want %v", l, want)
	}
	lm, _, err := ProxySoftmax(emb, []int{0, 2}, proxies, 30, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if lm <= l {
		t.Errorf("a margin of 0.5 gave loss %v, not above %v", lm, l)
	}
	// Opposite its proxy at a large scale, the other two at a cosine of 0:
	// log(2 + e^−1000) + 500, finite.
	far, _, err := ProxySoftmax([][]float32{{-1, 0, 0}}, []int{0}, proxies, 500, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := 500 + math.Ln2; math.IsInf(float64(far), 0) || math.Abs(float64(far)-want) > 1e-4*want {
		t.Errorf("loss opposite the proxy at scale 500 = %v, want about %v", far, want)
	}
}

// TestProxySoftmaxRejects bad shapes, labels and settings with errors.
func TestProxySoftmaxRejects(t *testing.T) {
	emb := [][]float32{{1, 0}, {0, 1}}
	proxies := []float32{1, 0, 0, 1}
	for name, call := range map[string]func() error{
		"labels":        func() error { _, _, err := ProxySoftmax(emb, []int{0}, proxies, 8, 0); return err },
		"label too big": func() error { _, _, err := ProxySoftmax(emb, []int{0, 2}, proxies, 8, 0); return err },
		"proxy shape":   func() error { _, _, err := ProxySoftmax(emb, []int{0, 1}, proxies[:3], 8, 0); return err },
		"scale":         func() error { _, _, err := ProxySoftmax(emb, []int{0, 1}, proxies, 0, 0); return err },
		"margin":        func() error { _, _, err := ProxySoftmax(emb, []int{0, 1}, proxies, 8, -1); return err },
		"ragged": func() error {
			_, _, err := ProxySoftmax([][]float32{{1, 0}, {1}}, []int{0, 1}, proxies, 8, 0)
			return err
		},
	} {
		if call() == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
