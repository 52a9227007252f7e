package train

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/loss"
	"github.com/oneshotface/oneshot/nn"
)

// TestBalancedPairs: every same-person pair and as many different-people
// pairs, or the other way round; the same draw from the same seed; rows
// left out stay out; a batch of one person gives none.
func TestBalancedPairs(t *testing.T) {
	all := func(int) bool { return true }
	for _, c := range []struct {
		name   string
		labels []int
		use    func(int) bool
		same   int // pairs of each kind
	}{
		{"more different", []int{0, 0, 0, 1, 1, 2}, all, 4},                               // 3 + 1 same of 15
		{"more same", []int{0, 0, 0, 0, 0, 1}, all, 5},                                    // 10 same, 5 different
		{"rows left out", []int{0, 0, 0, 1, 1, 2}, func(k int) bool { return k != 0 }, 2}, // 1 + 1 same of 10
		{"one person", []int{3, 3, 3}, all, 0},
	} {
		ps := balancedPairs(rand.New(rand.NewPCG(1, 2)), c.labels, c.use)
		again := balancedPairs(rand.New(rand.NewPCG(1, 2)), c.labels, c.use)
		if !slices.Equal(ps, again) {
			t.Errorf("%s: two draws with one seed differ", c.name)
		}
		var same, diff int
		seen := map[[2]int]bool{}
		for _, p := range ps {
			if p.a >= p.b || seen[[2]int{p.a, p.b}] || !c.use(p.a) || !c.use(p.b) || p.same != (c.labels[p.a] == c.labels[p.b]) {
				t.Errorf("%s: bad pair %+v", c.name, p)
			}
			seen[[2]int{p.a, p.b}] = true
			if p.same {
				same++
			} else {
				diff++
			}
		}
		if same != c.same || diff != c.same {
			t.Errorf("%s: %d same and %d different pairs, want %d of each", c.name, same, diff, c.same)
		}
	}
	if n := countBalancedPairs([]int{0, 0, 0, 1, 1, 2}); n != 8 {
		t.Errorf("countBalancedPairs = %d, want 8", n)
	}
	if n := countBalancedPairs([]int{0, 0, 0, 0, 0, 1}); n != 10 {
		t.Errorf("countBalancedPairs = %d, want 10", n)
	}
	ps := tripletPairs([]loss.Triplet{{A: 0, P: 1, N: 2}, {A: 3, P: 4, N: 5}})
	if want := []siamesePair{{0, 1, true}, {0, 2, false}, {3, 4, true}, {3, 5, false}}; !slices.Equal(ps, want) {
		t.Errorf("tripletPairs = %+v, want %+v", ps, want)
	}
}

// tinyNet is a dense layer to 4 components and an L2 normalisation: an
// embedder of 8-value inputs small enough to check by finite differences.
func tinyNet(t testing.TB, seed uint64) *nn.Model {
	t.Helper()
	d, err := nn.NewDense("embed", 8, 4, true, rand.New(rand.NewPCG(seed, 3)))
	if err != nil {
		t.Fatal(err)
	}
	return &nn.Model{Net: nn.NewSequential("tiny", d, nn.NewL2Normalize("l2", 1e-10))}
}

// clusters draws per noisy 8-value inputs around each of ids random
// centres, with their labels.
func clusters(rng *rand.Rand, centres [][]float32, per int, noise float32) ([]float32, []int) {
	var rows []float32
	var labels []int
	for id, c := range centres {
		for range per {
			for _, v := range c {
				rows = append(rows, v+noise*float32(rng.NormFloat64()))
			}
			labels = append(labels, id)
		}
	}
	return rows, labels
}

func randomCentres(rng *rand.Rand, ids int) [][]float32 {
	cs := make([][]float32, ids)
	for i := range cs {
		cs[i] = make([]float32, 8)
		for k := range cs[i] {
			cs[i][k] = float32(rng.NormFloat64())
		}
	}
	return cs
}

