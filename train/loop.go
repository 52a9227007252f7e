package train

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/loss"
	"github.com/oneshotface/oneshot/nn"
	"gorgonia.org/tensor"
)

// Config holds a training run's hyper-parameters.
type Config struct {
	Epochs int
	// StepsPerEpoch is the number of batches an epoch takes; 0 means one
	// pass's worth (len(samples) / BatchSize).
	StepsPerEpoch int
	// BatchSize is the number of images in a batch; IDsPerBatch × PerID of
	// them come from identities with several images, the rest are drawn
	// at random.
	BatchSize, IDsPerBatch, PerID int
	LR, MinLR, WeightDecay        float32
	WarmupSteps                   int
	ClipNorm                      float32
	// Margin of the triplet loss, on squared distances of unit vectors
	// (which lie in [0, 4]).
	Margin float32
	// DistillWeight and TripletWeight weigh the two losses.
	DistillWeight, TripletWeight float32
	// RelationWeight weighs relational distillation: the mean over the
	// batch's pairs of (‖f(xᵢ) − f(xⱼ)‖² − ‖t(xᵢ) − t(xⱼ)‖²)², which asks
	// the student for the teacher's distances rather than its positions
	// (Park et al., Relational Knowledge Distillation, 2019). It is part of
	// the reported Loss only. 0: off.
	RelationWeight float32
	Jitter         face.JitterRange
	Seed           uint64
	// Workers align crops in parallel.
	Workers int
	// Mining chooses the triplets of a batch mined from labels (the zero
	// value, batch-hard, is what cmd/train uses).
	Mining Mining
	// KinShare is the probability that an identity drawn for a batch
	// brings a relative of theirs along (Trainer.SetFamilies): two people
	// of one family in a batch make each other's hardest negatives, the
	// case of a family sharing one device. 0: identities are drawn alone.
	KinShare float64
	// SiameseWeight weighs the Siamese objective: binary cross-entropy of
	// a head ŷ = σ(Σₖ wₖ |f(x1)ₖ − f(x2)ₖ| + b) (Trainer.Siamese) on pairs
	// of the batch's faces, the head trained jointly with the network.
	// The pairs are the batch's triplets' anchor–positive and
	// anchor–negative pairs when triplets are given, otherwise every
	// same-person pair and as many different-people pairs drawn at random
	// (or the other way round when those are fewer). 0: off.
	SiameseWeight float32
	// ProxyWeight weighs a softmax over every training person at once
	// (loss.ProxySoftmax): each face is pulled towards its person's proxy,
	// the teacher's mean embedding of that person's faces, and away from
	// every other person's, ProxyScale being the softmax's scale and
	// ProxyMargin its cosine margin. Where the batch's triplets reach the
	// few people a batch holds, the proxies reach all of them, relatives
	// included. Composite faces (nobody) are left out. Needs the teacher's
	// targets; 0: off.
	ProxyWeight, ProxyScale, ProxyMargin float32
}

// Mining names a triplet miner of package loss.
type Mining int

const (
	// MineBatchHard takes, per anchor, the farthest positive and the
	// nearest negative (loss.BatchHard).
	MineBatchHard Mining = iota
	// MineSemiHard takes negatives farther than the positive but within the
	// margin (loss.SemiHard), hardest first: gentler on tiny data sets.
	MineSemiHard
)

// miner returns the loss package's miner for m.
func (m Mining) miner() loss.Miner {
	if m == MineSemiHard {
		return loss.SemiHard
	}
	return loss.BatchHard
}

// DefaultConfig is the configuration the shipped compact embedder was
// trained with (see MODEL_CARD.md).
func DefaultConfig() Config {
	return Config{
		Epochs: 20, BatchSize: 64, IDsPerBatch: 16, PerID: 2,
		LR: 2e-3, MinLR: 2e-5, WeightDecay: 5e-4, WarmupSteps: 200, ClipNorm: 5,
		Margin: 0.2, DistillWeight: 1, TripletWeight: 0.5,
		Jitter: face.DefaultJitterRange, Seed: 1, Workers: 2,
	}
}

