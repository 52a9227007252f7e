package loss

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// line turns positions on a line into 1-d embeddings, so that
// d(i, j) = (xᵢ − xⱼ)² can be worked out by hand.
func line(xs ...float32) [][]float32 {
	emb := make([][]float32, len(xs))
	for i, x := range xs {
		emb[i] = []float32{x}
	}
	return emb
}

// allMiners names every Miner of the package.
var allMiners = map[string]Miner{"BatchAll": BatchAll, "BatchAllActive": BatchAllActive, "BatchHard": BatchHard, "SemiHard": SemiHard}

func TestMiners(t *testing.T) {
	// Batch A: identities 0 and 1 with two images each.
	//   x = 0, 1 | 1.5, 5
	//   d(0,1)=1  d(0,2)=2.25  d(0,3)=25  d(1,2)=0.25  d(1,3)=16  d(2,3)=12.25
	embA, labelsA := line(0, 1, 1.5, 5), []int{0, 0, 1, 1}
	// Batch B: one identity with two images at 0 and 2, and four singletons
	// (no positive, so never anchors) at 1, 2.2, 2.3 and 10.
	//   from 0: d = 4 (positive), 1, 4.84, 5.29, 100
	//   from 2: d = 4 (positive), 1, 0.04, 0.09, 64
	embB, labelsB := line(0, 2, 1, 2.2, 2.3, 10), []int{7, 7, 1, 2, 3, 4}

	tests := []struct {
		name   string
		mine   Miner
		emb    [][]float32
		labels []int
		margin float32
		want   []Triplet
	}{
		{
			// gaps d(A,P) − d(A,N): (2,3,1) 12, (2,3,0) 10, (1,0,2) 0.75,
			// (0,1,2) −1.25, (3,2,1) −3.75, (3,2,0) −12.75, (1,0,3) −15, (0,1,3) −24
			name: "batch all A", mine: BatchAll, emb: embA, labels: labelsA, margin: 2,
			want: []Triplet{{2, 3, 1}, {2, 3, 0}, {1, 0, 2}, {0, 1, 2}, {3, 2, 1}, {3, 2, 0}, {1, 0, 3}, {0, 1, 3}},
		},
		{
			name: "batch all active A, margin 2 (gap > −2)", mine: BatchAllActive, emb: embA, labels: labelsA, margin: 2,
			want: []Triplet{{2, 3, 1}, {2, 3, 0}, {1, 0, 2}, {0, 1, 2}},
		},
		{
			name: "batch all active A, margin 0 (gap > 0)", mine: BatchAllActive, emb: embA, labels: labelsA, margin: 0,
			want: []Triplet{{2, 3, 1}, {2, 3, 0}, {1, 0, 2}},
		},
		{
			// each anchor's only positive, nearest negative: 0→2, 1→2, 2→1, 3→1
			name: "batch hard A", mine: BatchHard, emb: embA, labels: labelsA, margin: 2,
			want: []Triplet{{2, 3, 1}, {1, 0, 2}, {0, 1, 2}, {3, 2, 1}},
		},
		{
			// (0,1): band (1,3) holds 2 (2.25). (1,0): band (1,3) empty → hardest 2.
			// (2,3), (3,2): band (12.25,14.25) empty → hardest 1.
			name: "semi-hard A", mine: SemiHard, emb: embA, labels: labelsA, margin: 2,
			want: []Triplet{{2, 3, 1}, {1, 0, 2}, {0, 1, 2}, {3, 2, 1}},
		},
		{
			// gaps: (1,0,3) 3.96, (1,0,4) 3.91, (0,1,2) 3 and (1,0,2) 3 (a
			// tie, broken by anchor), (0,1,3) −0.84, (0,1,4) −1.29,
			// (1,0,5) −60, (0,1,5) −96
			name: "batch all B", mine: BatchAll, emb: embB, labels: labelsB, margin: 2,
			want: []Triplet{{1, 0, 3}, {1, 0, 4}, {0, 1, 2}, {1, 0, 2}, {0, 1, 3}, {0, 1, 4}, {1, 0, 5}, {0, 1, 5}},
		},
		{
			name: "batch all active B", mine: BatchAllActive, emb: embB, labels: labelsB, margin: 2,
			want: []Triplet{{1, 0, 3}, {1, 0, 4}, {0, 1, 2}, {1, 0, 2}, {0, 1, 3}, {0, 1, 4}},
		},
		{
			// hardest negative of 0 is 2 (d = 1), of 1 is 3 (d = 0.04)
			name: "batch hard B", mine: BatchHard, emb: embB, labels: labelsB, margin: 2,
			want: []Triplet{{1, 0, 3}, {0, 1, 2}},
		},
		{
			// (0,1): d(A,P) = 4, band (4,6) holds 3 (4.84) and 4 (5.29): the
			// nearer, 3, not the hardest, 2. (1,0): band (4,6) empty → hardest 3.
			name: "semi-hard B, margin 2", mine: SemiHard, emb: embB, labels: labelsB, margin: 2,
			want: []Triplet{{1, 0, 3}, {0, 1, 3}},
		},
		{
			// band (4,4.5) empty for both anchors → hardest negatives
			name: "semi-hard B, margin 0.5 falls back", mine: SemiHard, emb: embB, labels: labelsB, margin: 0.5,
			want: []Triplet{{1, 0, 3}, {0, 1, 2}},
		},
		{
			name: "semi-hard B, margin 0 falls back", mine: SemiHard, emb: embB, labels: labelsB, margin: 0,
			want: []Triplet{{1, 0, 3}, {0, 1, 2}},
		},
		{
			// Ties: from anchor 0, positives 1 and 2 are equally far and
			// negatives 3 and 4 equally near: the lower index wins, (0,1,3).
			// Equal gaps are ordered by anchor: (3,4,1) and (4,3,2) both 32,
			// (1,2,3) and (2,1,4) both 0; then (0,1,3) −8.
			name: "batch hard ties", mine: BatchHard, emb: line(0, 1, -1, 3, -3), labels: []int{0, 0, 0, 1, 1},
			want: []Triplet{{3, 4, 1}, {4, 3, 2}, {1, 2, 3}, {2, 1, 4}, {0, 1, 3}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.mine(tt.emb, tt.labels, tt.margin)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}

// TestMinersSkip: anchors without a positive, or without a negative, give
// no triplet, and that is not an error.
func TestMinersSkip(t *testing.T) {
	tests := []struct {
		name   string
		emb    [][]float32
		labels []int
	}{
		{"empty batch", nil, nil},
		{"one image", line(1), []int{0}},
		{"all singletons", line(0, 1, 2, 3), []int{0, 1, 2, 3}},
		{"one identity", line(0, 1, 2, 3), []int{5, 5, 5, 5}},
	}
	for _, tt := range tests {
		for name, mine := range allMiners {
			got, err := mine(tt.emb, tt.labels, 0.2)
			if err != nil || len(got) != 0 {
				t.Errorf("%s, %s: %v, %v; want no triplets, no error", tt.name, name, got, err)
			}
		}
	}
	// Only anchors 0 and 1 (label 0) have a positive.
	for name, mine := range allMiners {
		got, err := mine(line(0, 1, 2, 3), []int{0, 0, 1, 2}, 0.2)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range got {
			if tr.A > 1 {
				t.Errorf("%s: triplet %v has an anchor without a positive", name, tr)
			}
		}
	}
}

func TestMinersErrors(t *testing.T) {
	tests := []struct {
		name   string
		emb    [][]float32
		labels []int
		margin float32
	}{
		{"fewer labels", line(0, 1, 2), []int{0, 0}, 0.2},
		{"more labels", line(0, 1), []int{0, 0, 1}, 0.2},
		{"labels, no embeddings", nil, []int{0}, 0.2},
		{"ragged batch", [][]float32{{0}, {1, 2}}, []int{0, 1}, 0.2},
		{"negative margin", line(0, 1), []int{0, 1}, -1},
	}
	for _, tt := range tests {
		for name, mine := range allMiners {
			if _, err := mine(tt.emb, tt.labels, tt.margin); err == nil {
				t.Errorf("%s, %s: no error", tt.name, name)
			}
		}
	}
}

// TestMinersRandom checks properties on random batches: every triplet is
// valid, the order is hardest first, BatchAll finds every valid triplet,
// BatchAllActive agrees with TripletLoss on which are active, BatchHard's
// choices are the extremes, SemiHard's negatives are the nearest in the band
// or, when the band is empty, the nearest of all.
func TestMinersRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const margin = 0.4
	for trial := range 20 {
		n := 6 + r.IntN(10)
		emb := randomBatch(r, n, 3)
		labels := make([]int, n)
		for i := range labels {
			labels[i] = r.IntN(4)
		}
		d, _ := PairwiseDistances(emb)
		valid := 0
		for a := range n {
			for p := range n {
				for m := range n {
					if a != p && labels[a] == labels[p] && labels[m] != labels[a] {
						valid++
					}
				}
			}
		}
		checkOrder := func(name string, ts []Triplet) {
			for i, tr := range ts {
				if tr.A == tr.P || labels[tr.A] != labels[tr.P] || labels[tr.N] == labels[tr.A] {
					t.Errorf("trial %d, %s: invalid triplet %v", trial, name, tr)
				}
				if i > 0 {
					prev := ts[i-1]
					if d[prev.A][prev.P]-d[prev.A][prev.N] < d[tr.A][tr.P]-d[tr.A][tr.N] {
						t.Errorf("trial %d, %s: %v before harder %v", trial, name, prev, tr)
					}
				}
			}
		}

		all, err := BatchAll(emb, labels, margin)
		if err != nil {
			t.Fatal(err)
		}
		checkOrder("BatchAll", all)
		if len(all) != valid {
			t.Errorf("trial %d: BatchAll found %d triplets, want %d", trial, len(all), valid)
		}
		act, err := BatchAllActive(emb, labels, margin)
		if err != nil {
			t.Fatal(err)
		}
		checkOrder("BatchAllActive", act)
		_, _, active, _ := TripletLoss(emb, all, margin)
		_, _, active2, _ := TripletLoss(emb, act, margin)
		if len(act) != active || active2 != len(act) {
			t.Errorf("trial %d: BatchAllActive gave %d triplets (%d active), TripletLoss counts %d active of BatchAll", trial, len(act), active2, active)
		}

		hard, err := BatchHard(emb, labels, margin)
		if err != nil {
			t.Fatal(err)
		}
		checkOrder("BatchHard", hard)
		for _, tr := range hard {
			for j := range n {
				if j != tr.A && labels[j] == labels[tr.A] && d[tr.A][j] > d[tr.A][tr.P] {
					t.Errorf("trial %d: BatchHard %v: positive %d is farther", trial, tr, j)
				}
				if labels[j] != labels[tr.A] && d[tr.A][j] < d[tr.A][tr.N] {
					t.Errorf("trial %d: BatchHard %v: negative %d is nearer", trial, tr, j)
				}
			}
		}

		semi, err := SemiHard(emb, labels, margin)
		if err != nil {
			t.Fatal(err)
		}
		checkOrder("SemiHard", semi)
		apPairs := 0 // anchor–positive pairs whose anchor has a negative
		for a := range n {
			hasNeg := slices.ContainsFunc(labels, func(l int) bool { return l != labels[a] })
			for p := range n {
				if hasNeg && p != a && labels[p] == labels[a] {
					apPairs++
				}
			}
		}
		if len(semi) != apPairs {
			t.Errorf("trial %d: SemiHard gave %d triplets, want one per anchor–positive pair, %d", trial, len(semi), apPairs)
		}
		for _, tr := range semi {
			dAP, dAN := d[tr.A][tr.P], d[tr.A][tr.N]
			nearestInBand, nearest := float32(-1), float32(-1)
			for j := range n {
				if labels[j] == labels[tr.A] {
					continue
				}
				dj := d[tr.A][j]
				if dAP < dj && dj < dAP+margin && (nearestInBand < 0 || dj < nearestInBand) {
					nearestInBand = dj
				}
				if nearest < 0 || dj < nearest {
					nearest = dj
				}
			}
			want := nearestInBand
			if want < 0 {
				want = nearest
			}
			if dAN != want {
				t.Errorf("trial %d: SemiHard %v has d(A,N) = %v, want %v (nearest in band %v, nearest %v)", trial, tr, dAN, want, nearestInBand, nearest)
			}
		}
	}
}
