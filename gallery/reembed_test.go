package gallery

import (
	"errors"
	"image"
	"math"
	"slices"
	"strings"
	"testing"
)

// newModel is a stand-in for a fine-tuned embedder: it maps the crop marked
// seed (its first byte) to the 8-value unit vector e_{seed mod 8}.
func newModel(c *image.RGBA) ([]float32, error) {
	return basis(8, int(c.Pix[0])%8), nil
}

func TestReembed(t *testing.T) {
	g := sample(t) // alice: crops 1, 2; bob: crop 1; Zoë: crops 1, 2, 3
	var seen []uint8
	err := g.ReembedAs("model-b", func(c *image.RGBA) ([]float32, error) {
		seen = append(seen, c.Pix[0])
		c.Pix[0] = 99 // the function gets a copy: this must not reach the gallery
		return newModel(crop(1, 1, seen[len(seen)-1]))
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint8{1, 2, 3, 1, 2, 1}; !slices.Equal(seen, want) { // by id: Zoë, alice, bob
		t.Errorf("embedded crops %v, want %v", seen, want)
	}
	if g.Dim() != 8 || g.Model() != "model-b" {
		t.Errorf("Dim %d Model %q after ReembedAs", g.Dim(), g.Model())
	}
	s := float32(1 / math.Sqrt2)
	p, _ := g.Person("alice")
	if !nearVec(p.Template, []float32{0, s, s, 0, 0, 0, 0, 0}, 1e-6) || p.Crops[0].Pix[0] != 1 {
		t.Errorf("alice after re-embedding: template %v, crop byte %d", p.Template, p.Crops[0].Pix[0])
	}
	if v, err := g.Verify("bob", basis(8, 1), 0); err != nil || !v.Match || v.Distance != 0 {
		t.Errorf("Verify with the new model: %+v %v", v, err)
	}
	// Reembed keeps the fingerprint.
	if err := g.Reembed(newModel); err != nil || g.Model() != "model-b" {
		t.Errorf("Reembed: %v, model %q", err, g.Model())
	}
	// An empty gallery re-embeds trivially.
	empty := newGallery(t, Config{Model: "a"})
	if err := empty.ReembedAs("b", newModel); err != nil || empty.Model() != "b" {
		t.Errorf("empty gallery: %v, model %q", err, empty.Model())
	}
}

// TestReembedAllOrNothing: any failure leaves every embedding as it was.
func TestReembedAllOrNothing(t *testing.T) {
	failAt := func(n int, out []float32, err error) EmbedFunc {
		calls := 0
		return func(c *image.RGBA) ([]float32, error) {
			calls++
			if calls == n {
				return out, err
			}
			return newModel(c)
		}
	}
	boom := errors.New("out of memory")
	for _, tc := range []struct {
		name  string
		model string
		embed EmbedFunc
		want  string
	}{
		{"error on the last crop", "m2", failAt(6, nil, boom), `re-embedding "bob", frame 1 of 1: out of memory (the gallery is unchanged)`},
		{"error on the first crop", "m2", failAt(1, nil, boom), `"Zoë", frame 1 of 3: out of memory`},
		{"NaN", "m2", failAt(4, []float32{float32(math.NaN()), 0, 0, 0, 0, 0, 0, 0}, nil), `"alice", frame 1 of 2: embedding value 0 is NaN`},
		{"zero vector", "m2", failAt(5, make([]float32, 8), nil), "all zeros"},
		{"lengths disagree", "m2", failAt(3, basis(4, 0), nil), "embedding has 4 values, the gallery holds 8-value embeddings"},
		{"too long", "m2", failAt(2, make([]float32, MaxDim+1), nil), "4097 values"},
		{"nil function", "m2", nil, "nil"},
		{"bad fingerprint", "\xff", newModel, "not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := sample(t)
			before := marshal(t, g)
			err := g.ReembedAs(tc.model, tc.embed)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if !slices.Equal(before, marshal(t, g)) || g.Model() != "model-a" || g.Dim() != 4 {
				t.Error("a failed re-embedding changed the gallery")
			}
			if strings.Contains(tc.want, "out of memory") && !errors.Is(err, boom) {
				t.Errorf("error %v does not wrap the embed function's error", err)
			}
		})
	}
}

func TestReembedFixedDim(t *testing.T) {
	g := newGallery(t, Config{Threshold: 1, Dim: 4})
	enroll(t, g, "p", basis(4, 0))
	var de *DimensionError
	if err := g.Reembed(newModel); !errors.As(err, &de) || de.Got != 8 || de.Want != 4 {
		t.Errorf("re-embedding to 8 values in a 4-value gallery: %v", err)
	}
	if err := g.Reembed(func(c *image.RGBA) ([]float32, error) { return basis(4, 3), nil }); err != nil || g.Dim() != 4 {
		t.Errorf("re-embedding at the fixed length: %v", err)
	}
}

// TestReembedEnrollAgain: a person whose crops the new model cannot use is
// kept, crops and all, in the "enroll again" state: listed, refused by
// Verify, passed by by Identify, saved in a version-2 file, and restored by
// a later model that can use the crops. Enrolling them again clears it.
func TestReembedEnrollAgain(t *testing.T) {
	g := sample(t) // alice: crops 1, 2; bob: crop 1; Zoë: crops 1, 2, 3
	// A model that cannot use the crops marked 2 (alice's and Zoë's).
	picky := func(c *image.RGBA) ([]float32, error) {
		if c.Pix[0] == 2 {
			return nil, errors.Join(ErrEnrollAgain, errors.New("crop 2 is too tight"))
		}
		return newModel(c)
	}
	if err := g.ReembedAs("model-b", picky); err != nil {
		t.Fatal(err)
	}
	if got, want := g.EnrollAgain(), []string{"Zoë", "alice"}; !slices.Equal(got, want) {
		t.Fatalf("EnrollAgain() = %q, want %q", got, want)
	}
	if got := g.IDs(); len(got) != 3 {
		t.Errorf("IDs() = %q: everyone stays listed", got)
	}
	p, err := g.Person("alice")
	if err != nil || !strings.Contains(p.EnrollAgain, "too tight") || p.Template != nil || p.Embeddings != nil || len(p.Crops) != 2 || p.Crops[1].Pix[0] != 2 {
		t.Errorf("alice must enroll again: %+v %v", p, err)
	}
	if _, err := g.Verify("alice", basis(8, 1), 0); !errors.Is(err, ErrEnrollAgain) || !strings.Contains(err.Error(), `"alice" must enroll again`) {
		t.Errorf("Verify alice: %v, want ErrEnrollAgain naming her", err)
	}
	if v, err := g.Verify("bob", basis(8, 1), 0); err != nil || !v.Match {
		t.Errorf("Verify bob, re-embedded: %+v %v", v, err)
	}
	cands, _, err := g.Identify(basis(8, 1), 0, 0)
	if err != nil || len(cands) != 1 || cands[0].ID != "bob" {
		t.Errorf("Identify ranks %+v %v, want bob alone", cands, err)
	}

	// Saved and read back: version 2, the state and the crops kept.
	file := marshal(t, g)
	if v := file[8]; v != 2 {
		t.Errorf("a gallery with people to enroll again is written as version %d, want 2", v)
	}
	back, err := Unmarshal(file)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.EnrollAgain(); !slices.Equal(got, []string{"Zoë", "alice"}) {
		t.Errorf("read back, EnrollAgain() = %q", got)
	}
	if p, _ := back.Person("alice"); p.EnrollAgain == "" || len(p.Crops) != 2 || p.Crops[0].Pix[0] != 1 {
		t.Errorf("read back, alice: %+v", p)
	}
	if !slices.Equal(marshal(t, back), file) {
		t.Error("the file read back does not write the same bytes")
	}

	// A model that can use every crop restores everyone.
	if err := back.ReembedAs("model-c", newModel); err != nil {
		t.Fatal(err)
	}
	if got := back.EnrollAgain(); len(got) != 0 {
		t.Errorf("after a model that can embed every crop, EnrollAgain() = %q", got)
	}
	if v, err := back.Verify("alice", basis(8, 1), 0); err != nil || v.Distance > 1 {
		t.Errorf("alice restored: %+v %v", v, err)
	}
	if v := marshal(t, back)[8]; v != 1 {
		t.Errorf("with nobody to enroll again the file is version %d, want 1 (older builds read it)", v)
	}

	// Enrolling again clears the state.
	enroll(t, g, "alice", basis(8, 3))
	if got := g.EnrollAgain(); !slices.Equal(got, []string{"Zoë"}) {
		t.Errorf("after enrolling alice again, EnrollAgain() = %q", got)
	}
}