// Progress is reported after every step.
type Progress struct {
	Epoch, Epochs, Step, Steps int
	// Loss, Distill, Triplet and Proxy (Config.ProxyWeight's softmax) are
	// running means over the epoch so far.
	Loss, Distill, Triplet, Proxy float64
	// Active is the fraction of mined triplets with a non-zero loss (with
	// the Siamese objective alone, of the pairs its head gets wrong).
	Active         float64
	LR             float32
	ExamplesPerSec float64
	ETA            time.Duration
}

// Trainer trains a model on prepared samples. Its state (model, optimizer,
// global step) is what a checkpoint saves.
type Trainer struct {
	Model    *nn.Model
	Template face.Template
	Norm     face.Normalization
	Opt      *nn.AdamW
	Config   Config
	// Step counts optimizer steps over the whole run (for the schedule).
	Step int
	// NewLength lets LoadCheckpoint continue a run that was started with
	// another number of epochs: from the checkpoint's step on, the
	// learning rate follows the cosine of Config.Epochs (a shorter or
	// longer run than the one begun, so no longer the same run).
	NewLength bool
	// Siamese is the head the Siamese objective trains
	// (Config.SiameseWeight), its weights stepped by Opt with the model's.
	// Nil starts one on the first batch's pairs (loss.FitSiameseHead). A
	// checkpoint does not save it.
	Siamese *loss.SiameseHead
	head    []*nn.Param // Siamese as the optimizer's parameters (headParams)

	samples []Sample
	labels  []int    // of each sample (or input row)
	targets *Targets // nil: triplet loss only
	// inputs, when not nil, are prepared network inputs, one row of
	// inShape per sample, used as they are (no alignment, no jitter): the
	// normalised crops or the frozen trunk's features of fine-tuning.
	inputs  []float32
	inShape []int
	// triplets, when not nil, are the explicit triplets (indices of
	// samples) an epoch trains on, in batches, instead of mining.
	triplets []loss.Triplet
	byLabel  map[int][]int
	multi    []int // labels with ≥ 2 samples
	// kin lists, for a label of multi, the other labels of multi of the
	// same family (SetFamilies).
	kin map[int][]int

	proxies *identityProxies // Config.ProxyWeight's, nil when off

	crops   []*image.RGBA
	scratch []*image.RGBA // one per worker: the second face of a blend
	input   []float32
}

