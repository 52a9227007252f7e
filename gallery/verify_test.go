package gallery

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestScore(t *testing.T) {
	for _, tc := range []struct {
		d, threshold, want float32
	}{
		{0, 1, 100},
		{0.5, 1, 75},
		{1, 1, 50},
		{2.5, 1, 25},
		{4, 1, 0},
		{5, 1, 0}, // beyond the sphere: clamped
		{-1, 1, 100},
		{0.6, 0.6, 50},
		{0.3, 0.6, 75},
		{2.3, 0.6, 25},
	} {
		if got := Score(tc.d, tc.threshold); !near(got, tc.want, 1e-5) {
			t.Errorf("Score(%v, %v) = %v, want %v", tc.d, tc.threshold, got, tc.want)
		}
	}
	// Monotone, and 50 or more exactly for matches, for several thresholds.
	for _, th := range []float32{0.2, 0.9, 1.24, 2, 3.5} {
		prev := float32(101)
		for i := 0; i <= 4000; i++ {
			d := float32(i) / 1000
			s := Score(d, th)
			if s > prev {
				t.Fatalf("Score(%v, %v) = %v rises above Score at a smaller distance (%v)", d, th, s, prev)
			}
			if (s >= 50) != (d <= th) {
				t.Fatalf("Score(%v, %v) = %v: on the wrong side of 50", d, th, s)
			}
			prev = s
		}
	}
}

func TestVerify(t *testing.T) {
	g := newGallery(t, Config{Threshold: 1})
	enroll(t, g, "alice", basis(4, 0))
	d := func(theta float64) float32 { return float32(2 - 2*math.Cos(theta)) }
	for _, tc := range []struct {
		name      string
		id        string
		emb       []float32
		threshold float32
		want      Verdict
		wantErr   string
	}{
		{"same vector", "alice", basis(4, 0), 0, Verdict{true, 0, 1, 100}, ""},
		{"not normalised", "alice", []float32{3, 0, 0, 0}, 0, Verdict{true, 0, 1, 100}, ""},
		// 60° apart: d = 2 − 2·cos 60° = 1, exactly the threshold.
		{"at the threshold", "alice", angle(4, math.Pi/3), 0, Verdict{true, d(math.Pi / 3), 1, 50}, ""},
		{"near", "alice", angle(4, 0.5), 0, Verdict{true, d(0.5), 1, Score(d(0.5), 1)}, ""},
		{"orthogonal", "alice", basis(4, 1), 0, Verdict{false, 2, 1, Score(2, 1)}, ""},
		{"opposite", "alice", []float32{-1, 0, 0, 0}, 0, Verdict{false, 4, 1, 0}, ""},
		{"override stricter", "alice", angle(4, 0.5), 0.1, Verdict{false, d(0.5), 0.1, Score(d(0.5), 0.1)}, ""},
		{"override looser", "alice", basis(4, 1), 2.5, Verdict{true, 2, 2.5, Score(2, 2.5)}, ""},
		{"unknown id", "bob", basis(4, 0), 0, Verdict{}, `no person enrolled as "bob"`},
		{"bad id", "", basis(4, 0), 0, Verdict{}, "person id is empty"},
		{"bad threshold", "alice", basis(4, 0), -1, Verdict{}, "threshold -1 is not"},
		{"NaN threshold", "alice", basis(4, 0), float32(math.NaN()), Verdict{}, "threshold NaN is not"},
		{"other model", "alice", basis(8, 0), 0, Verdict{},
			"embedding has 8 values, the gallery holds 4-value embeddings — was it made by another model?"},
		{"zero probe", "alice", make([]float32, 4), 0, Verdict{}, "all zeros"},
		{"NaN probe", "alice", []float32{float32(math.NaN()), 0, 0, 0}, 0, Verdict{}, "NaN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := g.Verify(tc.id, tc.emb, tc.threshold)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Match != tc.want.Match || got.Threshold != tc.want.Threshold ||
				!near(got.Distance, tc.want.Distance, 1e-6) || !near(got.Score, tc.want.Score, 1e-4) {
				t.Errorf("Verdict %+v, want %+v", got, tc.want)
			}
		})
	}
	_, err := g.Verify("bob", basis(4, 0), 0)
	if !errors.Is(err, ErrNotEnrolled) {
		t.Errorf("unknown id: %v does not wrap ErrNotEnrolled", err)
	}
	var de *DimensionError
	if _, err := g.Verify("alice", basis(3, 0), 0); !errors.As(err, &de) || de.Got != 3 || de.Want != 4 {
		t.Errorf("wrong length: %v, want a DimensionError", err)
	}
}

