package train

import (
	"context"
	stdsha256 "crypto/sha256"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/face"
)

// synthetic makes n samples of people identities: each person is a
// blob of their own colour and position on a noisy background, with fixed
// pupils, so a few steps can learn something.
func synthetic(people, per int, seed uint64) []Sample {
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []Sample
	for p := 0; p < people; p++ {
		col := color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
		cx, cy := 40+rng.IntN(40), 40+rng.IntN(40)
		for k := 0; k < per; k++ {
			img := image.NewRGBA(image.Rect(0, 0, 120, 120))
			for y := 0; y < 120; y++ {
				for x := 0; x < 120; x++ {
					v := uint8(rng.IntN(60))
					c := color.RGBA{v, v, v, 255}
					if (x-cx)*(x-cx)+(y-cy)*(y-cy) < 400 {
						c = col
					}
					img.SetRGBA(x, y, c)
				}
			}
			out = append(out, Sample{Path: filepath.Join("p", string(rune('a'+p)), string(rune('0'+k))), Label: p, Img: img,
				Eyes: face.Eyes{Left: face.Point{X: 45, Y: 50}, Right: face.Point{X: 75, Y: 50}, Found: true}})
		}
	}
	return out
}

func randomTargets(n int, seed uint64) *Targets {
	rng := rand.New(rand.NewPCG(seed, 2))
	t := &Targets{Plain: make([][]float32, n)}
	for i := range t.Plain {
		v := make([]float32, embedder.EmbeddingDim)
		var s float64
		for k := range v {
			v[k] = float32(rng.NormFloat64())
			s += float64(v[k] * v[k])
		}
		for k := range v {
			v[k] /= float32(math.Sqrt(s))
		}
		t.Plain[i] = v
	}
	return t
}

func tinyConfig() Config {
	c := DefaultConfig()
	c.Epochs, c.StepsPerEpoch, c.BatchSize, c.IDsPerBatch, c.PerID = 3, 4, 8, 2, 2
	c.WarmupSteps, c.LR = 1, 3e-3
	return c
}

