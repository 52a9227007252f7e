package train

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/loss"
	"github.com/oneshotface/oneshot/nn"
)

// Fine-tuning modes.
const (
	// ModeHead freezes the convolutional trunk, computes its features of
	// every crop once and trains only the last layers on them: fast, and
	// safe with a handful of images.
	ModeHead = "head"
	// ModeFull back-propagates through the whole network: slower, for
	// more data.
	ModeFull = "full"
)

// Fine-tuning objectives: the two formulations of the notes the project
// started from. Either way the embedding is what verification uses, by
// its distance, and the held-out triplets judge the result alike.
const (
	// ObjectiveTriplet trains with the triplet loss on semi-hard triplets
	// mined from the labels (or the triplets given).
	ObjectiveTriplet = "triplet"
	// ObjectiveSiamese trains a binary head ŷ = σ(Σₖ wₖ |f(x1)ₖ − f(x2)ₖ| + b)
	// with cross-entropy on balanced same-person and different-people
	// pairs, jointly with the network (see Config.SiameseWeight). The head
	// starts as the distance verifier (loss.FitSiameseHead) and is
	// dropped afterwards: only the embedding is kept.
	ObjectiveSiamese = "siamese"
)

// FineTuneOptions are the knobs of FineTune; zero fields take the
// defaults of DefaultFineTuneOptions.
type FineTuneOptions struct {
	Mode   string  // ModeHead (default) or ModeFull
	Epochs int     // passes over the training triplets
	Margin float32 // triplet margin on squared distances (ObjectiveTriplet only)
	LR     float32 // AdamW learning rate (cosine-decayed to LR/10)
	// Objective is ObjectiveTriplet (default) or ObjectiveSiamese.
	Objective string
	// HeadFrom names the first layer of the head in ModeHead: the layers
	// before it form the frozen trunk.
	HeadFrom string
	// BatchSize is the most crops in one step.
	BatchSize int
	Seed      uint64
}

// DefaultFineTuneOptions are the defaults: head mode from the embedding
// layer, the triplet objective, 30 epochs, margin 0.2, learning rate 3e-3.
func DefaultFineTuneOptions() FineTuneOptions {
	return FineTuneOptions{Mode: ModeHead, Objective: ObjectiveTriplet, Epochs: 30, Margin: 0.2, LR: 3e-3, HeadFrom: "embed", BatchSize: 64, Seed: 1}
}

// Limits of FineTune's options.
const (
	MaxFineTuneEpochs = 1000
	MaxFineTuneCrops  = 512
)

func (o FineTuneOptions) withDefaults() (FineTuneOptions, error) {
	d := DefaultFineTuneOptions()
	if o.Mode == "" {
		o.Mode = d.Mode
	}
	if o.Objective == "" {
		o.Objective = d.Objective
	}
	if o.Epochs == 0 {
		o.Epochs = d.Epochs
	}
	if o.Margin == 0 {
		o.Margin = d.Margin
	}
	if o.LR == 0 {
		o.LR = d.LR
	}
	if o.HeadFrom == "" {
		o.HeadFrom = d.HeadFrom
	}
	if o.BatchSize == 0 {
		o.BatchSize = d.BatchSize
	}
	if o.Seed == 0 {
		o.Seed = d.Seed
	}
	switch {
	case o.Mode != ModeHead && o.Mode != ModeFull:
		return o, fmt.Errorf("mode is %q: use %q (train the last layers) or %q (the whole network)", o.Mode, ModeHead, ModeFull)
	case o.Objective != ObjectiveTriplet && o.Objective != ObjectiveSiamese:
		return o, fmt.Errorf("objective is %q: use %q (the triplet loss, the default) or %q (a binary head on pairs)", o.Objective, ObjectiveTriplet, ObjectiveSiamese)
	case o.Epochs < 1 || o.Epochs > MaxFineTuneEpochs:
		return o, fmt.Errorf("epochs is %d: use 1 to %d", o.Epochs, MaxFineTuneEpochs)
	case !(o.Margin > 0) || o.Margin > 4:
		return o, fmt.Errorf("margin is %v: use a number above 0 and at most 4 (squared distances of unit vectors lie in 0…4)", o.Margin)
	case !(o.LR > 0) || math.IsInf(float64(o.LR), 0):
		return o, fmt.Errorf("learning rate is %v: use a positive number such as 0.001", o.LR)
	case o.BatchSize < 3:
		return o, fmt.Errorf("batch size is %d: a batch must hold at least one triplet (3 crops)", o.BatchSize)
	}
	return o, nil
}