// NewTrainer prepares a Trainer. targets may be nil (no distillation).
func NewTrainer(m *nn.Model, tmpl face.Template, norm face.Normalization, samples []Sample, targets *Targets, cfg Config) (*Trainer, error) {
	if len(samples) == 0 {
		return nil, errors.New("train: no samples")
	}
	if cfg.BatchSize < 2 || cfg.PerID < 2 || cfg.IDsPerBatch*cfg.PerID > cfg.BatchSize {
		return nil, fmt.Errorf("train: batch of %d cannot hold %d identities × %d images", cfg.BatchSize, cfg.IDsPerBatch, cfg.PerID)
	}
	if targets != nil && len(targets.Plain) != len(samples) {
		return nil, fmt.Errorf("train: %d targets for %d samples", len(targets.Plain), len(samples))
	}
	if targets != nil {
		for _, vw := range targets.Views {
			if err := vw.fits(len(samples)); err != nil {
				return nil, err
			}
		}
	}
	if targets == nil {
		cfg.DistillWeight, cfg.RelationWeight, cfg.ProxyWeight = 0, 0, 0
	}
	t := &Trainer{Model: m, Template: tmpl, Norm: norm, Config: cfg, samples: samples, targets: targets,
		Opt: nn.NewAdamW(cfg.LR, cfg.WeightDecay), byLabel: map[int][]int{}}
	for _, s := range samples {
		t.labels = append(t.labels, s.Label)
	}
	if err := t.indexLabels(); err != nil {
		return nil, err
	}
	if cfg.ProxyWeight > 0 && targets != nil {
		if err := loss.CheckProxySettings(cfg.ProxyScale, cfg.ProxyMargin); err != nil {
			return nil, err
		}
		var err error
		if t.proxies, err = newIdentityProxies(t.labels, targets.Plain); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// indexLabels groups the samples by label and checks that a batch can be
// filled.
func (t *Trainer) indexLabels() error {
	cfg := t.Config
	t.byLabel = map[int][]int{}
	for i, l := range t.labels {
		t.byLabel[l] = append(t.byLabel[l], i)
	}
	for l, idx := range t.byLabel {
		if len(idx) >= 2 {
			t.multi = append(t.multi, l)
		}
	}
	slices.Sort(t.multi)
	if t.triplets == nil && len(t.multi) < cfg.IDsPerBatch {
		return fmt.Errorf("train: only %d identities have two or more images; a batch wants %d", len(t.multi), cfg.IDsPerBatch)
	}
	return nil
}

// NewInputTrainer prepares a Trainer on prepared inputs instead of face
// images: inputs holds one row of shape per example (normalised crops for
// the whole model, or the features of a frozen trunk for a model that is
// only the head), labels the person of each row. With triplets nil every
// step mines triplets (Config.Mining) from the labels of a batch of
// IDsPerBatch × PerID rows filled to BatchSize; otherwise an epoch is one
// pass over triplets (indices of rows) in shuffled batches of
// BatchSize / 3 triplets, and labels may be nil. There is no
// distillation; the objective is the triplet loss, unless
// Config.SiameseWeight is set and TripletWeight is not. Fine-tuning uses
// it (see FineTune).
func NewInputTrainer(m *nn.Model, inputs []float32, shape []int, labels []int, triplets []loss.Triplet, cfg Config) (*Trainer, error) {
	per := 1
	for _, s := range shape {
		per *= s
	}
	if per <= 0 || len(inputs) == 0 || len(inputs)%per != 0 {
		return nil, fmt.Errorf("train: %d input values do not make rows of shape %v", len(inputs), shape)
	}
	n := len(inputs) / per
	if labels == nil {
		labels = make([]int, n)
		for i := range labels {
			labels[i] = i
		}
	}
	if len(labels) != n {
		return nil, fmt.Errorf("train: %d labels for %d input rows", len(labels), n)
	}
	for _, tr := range triplets {
		if tr.A < 0 || tr.P < 0 || tr.N < 0 || tr.A >= n || tr.P >= n || tr.N >= n {
			return nil, fmt.Errorf("train: triplet %v names a row outside 0…%d", tr, n-1)
		}
	}
	if triplets != nil && len(triplets) == 0 {
		return nil, errors.New("train: no triplets to train on")
	}
	if cfg.BatchSize < 3 {
		return nil, fmt.Errorf("train: a batch of %d cannot hold a triplet", cfg.BatchSize)
	}
	if triplets == nil && (cfg.PerID < 2 || cfg.IDsPerBatch*cfg.PerID > cfg.BatchSize) {
		return nil, fmt.Errorf("train: batch of %d cannot hold %d identities × %d images", cfg.BatchSize, cfg.IDsPerBatch, cfg.PerID)
	}
	cfg.DistillWeight, cfg.RelationWeight, cfg.ProxyWeight = 0, 0, 0
	if cfg.TripletWeight == 0 && cfg.SiameseWeight == 0 {
		cfg.TripletWeight = 1
	}
	t := &Trainer{Model: m, Config: cfg, Opt: nn.NewAdamW(cfg.LR, cfg.WeightDecay),
		labels: labels, inputs: inputs, inShape: slices.Clone(shape), triplets: triplets}
	if err := t.indexLabels(); err != nil {
		return nil, err
	}
	return t, nil
}

// StepsPerEpoch is the number of steps one epoch takes.
func (t *Trainer) StepsPerEpoch() int {
	if t.Config.StepsPerEpoch > 0 {
		return t.Config.StepsPerEpoch
	}
	if t.triplets != nil {
		per := max(1, t.Config.BatchSize/3)
		return (len(t.triplets) + per - 1) / per
	}
	return max(1, len(t.labels)/t.Config.BatchSize)
}

// schedule is linear warm-up then cosine decay to MinLR over the run.
func (t *Trainer) schedule() nn.Schedule {
	return nn.WarmupCosine{Base: t.Config.LR, Min: t.Config.MinLR, Warmup: t.Config.WarmupSteps, Total: t.Config.Epochs * t.StepsPerEpoch()}
}

// EpochStats summarises one epoch.
type EpochStats struct {
	Loss, Distill, Triplet, Proxy, Active float64
	Seconds                               float64
}

// RunEpoch trains one epoch (numbered from 0). The batches of an epoch
// depend only on the seed and the epoch number, so a run resumed from a
// checkpoint sees the same data as one that never stopped.
func (t *Trainer) RunEpoch(ctx context.Context, epoch int, progress func(Progress)) (EpochStats, error) {
	cfg := t.Config
	rng := rand.New(rand.NewPCG(cfg.Seed, uint64(epoch)+1))
	steps := t.StepsPerEpoch()
	sched := t.schedule()
	start := time.Now()
	var sum EpochStats
	var order []int // explicit triplets, shuffled for this epoch
	if t.triplets != nil {
		order = rng.Perm(len(t.triplets))
	}
	for s := 0; s < steps; s++ {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		var idx []int
		var trips []loss.Triplet
		if t.triplets != nil {
			// Consecutive slices of the shuffled triplets, wrapping
			// around when StepsPerEpoch asks for more than one pass.
			per := min(max(1, cfg.BatchSize/3), len(order))
			ks := make([]int, 0, per)
			for j := s * per; j < (s+1)*per && (j < len(order) || cfg.StepsPerEpoch > 0); j++ {
				ks = append(ks, order[j%len(order)])
			}
			idx, trips = t.tripletBatch(ks)
		} else {
			idx = t.sampleBatch(rng)
		}
		pics, views := t.pick(rng, idx)
		var pairs []siamesePair
		if cfg.SiameseWeight > 0 {
			pairs = t.batchPairs(rng, idx, pics, trips)
		}
		lr := sched.LR(t.Step)
		t.Opt.SetLR(lr)
		l, d, tr, px, act, err := t.step(idx, pics, views, trips, pairs)
		if err != nil {
			return sum, err
		}
		t.Step++
		sum.Loss += l
		sum.Distill += d
		sum.Triplet += tr
		sum.Proxy += px
		sum.Active += act
		if progress != nil {
			n := float64(s + 1)
			el := time.Since(start)
			eps := n * float64(cfg.BatchSize) / el.Seconds()
			left := time.Duration(float64(el) / n * float64(steps-s-1+(cfg.Epochs-epoch-1)*steps))
			progress(Progress{Epoch: epoch, Epochs: cfg.Epochs, Step: s + 1, Steps: steps,
				Loss: sum.Loss / n, Distill: sum.Distill / n, Triplet: sum.Triplet / n, Proxy: sum.Proxy / n, Active: sum.Active / n,
				LR: lr, ExamplesPerSec: eps, ETA: left})
		}
	}
	n := float64(steps)
	sum.Loss, sum.Distill, sum.Triplet, sum.Proxy, sum.Active = sum.Loss/n, sum.Distill/n, sum.Triplet/n, sum.Proxy/n, sum.Active/n
	sum.Seconds = time.Since(start).Seconds()
	return sum, nil
}

// tripletBatch returns the rows the triplets t.triplets[k], k in ks, use,
// each once, and the triplets as positions in that batch.
func (t *Trainer) tripletBatch(ks []int) ([]int, []loss.Triplet) {
	pos := map[int]int{}
	var idx []int
	at := func(i int) int {
		if p, ok := pos[i]; ok {
			return p
		}
		pos[i] = len(idx)
		idx = append(idx, i)
		return pos[i]
	}
	trips := make([]loss.Triplet, len(ks))
	for j, k := range ks {
		tr := t.triplets[k]
		trips[j] = loss.Triplet{A: at(tr.A), P: at(tr.P), N: at(tr.N)}
	}
	return idx, trips
}

// SetFamilies tells the trainer which identities are relatives:
// family[label] is the family of the identity with that label (any
// number), or -1 for an identity of no known family. Sampling uses it when
// Config.KinShare > 0.
func (t *Trainer) SetFamilies(family []int) error {
	t.kin = map[int][]int{}
	members := map[int][]int{}
	for _, l := range t.multi {
		if l < 0 || l >= len(family) {
			return fmt.Errorf("train: label %d has no family entry (%d given)", l, len(family))
		}
		if f := family[l]; f >= 0 {
			members[f] = append(members[f], l)
		}
	}
	for _, ls := range members {
		for _, l := range ls {
			for _, r := range ls {
				if r != l {
					t.kin[l] = append(t.kin[l], r)
				}
			}
		}
	}
	return nil
}

// sampleBatch picks IDsPerBatch identities × PerID images, then fills the
// batch with random samples (each index at most once). With
// Config.KinShare, an identity brings a relative along (SetFamilies) with
// that probability.
func (t *Trainer) sampleBatch(rng *rand.Rand) []int {
	cfg := t.Config
	used := map[int]bool{}
	var idx []int
	take := func(label int) {
		imgs := t.byLabel[label]
		for _, j := range rng.Perm(len(imgs))[:min(cfg.PerID, len(imgs))] {
			idx = append(idx, imgs[j])
			used[imgs[j]] = true
		}
	}
	taken := map[int]bool{}
	ids := 0
	for _, k := range rng.Perm(len(t.multi)) {
		if ids == cfg.IDsPerBatch {
			break
		}
		l := t.multi[k]
		if taken[l] {
			continue // already in the batch as someone's relative
		}
		taken[l] = true
		take(l)
		ids++
		if rel := t.kin[l]; ids < cfg.IDsPerBatch && len(rel) > 0 && cfg.KinShare > 0 && rng.Float64() < cfg.KinShare {
			var free []int
			for _, r := range rel {
				if !taken[r] {
					free = append(free, r)
				}
			}
			if len(free) > 0 {
				r := free[rng.IntN(len(free))]
				taken[r] = true
				take(r)
				ids++
			}
		}
	}
	for len(idx) < cfg.BatchSize {
		if len(used) >= len(t.labels) {
			break // a small data set: every row is in the batch
		}
		j := rng.IntN(len(t.labels))
		if !used[j] {
			used[j] = true
			idx = append(idx, j)
		}
	}
	return idx
}

// pick chooses how each sample of a batch is seen (pics): with view
// targets, as one of its views in any set, drawn uniformly (views: its
// number across the sets, see whichView), its blurs scaled to the
// trainer's crop when the set was made for another (Views.Crop);
// otherwise through a fresh jitter (views nil); with prepared inputs, as
// they are (both nil).
func (t *Trainer) pick(rng *rand.Rand, idx []int) (pics []View, views []int) {
	if sets := t.views(); len(sets) > 0 {
		pics, views = make([]View, len(idx)), make([]int, len(idx))
		n := viewCount(sets)
		for i := range pics {
			views[i] = rng.IntN(n)
			vw, v := whichView(sets, views[i])
			pics[i] = vw.View(idx[i], v)
			if c := vw.Crop; c.Width != 0 && c.PupilDistance() != t.Template.PupilDistance() {
				pics[i] = pics[i].scaleBlur(t.Template.PupilDistance() / c.PupilDistance())
			}
		}
		return pics, views
	}
	if t.inputs == nil {
		pics = make([]View, len(idx))
		for i := range pics {
			pics[i] = plainView(t.Config.Jitter.Sample(rng))
		}
	}
	return pics, nil
}

// views returns the sets of view targets the trainer distils on, or nil.
func (t *Trainer) views() []*Views {
	if t.targets == nil || t.inputs != nil {
		return nil
	}
	return t.targets.Views
}

// target returns the teacher's embedding of the k-th face of a batch:
// sample idx[k] seen as pics[k], which is view views[k] of it when
// training on view targets (numbered across the sets, see whichView).
func (t *Trainer) target(idx []int, pics []View, views []int, k int) []float32 {
	if views != nil {
		vw, v := whichView(t.targets.Views, views[k])
		return vw.Vecs[idx[k]*vw.Count+v]
	}
	return t.targets.For(idx[k], pics[k].Jitter.Flip)
}

// step runs one optimizer step on the samples idx seen as pics (views:
// which view target each is, nil without view targets) and
// returns the total loss, its distillation, triplet and proxy parts, and
// the fraction of active triplets (with the Siamese objective alone, of the
// pairs its head gets wrong). trips are the batch's triplets (positions
// in idx); nil means mine them from the labels. pairs are the Siamese
// objective's pairs (positions in idx).
func (t *Trainer) step(idx []int, pics []View, views []int, trips []loss.Triplet, pairs []siamesePair) (total, distill, triplet, proxy, active float64, err error) {
	cfg := t.Config
	n := len(idx)
	var x *tensor.Dense
	if t.inputs != nil {
		per := len(t.inputs) / len(t.labels)
		t.input = slices.Grow(t.input[:0], n*per)
		for _, i := range idx {
			t.input = append(t.input, t.inputs[i*per:(i+1)*per]...)
		}
		x, err = nn.FromSlice(t.input, append([]int{n}, t.inShape...)...)
	} else {
		if err := t.alignBatch(idx, pics); err != nil {
			return 0, 0, 0, 0, 0, err
		}
		x, err = nn.FromSlice(t.input, n, t.Template.Height, t.Template.Width, 3)
	}
	if err != nil {
		return 0, 0, 0, 0, 0, err
	}
	y, err := t.Model.Forward(x, true)
	if err != nil {
		return 0, 0, 0, 0, 0, err
	}
	dim := y.Shape()[1]
	ys := y.Float32s()
	emb := make([][]float32, n)
	labels := make([]int, n)
	for i := range emb {
		emb[i] = ys[i*dim : (i+1)*dim]
		labels[i] = t.labels[idx[i]]
	}
	grad := make([]float32, n*dim)
	// Distillation: mean over the batch of ‖f(x) − t(x)‖²; gradient 2(f − t)/n.
	if cfg.DistillWeight > 0 {
		for i := range emb {
			tv := t.target(idx, pics, views, i)
			if len(tv) != dim {
				return 0, 0, 0, 0, 0, fmt.Errorf("train: teacher embeddings have %d values, the model makes %d", len(tv), dim)
			}
			var s float64
			for k, v := range emb[i] {
				d := v - tv[k]
				s += float64(d * d)
				grad[i*dim+k] += cfg.DistillWeight * 2 * d / float32(n)
			}
			distill += s / float64(n)
		}
	}
	// Relational distillation: the teacher's distances between the
	// batch's faces (loss.RelationalDistance).
	var relation float64
	if cfg.RelationWeight > 0 {
		tvs := make([][]float32, n)
		for i := range tvs {
			tvs[i] = t.target(idx, pics, views, i)
		}
		l, g, err := loss.RelationalDistance(emb, tvs)
		if err != nil {
			return 0, 0, 0, 0, 0, err
		}
		relation = float64(l)
		addRows(grad, g, cfg.RelationWeight)
	}
	// Triplet loss on the given or mined triplets, mean over them.
	if cfg.TripletWeight > 0 {
		if trips == nil {
			if trips, err = mineUnmixed(cfg.Mining.miner(), emb, labels, pics, cfg.Margin); err != nil {
				return 0, 0, 0, 0, 0, err
			}
		}
		if len(trips) > 0 {
			l, g, act, err := loss.TripletLossReduced(emb, trips, cfg.Margin, loss.Mean)
			if err != nil {
				return 0, 0, 0, 0, 0, err
			}
			triplet = float64(l)
			active = float64(act) / float64(len(trips))
			addRows(grad, g, cfg.TripletWeight)
		}
	}
	// The softmax over every person's proxy, mean over the batch's faces
	// that are someone.
	if cfg.ProxyWeight > 0 && t.proxies != nil {
		if t.proxies.dim != dim {
			return 0, 0, 0, 0, 0, fmt.Errorf("train: the proxies have %d values, the model makes %d", t.proxies.dim, dim)
		}
		classes := make([]int, n)
		for i := range classes {
			classes[i] = t.proxies.class[idx[i]]
			if pics != nil && pics[i].Composite() {
				classes[i] = -1
			}
		}
		l, g, err := loss.ProxySoftmax(emb, classes, t.proxies.vecs, cfg.ProxyScale, cfg.ProxyMargin)
		if err != nil {
			return 0, 0, 0, 0, 0, err
		}
		proxy = float64(l)
		addRows(grad, g, cfg.ProxyWeight)
	}
	// The Siamese head's cross-entropy on the pairs, mean over them.
	var siamese float64
	if cfg.SiameseWeight > 0 {
		var wrong float64
		if siamese, wrong, err = t.siameseLoss(emb, pairs, grad); err != nil {
			return 0, 0, 0, 0, 0, err
		}
		if cfg.TripletWeight == 0 {
			active = wrong
		}
	}
	total = float64(cfg.DistillWeight)*distill + float64(cfg.TripletWeight)*triplet + float64(cfg.RelationWeight)*relation +
		float64(cfg.SiameseWeight)*siamese + float64(cfg.ProxyWeight)*proxy
	if math.IsNaN(total) || math.IsInf(total, 0) {
		return 0, 0, 0, 0, 0, fmt.Errorf("train: loss is %v at step %d; lower the learning rate", total, t.Step)
	}
	dy, err := nn.FromSlice(grad, n, dim)
	if err != nil {
		return 0, 0, 0, 0, 0, err
	}
	t.Model.ZeroGrad()
	if _, err := t.Model.Backward(dy); err != nil {
		return 0, 0, 0, 0, 0, err
	}
	params := t.Model.Params()
	if hp := t.headParams(); hp != nil {
		params = append(slices.Clip(params), hp...)
	}
	if cfg.ClipNorm > 0 {
		if norm := nn.ClipGradNorm(params, cfg.ClipNorm); math.IsNaN(float64(norm)) || math.IsInf(float64(norm), 0) {
			return 0, 0, 0, 0, 0, fmt.Errorf("train: gradient norm is %v at step %d; lower the learning rate", norm, t.Step)
		}
	}
	if err := t.Opt.Step(params); err != nil {
		return 0, 0, 0, 0, 0, err
	}
	t.syncHead()
	return total, distill, triplet, proxy, active, nil
}

// addRows adds w times the gradient rows g, one per face of the batch,
// into grad, the batch's gradient laid out row after row.
func addRows(grad []float32, g [][]float32, w float32) {
	for i, row := range g {
		dst := grad[i*len(row) : (i+1)*len(row)]
		for k, v := range row {
			dst[k] += w * v
		}
	}
}

// alignBatch writes the normalised crops of idx, seen as pics, into
// t.input.
func (t *Trainer) alignBatch(idx []int, pics []View) error {
	per := t.Template.Width * t.Template.Height * 3
	for len(t.crops) < len(idx) {
		t.crops = append(t.crops, t.Template.NewCrop())
	}
	workers := max(1, t.Config.Workers)
	for len(t.scratch) < workers {
		t.scratch = append(t.scratch, t.Template.NewCrop())
	}
	if cap(t.input) < per*len(idx) {
		t.input = make([]float32, per*len(idx))
	}
	t.input = t.input[:per*len(idx)]
	errs := make([]error, len(idx))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(idx); i += workers {
				if err := alignView(t.crops[i], t.scratch[w], t.samples, idx[i], pics[i], t.Template, 1); err != nil {
					errs[i] = err
					continue
				}
				errs[i] = face.Tensor(t.input[i*per:(i+1)*per], t.crops[i], t.Norm)
			}
		}(w)
	}
	wg.Wait()
	return errors.Join(errs...)
}

// mineUnmixed mines triplets among the batch's faces that are not blends,
// swaps or warps (pics[k].Composite()): such a face is mostly its own
// person but not only, so it is neither a fair positive nor a fair
// negative. It is still distilled.
// The triplets name rows of emb.
func mineUnmixed(mine loss.Miner, emb [][]float32, labels []int, pics []View, margin float32) ([]loss.Triplet, error) {
	var rows []int
	for k := range emb {
		if pics == nil || !pics[k].Composite() {
			rows = append(rows, k)
		}
	}
	if len(rows) == len(emb) {
		return mine(emb, labels, margin)
	}
	if len(rows) < 2 {
		return nil, nil // no pair left to mine from
	}
	sub, subLabels := make([][]float32, len(rows)), make([]int, len(rows))
	for j, k := range rows {
		sub[j], subLabels[j] = emb[k], labels[k]
	}
	trips, err := mine(sub, subLabels, margin)
	for j := range trips {
		trips[j] = loss.Triplet{A: rows[trips[j].A], P: rows[trips[j].P], N: rows[trips[j].N]}
	}
	return trips, err
}