func newTrainer(t *testing.T, samples []Sample, targets *Targets, cfg Config) *Trainer {
	t.Helper()
	m, err := embedder.NewCompact(cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(m, embedder.CompactTemplate, embedder.CompactNorm, samples, targets, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestTrainingLowersTheLoss: distillation towards fixed targets must make
// progress within a few epochs on the same data.
func TestTrainingLowersTheLoss(t *testing.T) {
	samples := synthetic(4, 3, 1)
	cfg := tinyConfig()
	cfg.Epochs, cfg.Jitter = 6, face.JitterRange{}
	tr := newTrainer(t, samples, randomTargets(len(samples), 3), cfg)
	first, last := runEpochs(t, tr, cfg.Epochs)
	if !(last.Loss < 0.8*first.Loss) {
		t.Fatalf("loss went from %.4f to %.4f over %d epochs; want a drop of at least 20%%", first.Loss, last.Loss, cfg.Epochs)
	}
}

// TestResumeIsExact: two epochs in one go and one epoch, a checkpoint, a
// fresh trainer and the second epoch give the same weights bit for bit.
func TestResumeIsExact(t *testing.T) {
	samples := synthetic(4, 3, 2)
	targets := randomTargets(len(samples), 4)
	cfg := tinyConfig()
	cfg.Workers = 1

	a := newTrainer(t, samples, targets, cfg)
	for ep := 0; ep < 2; ep++ {
		if _, err := a.RunEpoch(context.Background(), ep, nil); err != nil {
			t.Fatal(err)
		}
	}

	b := newTrainer(t, samples, targets, cfg)
	if _, err := b.RunEpoch(context.Background(), 0, nil); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(t.TempDir(), "c.ckpt")
	if err := b.SaveCheckpoint(ckpt, 1, nil); err != nil {
		t.Fatal(err)
	}
	c := newTrainer(t, samples, targets, cfg)
	next, _, err := c.LoadCheckpoint(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	if next != 1 {
		t.Fatalf("checkpoint says next epoch %d, want 1", next)
	}
	if _, err := c.RunEpoch(context.Background(), next, nil); err != nil {
		t.Fatal(err)
	}
	for _, p := range a.Model.Params() {
		q := c.Model.Param(p.Name)
		for i, v := range p.Value.Float32s() {
			if q.Value.Float32s()[i] != v {
				t.Fatalf("%s[%d]: straight run %g, resumed run %g", p.Name, i, v, q.Value.Float32s()[i])
			}
		}
	}

	other := cfg
	other.LR *= 2
	d := newTrainer(t, samples, targets, other)
	if _, _, err := d.LoadCheckpoint(ckpt); err == nil {
		t.Error("a checkpoint of other hyper-parameters was accepted")
	}
	// Another length: refused, unless asked for; then the run continues
	// on the new schedule.
	longer := cfg
	longer.Epochs++
	e := newTrainer(t, samples, targets, longer)
	if _, _, err := e.LoadCheckpoint(ckpt); err == nil {
		t.Error("a checkpoint of a run of another length was accepted")
	}
	e.NewLength = true
	if next, _, err := e.LoadCheckpoint(ckpt); err != nil || next != 1 || e.Step != b.Step {
		t.Errorf("with NewLength: next epoch %d, step %d (want 1, %d), %v", next, e.Step, b.Step, err)
	}
	d.NewLength = true
	if _, _, err := d.LoadCheckpoint(ckpt); err == nil {
		t.Error("with NewLength, a checkpoint of another learning rate was accepted")
	}
}

func TestSampleBatch(t *testing.T) {
	samples := synthetic(5, 3, 3)
	cfg := tinyConfig()
	tr := newTrainer(t, samples, nil, cfg)
	rng := rand.New(rand.NewPCG(1, 1))
	idx := tr.sampleBatch(rng)
	if len(idx) != cfg.BatchSize {
		t.Fatalf("batch of %d, want %d", len(idx), cfg.BatchSize)
	}
	seen := map[int]bool{}
	for _, i := range idx {
		if seen[i] {
			t.Fatalf("sample %d twice in a batch", i)
		}
		seen[i] = true
	}
	// The first IDsPerBatch×PerID come in pairs of one identity.
	for k := 0; k < cfg.IDsPerBatch; k++ {
		if samples[idx[2*k]].Label != samples[idx[2*k+1]].Label {
			t.Errorf("positions %d,%d are different people", 2*k, 2*k+1)
		}
	}
	if _, err := NewTrainer(tr.Model, tr.Template, tr.Norm, samples, nil, Config{BatchSize: 4, IDsPerBatch: 3, PerID: 2}); err == nil {
		t.Error("a batch too small for its identities was accepted")
	}
}

func TestTargetsCache(t *testing.T) {
	samples := synthetic(2, 2, 4)
	targets := randomTargets(len(samples), 5)
	path := filepath.Join(t.TempDir(), "t.bin")
	if err := writeTargets(path, "k", samples, targets); err != nil {
		t.Fatal(err)
	}
	got, err := readTargets(path, "k", samples)
	if err != nil {
		t.Fatal(err)
	}
	for i := range samples {
		for k, v := range targets.Plain[i] {
			if got.Plain[i][k] != v {
				t.Fatalf("target %d[%d] = %g, want %g", i, k, got.Plain[i][k], v)
			}
		}
	}
	if got.For(0, true)[0] != targets.Plain[0][0] {
		t.Error("without flipped targets For(i, true) must give the plain target")
	}
	if _, err := readTargets(path, "other", samples); err == nil {
		t.Error("a cache of another teacher was accepted")
	}
	if _, err := readTargets(path, "k", samples[:3]); err == nil {
		t.Error("a cache of other samples was accepted")
	}

	// A cache made with mirrored faces serves a run without them
	// (TeacherTargets runs no teacher: none is given).
	flipped := randomTargets(len(samples), 6)
	targets.Flipped = flipped.Plain
	if err := writeTargets(FlippedCachePath(path), "k+flipped", samples, targets); err != nil {
		t.Fatal(err)
	}
	if got := FlippedCachePath(path); got != filepath.Join(filepath.Dir(path), "t-flipped.bin") {
		t.Errorf("FlippedCachePath(%q) = %q", path, got)
	}
	both, err := TeacherTargets(context.Background(), nil, samples, true, path, "k", nil)
	if err != nil || both.Flipped == nil || both.Flipped[1][2] != targets.Flipped[1][2] {
		t.Fatalf("flipped targets from their cache: err %v", err)
	}
	plain, err := TeacherTargets(context.Background(), nil, samples, false, path, "k", nil)
	if err != nil {
		t.Fatalf("plain targets from a flipped cache: %v", err)
	}
	if plain.Flipped != nil || plain.Plain[1][2] != targets.Plain[1][2] {
		t.Error("plain targets from a flipped cache: wrong values or mirrored ones kept")
	}
}

// TestCachesOfOtherSamplesLiveSideBySide: a cache of the same name written
// for another list of samples (a run on other people) goes to a file of
// its own and leaves the first one readable; a cache written before files
// were named by their samples, at the plain name, is still read.
func TestCachesOfOtherSamplesLiveSideBySide(t *testing.T) {
	samples := synthetic(3, 2, 4)
	few := samples[:4]
	all, some := randomTargets(len(samples), 8), randomTargets(len(few), 9)
	path := filepath.Join(t.TempDir(), "views.bin")
	if err := writeTargets(path, "k", samples, all); err != nil {
		t.Fatal(err)
	}
	if err := writeTargets(path, "k", few, some); err != nil {
		t.Fatal(err)
	}
	if SamplesCachePath(path, samples) == SamplesCachePath(path, few) {
		t.Fatalf("two lists of samples share the cache file %s", SamplesCachePath(path, few))
	}
	// The name's digest is the SHA-256 of the paths, each ended by a zero
	// byte, as crypto/sha256 computes it: caches already on disk keep
	// their names.
	h := stdsha256.New()
	for _, s := range samples {
		h.Write([]byte(s.Path))
		h.Write([]byte{0})
	}
	if want := fmt.Sprintf("%s-%d-%x.bin", strings.TrimSuffix(path, ".bin"), len(samples), h.Sum(nil)[:4]); SamplesCachePath(path, samples) != want {
		t.Errorf("SamplesCachePath = %s, want %s", SamplesCachePath(path, samples), want)
	}
	for _, c := range []struct {
		name    string
		samples []Sample
		want    *Targets
	}{{"all the samples", samples, all}, {"some of them", few, some}} {
		got, err := readTargets(path, "k", c.samples)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got.Plain[len(c.samples)-1][3] != c.want.Plain[len(c.samples)-1][3] {
			t.Errorf("%s: read another list's targets", c.name)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a cache was written at the plain name %s (stat: %v)", path, err)
	}

	// Before: one file at the plain name. Read, and not written again.
	legacy := filepath.Join(t.TempDir(), "old.bin")
	if err := writeTargets(legacy, "k", samples, all); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(SamplesCachePath(legacy, samples), legacy); err != nil {
		t.Fatal(err)
	}
	got, err := readTargets(legacy, "k", samples)
	if err != nil || got.Plain[2][1] != all.Plain[2][1] {
		t.Errorf("a cache at the plain name is not read back (err %v)", err)
	}
	if _, err := readTargets(legacy, "k", few); err == nil {
		t.Error("a cache at the plain name was accepted for other samples")
	}
}

// TestCentre: centred targets have unit length and (nearly) zero mean.
func TestCentre(t *testing.T) {
	targets := randomTargets(6, 7)
	// A large common direction, as dlib's descriptors have.
	for _, v := range targets.Plain {
		v[0] += 3
	}
	targets.Centre()
	mean := make([]float64, len(targets.Plain[0]))
	for _, v := range targets.Plain {
		var s float64
		for k, x := range v {
			s += float64(x * x)
			mean[k] += float64(x) / float64(len(targets.Plain))
		}
		if math.Abs(s-1) > 1e-4 {
			t.Errorf("centred target has squared norm %g, want 1", s)
		}
	}
	for k, m := range mean {
		if math.Abs(m) > 0.2 {
			t.Fatalf("mean[%d] = %g after centring", k, m)
		}
	}
}

// TestSampleBatchKin checks that with Config.KinShare 1 every identity
// drawn brings a relative along when one is left, and that with KinShare 0
// the families change nothing: the same batches as without them.
func TestSampleBatchKin(t *testing.T) {
	// 40 identities of 3 images each, in 10 families of 4 (label / 4).
	var labels []int
	family := make([]int, 40)
	for l := range 40 {
		family[l] = l / 4
		labels = append(labels, l, l, l)
	}
	newTrainer := func(kin float64, families bool) *Trainer {
		cfg := DefaultConfig()
		cfg.BatchSize, cfg.IDsPerBatch, cfg.PerID, cfg.KinShare = 24, 8, 2, kin
		tr := &Trainer{Config: cfg, labels: labels}
		if err := tr.indexLabels(); err != nil {
			t.Fatal(err)
		}
		if families {
			if err := tr.SetFamilies(family); err != nil {
				t.Fatal(err)
			}
		}
		return tr
	}
	// relatives counts the identities of a batch that share a family with
	// another identity of it.
	relatives := func(idx []int) int {
		ids := map[int]bool{}
		for _, i := range idx[:16] { // the 8 identities × 2 images
			ids[labels[i]] = true
		}
		n := 0
		for a := range ids {
			for b := range ids {
				if a != b && family[a] == family[b] {
					n++
					break
				}
			}
		}
		return n
	}
	kin, plain, alone := newTrainer(1, true), newTrainer(0, true), newTrainer(0, false)
	var withKin, without int
	for seed := range uint64(50) {
		rk := rand.New(rand.NewPCG(seed, 1))
		withKin += relatives(kin.sampleBatch(rk))
		a := plain.sampleBatch(rand.New(rand.NewPCG(seed, 2)))
		b := alone.sampleBatch(rand.New(rand.NewPCG(seed, 2)))
		if !slices.Equal(a, b) {
			t.Fatalf("seed %d: KinShare 0 drew %v with families and %v without", seed, a, b)
		}
		without += relatives(a)
	}
	// With KinShare 1 the identities come in pairs of relatives (but for
	// one whose relatives are all in the batch already); drawn alone, 8 of
	// 40 identities in 10 families of 4 share a family about 40% of the time.
	if withKin < 50*8*95/100 || without > withKin*6/10 {
		t.Fatalf("identities with a relative in the batch: %d with KinShare 1 (want %d), %d with 0", withKin, 50*8, without)
	}
	if err := kin.SetFamilies(family[:10]); err == nil {
		t.Error("a family list shorter than the labels was accepted")
	}
}

// runEpochs runs epochs 0 … n−1 of tr and returns the first's and the
// last's statistics.
func runEpochs(t *testing.T, tr *Trainer, n int) (first, last EpochStats) {
	t.Helper()
	for ep := range n {
		st, err := tr.RunEpoch(context.Background(), ep, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ep == 0 {
			first = st
		}
		last = st
	}
	return first, last
}