func TestIdentify(t *testing.T) {
	g := newGallery(t, Config{Threshold: 1})
	enroll(t, g, "e0", basis(5, 0))
	enroll(t, g, "e1", basis(5, 1))
	enroll(t, g, "e2", basis(5, 2))
	enroll(t, g, "e2-twin", basis(5, 2))
	// 0.3 rad from e₁ towards e₀: d(e₁) = 2 − 2·cos 0.3 ≈ 0.089,
	// d(e₀) = 2 − 2·sin 0.3 ≈ 1.409; e₂ and its twin are at 2.
	probe := []float32{float32(math.Sin(0.3)), float32(math.Cos(0.3)), 0, 0, 0}
	for _, tc := range []struct {
		name        string
		emb         []float32
		threshold   float32
		k           int
		ids         []string
		wantUnknown bool
	}{
		{"all ranked", probe, 0, 0, []string{"e1", "e0", "e2", "e2-twin"}, false},
		{"top 2", probe, 0, 2, []string{"e1", "e0"}, false},
		{"k larger than the gallery", probe, 0, 10, []string{"e1", "e0", "e2", "e2-twin"}, false},
		{"strict threshold: unknown", probe, 0.05, 1, []string{"e1"}, true},
		{"loose threshold", probe, 1.5, 2, []string{"e1", "e0"}, false},
		{"ties by id", basis(5, 2), 0, 2, []string{"e2", "e2-twin"}, false},
		{"stranger", basis(5, 4), 0, 3, []string{"e0", "e1", "e2"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cands, unknown, err := g.Identify(tc.emb, tc.threshold, tc.k)
			if err != nil {
				t.Fatal(err)
			}
			if unknown != tc.wantUnknown {
				t.Errorf("unknown = %v, want %v", unknown, tc.wantUnknown)
			}
			if len(cands) != len(tc.ids) {
				t.Fatalf("%d candidates %+v, want %v", len(cands), cands, tc.ids)
			}
			th := tc.threshold
			if th == 0 {
				th = 1
			}
			for i, c := range cands {
				if c.ID != tc.ids[i] {
					t.Errorf("candidate %d is %q, want %q", i, c.ID, tc.ids[i])
				}
				v, _ := g.Verify(c.ID, tc.emb, tc.threshold)
				if c.Distance != v.Distance || c.Score != v.Score || c.Match != v.Match || c.Match != (c.Distance <= th) {
					t.Errorf("candidate %+v disagrees with Verify %+v", c, v)
				}
				if i > 0 && c.Distance < cands[i-1].Distance {
					t.Errorf("candidates not ranked: %+v", cands)
				}
			}
		})
	}

	if _, _, err := g.Identify(probe, 0, -1); err == nil {
		t.Error("k = -1 accepted")
	}
	if _, _, err := g.Identify(basis(4, 0), 0, 1); err == nil || !strings.Contains(err.Error(), "4 values, the gallery holds 5") {
		t.Errorf("wrong length: %v", err)
	}
	if _, _, err := g.Identify(probe, 7, 1); err == nil {
		t.Error("threshold 7 accepted")
	}

	empty := newGallery(t, Config{Threshold: 1})
	cands, unknown, err := empty.Identify(probe, 0, 3)
	if err != nil || !unknown || len(cands) != 0 {
		t.Errorf("empty gallery: %v, unknown=%v, %v", cands, unknown, err)
	}
}
