package gallery

import (
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestValidateID(t *testing.T) {
	for _, tc := range []struct {
		id      string
		wantErr string // "" for a valid id
	}{
		{"alice", ""},
		{"Zoë Ångström", ""},
		{"a", ""},
		{strings.Repeat("x", MaxIDBytes), ""},
		{strings.Repeat("é", MaxIDBytes/2), ""},
		{"", "person id is empty"},
		{strings.Repeat("x", MaxIDBytes+1), "person id is 129 bytes long, the limit is 128"},
		{"bad\xffbyte", "not valid UTF-8"},
	} {
		err := ValidateID(tc.id)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("ValidateID(%q) = %v, want nil", tc.id, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("ValidateID(%q) = %v, want an error containing %q", tc.id, err, tc.wantErr)
		}
	}
}

func TestValidateThreshold(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	for _, tc := range []struct {
		t  float32
		ok bool
	}{
		{1, true}, {0.001, true}, {3.999, true},
		{0, false}, {-1, false}, {4, false}, {5, false}, {nan, false}, {inf, false}, {-inf, false},
	} {
		if err := ValidateThreshold(tc.t); (err == nil) != tc.ok {
			t.Errorf("ValidateThreshold(%v) = %v, want ok=%v", tc.t, err, tc.ok)
		}
	}
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"full", Config{Threshold: 1.1, Model: Fingerprint([]byte("m")), Dim: 128}, true},
		{"threshold NaN", Config{Threshold: float32(math.NaN())}, false},
		{"threshold too large", Config{Threshold: 4}, false},
		{"negative threshold", Config{Threshold: -0.5}, false},
		{"long model", Config{Model: strings.Repeat("m", MaxModelBytes+1)}, false},
		{"model not UTF-8", Config{Model: "\xff"}, false},
		{"negative dim", Config{Dim: -1}, false},
		{"huge dim", Config{Dim: MaxDim + 1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := New(tc.c)
			if (err == nil) != tc.ok {
				t.Fatalf("New(%+v) error %v, want ok=%v", tc.c, err, tc.ok)
			}
			if err != nil {
				return
			}
			if g.Threshold() != tc.c.Threshold || g.Model() != tc.c.Model || g.Dim() != tc.c.Dim || g.Len() != 0 {
				t.Errorf("New(%+v) = threshold %v model %q dim %d len %d", tc.c, g.Threshold(), g.Model(), g.Dim(), g.Len())
			}
		})
	}
}

func TestZeroGallery(t *testing.T) {
	var g Gallery
	if ids := g.IDs(); len(ids) != 0 {
		t.Fatalf("IDs of the zero gallery = %v", ids)
	}
	if _, err := g.Verify("x", basis(4, 0), 0); err == nil || !strings.Contains(err.Error(), "no threshold") {
		t.Errorf("Verify with no threshold anywhere = %v, want a 'no threshold' error", err)
	}
	enroll(t, &g, "x", basis(4, 0))
	v, err := g.Verify("x", basis(4, 0), 1)
	if err != nil || !v.Match {
		t.Fatalf("Verify = %+v, %v", v, err)
	}
	if g.Dim() != 4 {
		t.Errorf("Dim = %d after a 4-value enrollment", g.Dim())
	}
}

func TestThresholdPolicy(t *testing.T) {
	g := newGallery(t, Config{Threshold: 0.8})
	if err := g.SetThreshold(4); err == nil {
		t.Error("SetThreshold(4) accepted")
	}
	if g.Threshold() != 0.8 {
		t.Errorf("a refused SetThreshold changed the threshold to %v", g.Threshold())
	}
	if err := g.SetThreshold(1.2); err != nil || g.Threshold() != 1.2 {
		t.Errorf("SetThreshold(1.2) = %v, threshold %v", err, g.Threshold())
	}
	if err := g.SetThreshold(0); err != nil || g.Threshold() != 0 {
		t.Errorf("SetThreshold(0) = %v, threshold %v", err, g.Threshold())
	}
}

func TestIDsPersonRemove(t *testing.T) {
	before := time.Now().Add(-time.Second)
	g := sample(t)
	if got, want := g.IDs(), []string{"Zoë", "alice", "bob"}; !slices.Equal(got, want) {
		t.Errorf("IDs = %q, want %q", got, want)
	}
	p, err := g.Person("alice")
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "alice" || len(p.Embeddings) != 2 || len(p.Crops) != 2 {
		t.Fatalf("Person(alice) = %+v", p)
	}
	if p.Enrolled.Before(before) || p.Enrolled.After(time.Now()) {
		t.Errorf("Enrolled = %v, not about now", p.Enrolled)
	}
	if want := crop(4, 4, 2); !slices.Equal(p.Crops[1].Pix, want.Pix) || p.Crops[1].Bounds() != want.Bounds() {
		t.Errorf("second crop differs from the one enrolled")
	}
	// The result is a copy: changing it changes nothing in the gallery.
	p.Template[0] = 42
	p.Embeddings[0][0] = 42
	p.Crops[0].Pix[0] = 42
	q, _ := g.Person("alice")
	if q.Template[0] == 42 || q.Embeddings[0][0] == 42 || q.Crops[0].Pix[0] == 42 {
		t.Error("Person returned the gallery's own slices")
	}

	if err := g.Remove("alice"); err != nil {
		t.Fatal(err)
	}
	err = g.Remove("alice")
	if !errors.Is(err, ErrNotEnrolled) || err.Error() != `no person enrolled as "alice"` {
		t.Errorf("second Remove = %v", err)
	}
	if _, err := g.Person("alice"); !errors.Is(err, ErrNotEnrolled) {
		t.Errorf("Person after Remove = %v", err)
	}
	if _, err := g.Person(""); err == nil || errors.Is(err, ErrNotEnrolled) {
		t.Errorf("Person(\"\") = %v, want an invalid-id error", err)
	}
	if g.Len() != 2 {
		t.Errorf("Len = %d after removing one of three", g.Len())
	}
	g.Remove("bob")
	g.Remove("Zoë")
	if g.Dim() != 0 {
		t.Errorf("Dim = %d in an emptied gallery whose dimension was learnt", g.Dim())
	}
}

// TestConcurrent runs every kind of call at once; run it with -race.
func TestConcurrent(t *testing.T) {
	g := sample(t)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			id := fmt.Sprint("worker", w)
			for i := range 50 {
				switch i % 6 {
				case 0:
					if _, err := g.Enroll(id, []Capture{capt(angle(4, float64(i)/100), 1)}); err != nil {
						t.Error(err)
					}
				case 1:
					if _, err := g.Verify("alice", basis(4, 0), 0); err != nil {
						t.Error(err)
					}
				case 2:
					if _, _, err := g.Identify(basis(4, 1), 0, 2); err != nil {
						t.Error(err)
					}
				case 3:
					b, err := g.MarshalBinary()
					if err == nil {
						_, err = Unmarshal(b)
					}
					if err != nil {
						t.Error(err)
					}
				case 4:
					g.IDs()
					g.Person(id)
				case 5:
					if err := g.Remove(id); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Go(func() {
		for range 10 {
			if err := g.Reembed(func(c *image.RGBA) ([]float32, error) { return basis(4, int(c.Pix[0])%4), nil }); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
}