// FineTuneData is what FineTune learns from: aligned crops of the model's
// template, with either a person label per crop (all valid triplets are
// used, hardest first) or explicit triplets of crop indices.
type FineTuneData struct {
	Crops    []*image.RGBA
	Labels   []int
	Triplets []loss.Triplet
	// Others are crops of other people (such as the enrolled gallery's),
	// with their labels, never trained on: their triplets join the
	// held-out ones, so that a run that separates the new people by
	// wrecking the embedding of everyone else is rolled back. They must
	// not show the people of Crops.
	Others      []*image.RGBA
	OtherLabels []int
}

// Score is a model's verification on a set of triplets: mean squared
// distances of the matched (anchor–positive) and mismatched
// (anchor–negative) pairs, their difference, the fraction of triplets
// where the positive is the nearer, and the area under the ROC curve of
// verifying the triplets' distinct pairs (the chance that a mismatched
// pair is farther apart than a matched one).
type Score struct {
	Matched    float64 `json:"matched"`
	Mismatched float64 `json:"mismatched"`
	Gap        float64 `json:"gap"`
	// Separation is Gap / Mismatched, 1 − matched/mismatched: the gap
	// free of the distances' scale, so that a model which only scatters
	// every face (raising both distances) does not look better.
	Separation float64 `json:"separation"`
	Accuracy   float64 `json:"accuracy"`
	AUC        float64 `json:"auc"`
	Triplets   int     `json:"triplets"`
}

// NotWorse reports whether s is at least as good as before: its
// Separation (the gap between mismatched and matched distances relative
// to the mismatched ones) did not shrink, with a tolerance of
// SeparationTolerance (a run whose triplets were all beyond the margin
// from the start changes the weights only by weight decay), and its AUC
// fell by no more than AUCTolerance. The Separation is a ratio of means,
// so a wrecked model that throws a few mismatched faces very far apart
// can raise it while most pairs get mixed up (measured with the shipped
// model at learning rate 1000: Separation 0.315 → 0.337, AUC 0.93 →
// 0.62); the AUC, a count of ordered pairs, is not fooled that way. With
// the one or two held-out captures a person has in the tab a single
// picture moves the AUC by more than the tolerance, so a run that swaps
// one pair is rolled back too: keeping the old model is the safe side.
// Nor may the fraction of held-out triplets the model gets right (Accuracy)
// fall at all: a triplet it got right and now gets wrong, with none set
// right in exchange, is a verdict the user sees turn wrong, even when the
// AUC over a larger held-out set moves by less than its tolerance
// (measured with the second shipped compact model at learning rate 1000,
// head mode: Separation 0.43 → 0.76, AUC 1 → 0.976, Accuracy 1 → 0.958).
func (s Score) NotWorse(before Score) bool {
	return !math.IsNaN(s.Separation) && !math.IsInf(s.Separation, 0) && s.Separation >= before.Separation-SeparationTolerance &&
		s.AUC >= before.AUC-AUCTolerance && s.Accuracy >= before.Accuracy
}

// SeparationTolerance is how much smaller a held-out Separation may be
// and still count as not worse.
const SeparationTolerance = 1e-4

// AUCTolerance is how much lower a held-out AUC may be and still count
// as not worse.
const AUCTolerance = 0.05

// FineTuneProgress is reported after every step.
type FineTuneProgress struct {
	Epoch  int     `json:"epoch"` // 1-based
	Epochs int     `json:"epochs"`
	Step   int     `json:"step"`
	Steps  int     `json:"steps"`
	Loss   float64 `json:"loss"`   // running mean over the epoch
	Active float64 `json:"active"` // fraction of triplets with a positive loss (siamese: of pairs its head gets wrong)
}

// FineTuneResult says what FineTune did.
type FineTuneResult struct {
	Mode string `json:"mode"`
	// Objective is ObjectiveTriplet or ObjectiveSiamese.
	Objective string `json:"objective"`
	// Before and After are the held-out scores of the old and new model
	// (After is the zero Score when training failed).
	Before Score `json:"before"`
	After  Score `json:"after"`
	// Kept is true when the new weights replace the old; Reason says why
	// they did not.
	Kept   bool   `json:"kept"`
	Reason string `json:"reason,omitempty"`
	// Triplets is the number of training triplets; HeldOut the number
	// of held-out ones Before and After were measured on, the Others'
	// included (0: too little data to hold any out, so the scores are on
	// the training triplets).
	Triplets int     `json:"triplets"`
	HeldOut  int     `json:"heldOut"`
	Epochs   int     `json:"epochs"`
	Loss     float64 `json:"loss"` // the objective's, of the last epoch
	Seconds  float64 `json:"seconds"`

	// Pairs is, with ObjectiveSiamese, the number of training pairs: the
	// training triplets' two pairs each, or the training captures'
	// same-person pairs and as many different-people ones (or the other
	// way round when those are fewer).
	Pairs int `json:"pairs,omitempty"`
}