// TestSiameseGradThroughEmbedding checks the gradient one training step
// back-propagates from the Siamese head's loss, through the L2-normalised
// embedding, into the network's weights (and the head's own), against
// central differences of that loss: the head's gradient with respect to
// the embeddings is checked in package loss, this checks that the trainer
// routes it to the right rows, with the right sign and weight.
func TestSiameseGradThroughEmbedding(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	rows, labels := clusters(rng, randomCentres(rng, 3), 3, 0.5)
	m := tinyNet(t, 7)
	const weight = 0.5
	tr, err := NewInputTrainer(m, rows, []int{8}, labels, nil, Config{
		Epochs: 1, BatchSize: 9, IDsPerBatch: 3, PerID: 3, LR: 0, SiameseWeight: weight, Seed: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	idx := []int{0, 1, 2, 3, 4, 5, 6, 7, 8}
	pairs := balancedPairs(rand.New(rand.NewPCG(1, 1)), labels, func(int) bool { return true })
	head := &loss.SiameseHead{W: []float32{-0.8, -1.3, -0.5, -1}, B: 1.2}
	tr.Siamese = head
	// Learning rate 0: the step computes the gradients and moves nothing.
	total, _, _, _, _, err := tr.step(idx, nil, nil, nil, pairs)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := nn.FromSlice(rows, 9, 8)
	lossAt := func() float64 {
		y, err := m.Forward(x, false)
		if err != nil {
			t.Fatal(err)
		}
		ys := y.Float32s()
		var x1, x2 [][]float32
		var same []bool
		for _, p := range pairs {
			x1, x2, same = append(x1, slices.Clone(ys[p.a*4:p.a*4+4])), append(x2, slices.Clone(ys[p.b*4:p.b*4+4])), append(same, p.same)
		}
		l, _, err := head.Loss(x1, x2, same)
		if err != nil {
			t.Fatal(err)
		}
		return weight * float64(l)
	}
	if l := lossAt(); math.Abs(l-total) > 1e-6 {
		t.Errorf("step's loss %v, recomputed %v", total, l)
	}
	// With h = 1e-2 the truncation error of the central difference and
	// the rounding of float32 embeddings each stay below 1e-5 here, on
	// gradients of about 1e-2.
	const h = 1e-2
	check := func(name string, v []float32, g []float32) {
		for i := range v {
			orig := v[i]
			v[i] = orig + h
			up := lossAt()
			v[i] = orig - h
			down := lossAt()
			v[i] = orig
			num := (up - down) / (2 * h)
			if math.Abs(float64(g[i])-num) > 2e-5+1e-3*math.Abs(num) {
				t.Errorf("%s[%d]: gradient %v, numerical %v", name, i, g[i], num)
			}
		}
	}
	for _, p := range m.Params() {
		check(p.Name, p.Value.Float32s(), p.Grad.Float32s())
	}
	hp := tr.headParams()
	check("siamese.w", head.W, hp[0].Grad.Float32s())
	b := []float32{head.B}
	lossAtB := lossAt
	lossAt = func() float64 { head.B = b[0]; return lossAtB() }
	check("siamese.b", b, hp[1].Grad.Float32s())
}

// TestSiameseObjectiveSeparates trains the tiny embedder with the Siamese
// objective alone on labelled inputs of six overlapping classes: the loss
// falls, the head's weights move apart from their equal start (it trains
// with the network), and fresh inputs of the classes are better separated
// by the embedding's distance than before.
func TestSiameseObjectiveSeparates(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	centres := randomCentres(rng, 6)
	rows, labels := clusters(rng, centres, 6, 0.7)
	heldRows, heldLabels := clusters(rng, centres, 4, 0.7)
	m := tinyNet(t, 11)
	heldIdx := make([]int, len(heldLabels))
	for i := range heldIdx {
		heldIdx[i] = i
	}
	held := allTriplets(heldIdx, heldLabels, nil)
	before, err := score(context.Background(), m.Net, heldRows, []int{8}, held)
	if err != nil {
		t.Fatal(err)
	}
	const epochs = 200
	tr, err := NewInputTrainer(m, rows, []int{8}, labels, nil, Config{
		Epochs: epochs, BatchSize: 36, IDsPerBatch: 6, PerID: 6, LR: 0.03, MinLR: 0.003, SiameseWeight: 1, Seed: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	first, last := runEpochs(t, tr, epochs)
	after, err := score(context.Background(), m.Net, heldRows, []int{8}, held)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loss %.4f → %.4f, pairs wrong %.2f → %.2f; held-out AUC %.3f → %.3f, triplets right %.3f → %.3f, separation %.3f → %.3f; head W %v B %.3f",
		first.Loss, last.Loss, first.Active, last.Active, before.AUC, after.AUC, before.Accuracy, after.Accuracy, before.Separation, after.Separation, tr.Siamese.W, tr.Siamese.B)
	if !(last.Loss < 0.7*first.Loss) {
		t.Errorf("loss %.4f → %.4f: want it to fall by 30%% or more", first.Loss, last.Loss)
	}
	if slices.Min(tr.Siamese.W) == slices.Max(tr.Siamese.W) {
		t.Errorf("the head's weights %v did not train", tr.Siamese.W)
	}
	if !(after.AUC > before.AUC+0.05) || !(after.Accuracy > before.Accuracy) || !(after.Separation > before.Separation) {
		t.Errorf("held-out %+v → %+v: want the classes better separated", before, after)
	}
}

// TestFineTuneSiamese runs FineTune with the Siamese objective in both
// modes on labelled captures and on triplets: it reports the objective
// and its pairs beside the held-out triplets that judge it, the kept
// model says how it was tuned, and the model given is left as it was. The
// default objective is the triplet loss; an unknown one is refused.
func TestFineTuneSiamese(t *testing.T) {
	m, err := embedder.NewCompact(3)
	if err != nil {
		t.Fatal(err)
	}
	before := weights(m)
	crops, labels := syntheticCrops(t, 3, 4)
	var siameseHead Score // the held-out score after head mode
	for _, c := range []struct {
		mode   string
		epochs int
	}{{ModeHead, 6}, {ModeFull, 2}} {
		var events []FineTuneProgress
		tuned, res, err := FineTune(context.Background(), m, embedder.CompactNorm, FineTuneData{Crops: crops, Labels: labels},
			FineTuneOptions{Mode: c.mode, Objective: ObjectiveSiamese, Epochs: c.epochs},
			func(p FineTuneProgress) { events = append(events, p) })
		if err != nil {
			t.Fatalf("%s: %v", c.mode, err)
		}
		t.Logf("%s: %+v", c.mode, res)
		if c.mode == ModeHead {
			siameseHead = res.After
		}
		// 9 training crops, 3 per person: 9 same pairs of 36, so 9 of
		// each kind; the held-out triplets are the triplet objective's.
		if res.Objective != ObjectiveSiamese || res.Mode != c.mode || res.Pairs != 18 || res.Triplets != 108 ||
			res.HeldOut != 72 || res.Before.Triplets != 72 || res.Epochs != c.epochs {
			t.Errorf("%s: result %+v", c.mode, res)
		}
		if len(events) == 0 || events[len(events)-1].Epoch != c.epochs || !(events[0].Loss > 0) || events[0].Active < 0 || events[0].Active > 1 {
			t.Errorf("%s: progress %+v", c.mode, events)
		}
		if res.Kept != (tuned != nil) || (!res.Kept && res.Reason == "") || res.Kept != res.After.NotWorse(res.Before) {
			t.Errorf("%s: kept %v with model %v, reason %q", c.mode, res.Kept, tuned != nil, res.Reason)
		}
		if tuned != nil && (!strings.Contains(tuned.Meta["fine_tuned"], "siamese, 18 pairs") || sameWeights(weights(tuned), before)) {
			t.Errorf("%s: the kept model says %q", c.mode, tuned.Meta["fine_tuned"])
		}
		if !sameWeights(weights(m), before) {
			t.Fatalf("%s: FineTune changed the model it was given", c.mode)
		}
	}

	// Triplets: each gives its anchor–positive and anchor–negative pair.
	var trips []loss.Triplet
	for a := range 8 {
		trips = append(trips, loss.Triplet{A: a, P: a/4*4 + (a+1)%4, N: (a + 4) % 12})
	}
	_, res, err := FineTune(context.Background(), m, embedder.CompactNorm, FineTuneData{Crops: crops, Triplets: trips},
		FineTuneOptions{Objective: ObjectiveSiamese, Epochs: 2}, nil)
	if err != nil || res.Objective != ObjectiveSiamese || res.Triplets != 6 || res.Pairs != 12 || res.HeldOut != 2 {
		t.Errorf("siamese on 8 triplets: %+v, %v; want 6 training triplets, 12 pairs, 2 held out", res, err)
	}

	// The default objective, from the same start on the same data, is
	// the triplet loss and ends elsewhere.
	_, res, err = FineTune(context.Background(), m, embedder.CompactNorm, FineTuneData{Crops: crops, Labels: labels}, FineTuneOptions{Mode: ModeHead, Epochs: 6}, nil)
	if err != nil || res.Objective != ObjectiveTriplet || res.Pairs != 0 || res.After == siameseHead {
		t.Errorf("the default objective: %+v, %v; want the triplet loss, ending elsewhere than the siamese objective's %+v", res, err, siameseHead)
	}
	_, _, err = FineTune(context.Background(), m, embedder.CompactNorm, FineTuneData{Crops: crops, Labels: labels}, FineTuneOptions{Objective: "contrastive"}, nil)
	if err == nil || !strings.Contains(err.Error(), `objective is "contrastive"`) || !strings.Contains(err.Error(), `"siamese"`) {
		t.Errorf("an unknown objective: %v", err)
	}
}
