package train

import (
	"math"
	"slices"
	"testing"

	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/face"
)

// TestIdentityProxies: each person's proxy is the unit-length mean of their
// faces' teacher embeddings, people are numbered densely in label order
// whatever the labels' values, and a person whose faces cancel out is an
// error.
func TestIdentityProxies(t *testing.T) {
	labels := []int{7, 3, 7, 3, 12}
	plain := [][]float32{{1, 0}, {0, 2}, {0, 1}, {0, 4}, {-3, 0}}
	p, err := newIdentityProxies(labels, plain)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 0, 1, 0, 2}; !slices.Equal(p.class, want) {
		t.Fatalf("classes %v, want %v", p.class, want)
	}
	s := float32(1 / math.Sqrt2)
	want := []float32{0, 1, s, s, -1, 0}
	for k, v := range want {
		if math.Abs(float64(p.vecs[k]-v)) > 1e-6 {
			t.Fatalf("proxies %v, want %v", p.vecs, want)
		}
	}
	if _, err := newIdentityProxies([]int{1, 1}, [][]float32{{1, 0}, {-1, 0}}); err == nil {
		t.Error("faces that cancel out made a proxy")
	}
	if _, err := newIdentityProxies([]int{1}, [][]float32{{1, 0}, {0, 1}}); err == nil {
		t.Error("two embeddings for one label made proxies")
	}
}

// TestProxiesAloneTeach: with the proxy softmax as the only objective, a
// few epochs must lower it (each person's faces move towards their proxy
// and away from the others').
func TestProxiesAloneTeach(t *testing.T) {
	samples := synthetic(4, 3, 5)
	cfg := tinyConfig()
	cfg.Epochs, cfg.Jitter = 6, face.JitterRange{}
	cfg.DistillWeight, cfg.TripletWeight = 0, 0
	cfg.ProxyWeight, cfg.ProxyScale = 1, 8
	tr := newTrainer(t, samples, randomTargets(len(samples), 6), cfg)
	if tr.proxies == nil || len(tr.proxies.vecs) != 4*embedder.EmbeddingDim {
		t.Fatalf("proxies not made for 4 people: %+v", tr.proxies)
	}
	first, last := runEpochs(t, tr, cfg.Epochs)
	if last.Proxy != last.Loss || first.Proxy == 0 {
		t.Errorf("proxy part %v and %v of losses %v and %v: want the whole loss", first.Proxy, last.Proxy, first.Loss, last.Loss)
	}
	if !(last.Loss < 0.8*first.Loss) {
		t.Fatalf("proxy loss went from %.4f to %.4f over %d epochs; want a drop of at least 20%%", first.Loss, last.Loss, cfg.Epochs)
	}
}

// TestProxySettingsRejected: a proxy scale or margin that cannot work is
// refused when the trainer is made, not after hours of teacher time.
func TestProxySettingsRejected(t *testing.T) {
	samples := synthetic(2, 2, 7)
	cfg := tinyConfig()
	cfg.IDsPerBatch = 2
	cfg.ProxyWeight = 1
	m, err := embedder.NewCompact(cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][2]float32{{0, 0}, {float32(math.Inf(1)), 0}, {16, -0.1}, {16, float32(math.NaN())}} {
		c := cfg
		c.ProxyScale, c.ProxyMargin = bad[0], bad[1]
		if _, err := NewTrainer(m, embedder.CompactTemplate, embedder.CompactNorm, samples, randomTargets(len(samples), 8), c); err == nil {
			t.Errorf("scale %v, margin %v: accepted", bad[0], bad[1])
		}
	}
}