// maxHeldOutTriplets caps the triplets a held-out score is measured on.
const maxHeldOutTriplets = 4096

// FineTune adapts m to data with the triplet loss or the Siamese head's
// (opt.Objective), on a copy, and returns the tuned copy when its score on
// held-out triplets did not get worse than m's, whichever the objective;
// otherwise it returns nil, with the result saying why. m itself is
// never changed. A cancelled ctx stops it with ctx's error. Batch norm
// layers keep their running statistics (FrozenStats), which a handful of
// crops could not estimate.
func FineTune(ctx context.Context, m *nn.Model, norm face.Normalization, data FineTuneData, opt FineTuneOptions, progress func(FineTuneProgress)) (*nn.Model, FineTuneResult, error) {
	start := time.Now()
	var res FineTuneResult
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, res, err
	}
	res.Mode, res.Objective, res.Epochs = opt.Mode, opt.Objective, opt.Epochs
	trainIdx, trainLabels, trainTrips, heldTrips, err := splitFineTune(data)
	if err != nil {
		return nil, res, err
	}
	res.HeldOut = len(heldTrips)
	if len(heldTrips) == 0 {
		heldTrips = allTriplets(trainIdx, trainLabels, trainTrips)
	}
	if len(data.Others) != len(data.OtherLabels) {
		return nil, res, fmt.Errorf("%d other crops with %d labels", len(data.Others), len(data.OtherLabels))
	}
	if len(data.Others) > 0 {
		idx := make([]int, len(data.Others))
		for i := range idx {
			idx[i] = len(data.Crops) + i
		}
		other := allTriplets(idx, data.OtherLabels, nil)
		res.HeldOut += len(other)
		heldTrips = append(heldTrips, other...)
	}
	inputs, err := cropInputs(m, append(slices.Clone(data.Crops), data.Others...), norm)
	if err != nil {
		return nil, res, err
	}
	tuned, err := m.Clone()
	if err != nil {
		return nil, res, err
	}
	// What trains and what scores: the whole model on the crops, or in
	// head mode the head on the trunk's features of every crop, computed
	// once (the trunk is frozen, so the scores before and after need it
	// only once too).
	trainee, evalNet := tuned, tuned.Net
	shape := []int{m.Input[0], m.Input[1], m.Input[2]}
	if opt.Mode == ModeHead {
		seq, ok := tuned.Net.(*nn.Sequential)
		if !ok {
			return nil, res, errors.New("head mode needs a model that is a sequence of layers; use full mode")
		}
		k := headStart(seq, opt.HeadFrom)
		if k <= 0 {
			return nil, res, fmt.Errorf("head mode: the model has no layer %q after its first to start the head at; use full mode", opt.HeadFrom)
		}
		trunk := nn.NewSequential("trunk", seq.Layers[:k]...)
		if inputs, shape, err = forwardRows(ctx, trunk, inputs, len(data.Crops)+len(data.Others), shape); err != nil {
			return nil, res, fmt.Errorf("head mode: computing the trunk's features: %w", err)
		}
		evalNet = nn.NewSequential("", seq.Layers[k:]...)
		trainee = &nn.Model{Net: evalNet}
	}
	if res.Before, err = score(ctx, evalNet, inputs, shape, heldTrips); err != nil {
		return nil, res, err
	}
	setFrozenStats(tuned.Net, true)
	defer setFrozenStats(tuned.Net, false)
	per := len(inputs) / (len(data.Crops) + len(data.Others))
	rows := make([]float32, 0, len(trainIdx)*per)
	for _, i := range trainIdx {
		rows = append(rows, inputs[i*per:(i+1)*per]...)
	}
	cfg := Config{
		Epochs: opt.Epochs, BatchSize: opt.BatchSize, LR: opt.LR, MinLR: opt.LR / 10, WeightDecay: 1e-4,
		ClipNorm: 5, Margin: opt.Margin, TripletWeight: 1, Seed: opt.Seed, Mining: MineSemiHard,
	}
	if trainTrips == nil {
		// From labels: every step mines semi-hard triplets, hardest first,
		// from a batch of (up to BatchSize of) the training crops.
		ids := map[int]int{}
		for _, l := range trainLabels {
			ids[l]++
		}
		multi := 0
		for _, n := range ids {
			if n >= 2 {
				multi++
			}
		}
		cfg.IDsPerBatch = min(multi, max(2, opt.BatchSize/4))
		cfg.PerID = max(2, opt.BatchSize/max(1, cfg.IDsPerBatch))
		cfg.BatchSize = min(opt.BatchSize, len(trainIdx))
		cfg.PerID = min(cfg.PerID, cfg.BatchSize/max(1, cfg.IDsPerBatch))
		cfg.StepsPerEpoch = max(1, (len(trainIdx)+cfg.BatchSize-1)/cfg.BatchSize)
	}
	res.Triplets = len(trainTrips)
	if trainTrips == nil {
		res.Triplets = countTriplets(trainLabels)
	}
	if opt.Objective == ObjectiveSiamese {
		cfg.TripletWeight, cfg.SiameseWeight = 0, 1
		res.Pairs = 2 * len(trainTrips)
		if trainTrips == nil {
			res.Pairs = countBalancedPairs(trainLabels)
		}
	}
	tr, err := NewInputTrainer(trainee, rows, shape, trainLabels, trainTrips, cfg)
	if err != nil {
		return nil, res, err
	}
	var trainErr error
	for ep := 0; ep < opt.Epochs; ep++ {
		st, err := tr.RunEpoch(ctx, ep, func(p Progress) {
			if progress != nil {
				progress(FineTuneProgress{Epoch: ep + 1, Epochs: opt.Epochs, Step: p.Step, Steps: p.Steps, Loss: p.Loss, Active: p.Active})
			}
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil, res, ctx.Err()
			}
			trainErr = err
			break
		}
		res.Loss = st.Loss
	}
	if err := ctx.Err(); err != nil {
		return nil, res, err
	}
	setFrozenStats(tuned.Net, false)
	if trainErr == nil {
		res.After, trainErr = score(ctx, evalNet, inputs, shape, heldTrips)
		if err := ctx.Err(); err != nil {
			return nil, res, err
		}
	}
	res.Seconds = time.Since(start).Seconds()
	switch {
	case trainErr != nil:
		res.Reason = "training failed, the previous model is kept: " + strings.TrimPrefix(trainErr.Error(), "train: ")
	case !res.After.NotWorse(res.Before):
		res.Reason = fmt.Sprintf("the held-out result got worse (separation, 1 − matched/mismatched distance, %.4f → %.4f; AUC %.3f → %.3f; triplets right %.0f%% → %.0f%%), so the previous model is kept; try a lower learning rate or fewer epochs",
			res.Before.Separation, res.After.Separation, res.Before.AUC, res.After.AUC, 100*res.Before.Accuracy, 100*res.After.Accuracy)
	default:
		res.Kept = true
		if tuned.Meta == nil {
			tuned.Meta = map[string]string{}
		}
		tuned.Meta["fine_tuned"] = fmt.Sprintf("%s, %d triplets, %d epochs, lr %g, margin %g", opt.Mode, res.Triplets, opt.Epochs, opt.LR, opt.Margin)
		if opt.Objective == ObjectiveSiamese {
			tuned.Meta["fine_tuned"] = fmt.Sprintf("%s, siamese, %d pairs, %d epochs, lr %g", opt.Mode, res.Pairs, opt.Epochs, opt.LR)
		}
		return tuned, res, nil
	}
	return nil, res, nil
}

// splitFineTune checks data and splits it into training crops (indices,
// their labels, and triplets re-indexed into them, or nil to mine from the
// labels) and held-out triplets (indices of data.Crops).
func splitFineTune(d FineTuneData) (trainIdx, trainLabels []int, trainTrips, held []loss.Triplet, err error) {
	n := len(d.Crops)
	switch {
	case n == 0:
		return nil, nil, nil, nil, errors.New("no captures to fine-tune on")
	case n > MaxFineTuneCrops:
		return nil, nil, nil, nil, fmt.Errorf("%d captures: the limit is %d", n, MaxFineTuneCrops)
	case d.Triplets != nil && d.Labels != nil:
		return nil, nil, nil, nil, errors.New("pass labelled captures or triplets, not both")
	case d.Triplets == nil && len(d.Labels) != n:
		return nil, nil, nil, nil, fmt.Errorf("%d labels for %d captures", len(d.Labels), n)
	}
	for i, c := range d.Crops {
		if c == nil {
			return nil, nil, nil, nil, fmt.Errorf("capture %d is nil", i)
		}
	}
	if d.Triplets != nil {
		if len(d.Triplets) == 0 {
			return nil, nil, nil, nil, errors.New("no triplets to fine-tune on")
		}
		for i, t := range d.Triplets {
			if t.A < 0 || t.P < 0 || t.N < 0 || t.A >= n || t.P >= n || t.N >= n {
				return nil, nil, nil, nil, fmt.Errorf("triplet %d names a capture outside 0…%d", i, n-1)
			}
			if t.A == t.N || t.P == t.N {
				return nil, nil, nil, nil, fmt.Errorf("triplet %d uses the same capture as positive or anchor and negative", i)
			}
		}
		// Hold out every fourth triplet when there are at least four.
		var train []loss.Triplet
		for i, t := range d.Triplets {
			if len(d.Triplets) >= 4 && i%4 == 3 {
				held = append(held, t)
			} else {
				train = append(train, t)
			}
		}
		// Training rows: the crops the training triplets use.
		pos := map[int]int{}
		at := func(i int) int {
			if p, ok := pos[i]; ok {
				return p
			}
			pos[i] = len(trainIdx)
			trainIdx = append(trainIdx, i)
			return pos[i]
		}
		for _, t := range train {
			trainTrips = append(trainTrips, loss.Triplet{A: at(t.A), P: at(t.P), N: at(t.N)})
		}
		trainLabels = make([]int, len(trainIdx))
		for i := range trainLabels {
			trainLabels[i] = i
		}
		return trainIdx, trainLabels, trainTrips, held, nil
	}
	// Labelled captures: hold out the last capture of each person with
	// three or more (so two stay to train on).
	byLabel := map[int][]int{}
	var order []int
	for i, l := range d.Labels {
		if _, ok := byLabel[l]; !ok {
			order = append(order, l)
		}
		byLabel[l] = append(byLabel[l], i)
	}
	heldOut := map[int]bool{}
	for _, l := range order {
		if idx := byLabel[l]; len(idx) >= 3 {
			heldOut[idx[len(idx)-1]] = true
		}
	}
	for i, l := range d.Labels {
		if !heldOut[i] {
			trainIdx = append(trainIdx, i)
			trainLabels = append(trainLabels, l)
		}
	}
	if countTriplets(trainLabels) == 0 {
		return nil, nil, nil, nil, errors.New("the captures make no triplet: give at least two people, one of them with two or more captures")
	}
	for i := 0; i < n && len(heldOut) > 0; i++ {
		if !heldOut[i] {
			continue
		}
		for _, p := range byLabel[d.Labels[i]] {
			if p == i {
				continue
			}
			for k, l := range d.Labels {
				if l != d.Labels[i] && len(held) < maxHeldOutTriplets {
					held = append(held, loss.Triplet{A: i, P: p, N: k})
				}
			}
		}
	}
	return trainIdx, trainLabels, nil, held, nil
}

// allTriplets returns the training triplets in indices of the crops, for
// scoring when nothing could be held out.
func allTriplets(trainIdx, labels []int, trips []loss.Triplet) []loss.Triplet {
	var out []loss.Triplet
	if trips != nil {
		for _, t := range trips {
			out = append(out, loss.Triplet{A: trainIdx[t.A], P: trainIdx[t.P], N: trainIdx[t.N]})
		}
		return out
	}
	for a := range labels {
		for p := range labels {
			if p == a || labels[p] != labels[a] {
				continue
			}
			for n := range labels {
				if labels[n] != labels[a] && len(out) < maxHeldOutTriplets {
					out = append(out, loss.Triplet{A: trainIdx[a], P: trainIdx[p], N: trainIdx[n]})
				}
			}
		}
	}
	return out
}

// countTriplets counts the valid (anchor, positive, negative) triplets of
// labels.
func countTriplets(labels []int) int {
	by := map[int]int{}
	for _, l := range labels {
		by[l]++
	}
	n := 0
	for _, c := range by {
		n += c * (c - 1) * (len(labels) - c)
	}
	return n
}

// cropInputs normalises the crops into one slice of m's input rows.
func cropInputs(m *nn.Model, crops []*image.RGBA, norm face.Normalization) ([]float32, error) {
	h, w := m.Input[0], m.Input[1]
	if h == 0 || w == 0 || m.Input[2] != 3 {
		return nil, fmt.Errorf("the model's input shape %v is not an RGB crop", m.Input)
	}
	per := h * w * 3
	out := make([]float32, per*len(crops))
	for i, c := range crops {
		if b := c.Bounds(); b.Dx() != w || b.Dy() != h {
			return nil, fmt.Errorf("capture %d is a %d×%d crop, the model takes %d×%d", i, b.Dx(), b.Dy(), w, h)
		}
		if err := face.Tensor(out[i*per:(i+1)*per], c, norm); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// forwardRows runs n rows of shape through l in inference mode, in chunks,
// and returns the outputs and their per-row shape.
func forwardRows(ctx context.Context, l nn.Layer, rows []float32, n int, shape []int) ([]float32, []int, error) {
	const chunk = 16
	per := len(rows) / n
	var out []float32
	var outShape []int
	for lo := 0; lo < n; lo += chunk {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		hi := min(lo+chunk, n)
		x, err := nn.FromSlice(rows[lo*per:hi*per], append([]int{hi - lo}, shape...)...)
		if err != nil {
			return nil, nil, err
		}
		y, err := l.Forward(x, false)
		if err != nil {
			return nil, nil, err
		}
		s := y.Shape()
		outShape = append(outShape[:0], s[1:]...)
		out = append(out, y.Float32s()...)
	}
	return out, outShape, nil
}

// embedAll embeds every input row of shape with net in inference mode.
func embedAll(ctx context.Context, net nn.Layer, inputs []float32, shape []int) ([][]float32, error) {
	per := 1
	for _, s := range shape {
		per *= s
	}
	n := len(inputs) / per
	y, _, err := forwardRows(ctx, net, inputs, n, shape)
	if err != nil {
		return nil, err
	}
	dim := len(y) / n
	emb := make([][]float32, n)
	for i := range emb {
		emb[i] = y[i*dim : (i+1)*dim]
	}
	return emb, nil
}

// score measures net on the triplets (indices of the input rows of shape).
func score(ctx context.Context, net nn.Layer, inputs []float32, shape []int, trips []loss.Triplet) (Score, error) {
	emb, err := embedAll(ctx, net, inputs, shape)
	if err != nil {
		return Score{}, err
	}
	d := func(a, b int) float64 {
		var s float64
		for k, v := range emb[a] {
			x := float64(v - emb[b][k])
			s += x * x
		}
		return s
	}
	var s Score
	type pair struct{ a, b int }
	key := func(a, b int) pair { return pair{min(a, b), max(a, b)} }
	matched, mismatched := map[pair]float64{}, map[pair]float64{}
	for _, t := range trips {
		ap, an := d(t.A, t.P), d(t.A, t.N)
		matched[key(t.A, t.P)] = ap
		mismatched[key(t.A, t.N)] = an
		s.Matched += ap
		s.Mismatched += an
		if ap < an {
			s.Accuracy++
		}
	}
	if k := float64(len(trips)); k > 0 {
		s.Matched, s.Mismatched, s.Accuracy = s.Matched/k, s.Mismatched/k, s.Accuracy/k
	}
	s.Gap = s.Mismatched - s.Matched
	if s.Mismatched > 0 {
		s.Separation = s.Gap / s.Mismatched
	}
	s.Triplets = len(trips)
	var wins float64
	for _, m := range matched {
		for _, x := range mismatched {
			switch {
			case x > m:
				wins++
			case x == m:
				wins += 0.5
			}
		}
	}
	if n := len(matched) * len(mismatched); n > 0 {
		s.AUC = wins / float64(n)
	}
	return s, nil
}

// headStart is the index of the first layer of seq named name (or name.*),
// or -1.
func headStart(seq *nn.Sequential, name string) int {
	for i, l := range seq.Layers {
		if n := l.Spec().Name; n == name || strings.HasPrefix(n, name+".") {
			return i
		}
	}
	return -1
}

// setFrozenStats sets FrozenStats on every batch norm inside l.
func setFrozenStats(l nn.Layer, frozen bool) {
	switch v := l.(type) {
	case *nn.BatchNorm:
		v.FrozenStats = frozen
	case *nn.Sequential:
		for _, c := range v.Layers {
			setFrozenStats(c, frozen)
		}
	case *nn.Residual:
		if v.Body != nil {
			setFrozenStats(v.Body, frozen)
		}
		if v.Shortcut != nil {
			setFrozenStats(v.Shortcut, frozen)
		}
	}
}
