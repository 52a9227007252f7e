package gallery

import (
	"errors"
	"image"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/oneshotface/oneshot/face"
)

func TestEnrollTemplate(t *testing.T) {
	s := float32(1 / math.Sqrt2)
	for _, tc := range []struct {
		name     string
		embs     [][]float32
		template []float32
		spread   float32
	}{
		{"one frame", [][]float32{basis(4, 1)}, basis(4, 1), 0},
		{"same frame twice", [][]float32{basis(4, 1), basis(4, 1)}, basis(4, 1), 0},
		// The mean of e₀ and e₁ is (½, ½), re-normalised (1/√2, 1/√2);
		// each frame is 45° from it: d = 2 − 2·cos 45° = 2 − √2.
		{"two orthogonal", [][]float32{basis(4, 0), basis(4, 1)}, []float32{s, s, 0, 0}, float32(2 - math.Sqrt2)},
		// Lengths do not weigh: 10·e₀ and e₁ give the same template.
		{"lengths ignored", [][]float32{{10, 0, 0, 0}, basis(4, 1)}, []float32{s, s, 0, 0}, float32(2 - math.Sqrt2)},
		// Three frames at −0.3, 0, 0.3 rad average to e₀.
		{"symmetric fan", [][]float32{angle(4, -0.3), angle(4, 0), angle(4, 0.3)}, basis(4, 0),
			float32((2 * (2 - 2*math.Cos(0.3))) / 3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGallery(t, Config{Threshold: 1})
			caps := make([]Capture, len(tc.embs))
			for i, e := range tc.embs {
				caps[i] = capt(e, uint8(i))
			}
			res, err := g.Enroll("p", caps)
			if err != nil {
				t.Fatal(err)
			}
			if res.Accepted != len(caps) || res.Refused != 0 || res.Replaced || res.ID != "p" {
				t.Errorf("result %+v", res)
			}
			p, _ := g.Person("p")
			if !nearVec(p.Template, tc.template, 1e-6) {
				t.Errorf("template %v, want %v", p.Template, tc.template)
			}
			if !near(p.Spread, tc.spread, 1e-6) {
				t.Errorf("spread %v, want %v", p.Spread, tc.spread)
			}
			var mean float32
			for i, e := range p.Embeddings {
				if n, _ := norm(e); math.Abs(n-1) > 1e-6 {
					t.Errorf("stored embedding %d has length %v", i, n)
				}
				mean += res.Frames[i].Distance
			}
			if !near(mean/float32(len(caps)), tc.spread, 1e-6) {
				t.Errorf("frame distances average %v, spread is %v", mean/float32(len(caps)), tc.spread)
			}
		})
	}
}

func TestEnrollRefusesFrames(t *testing.T) {
	g := newGallery(t, Config{Threshold: 1})
	dark := capt(basis(4, 3), 1)
	dark.Quality = face.Quality{Faces: 1, Problems: face.TooDark}
	two := capt(basis(4, 3), 2)
	two.Quality = face.Quality{Faces: 2, Problems: face.SeveralFaces | face.TooBlurry}
	good := capt(basis(4, 0), 3)
	good.Quality = face.Quality{Faces: 1, EyesFound: true}

	res, err := g.Enroll("p", []Capture{dark, good, two})
	if err != nil {
		t.Fatal(err)
	}
	want := []FrameResult{
		{Reasons: []string{"too dark"}},
		{Accepted: true},
		{Reasons: []string{"two faces", "too blurry: hold still"}},
	}
	for i, w := range want {
		got := res.Frames[i]
		if got.Accepted != w.Accepted || !slices.Equal(got.Reasons, w.Reasons) || got.Distance != 0 {
			t.Errorf("frame %d: %+v, want %+v", i, got, w)
		}
	}
	if res.Accepted != 1 || res.Refused != 2 {
		t.Errorf("accepted %d refused %d", res.Accepted, res.Refused)
	}
	p, _ := g.Person("p")
	if !nearVec(p.Template, basis(4, 0), 0) || len(p.Crops) != 1 || p.Crops[0].Pix[0] != 3 {
		t.Errorf("the template or crops include refused frames: %v", p.Template)
	}

	// Every frame refused: nothing changes, and the error and result say why.
	before := marshal(t, g)
	res, err = g.Enroll("p", []Capture{dark, two})
	if !errors.Is(err, ErrNoGoodFrame) {
		t.Fatalf("all refused: error %v, want ErrNoGoodFrame", err)
	}
	if msg := `no frame was good enough to enroll "p": frame 1: too dark; frame 2: two faces, too blurry: hold still`; err.Error() != msg {
		t.Errorf("error %q\nwant  %q", err, msg)
	}
	if res.Refused != 2 || len(res.Frames) != 2 || res.Frames[0].Reasons[0] != "too dark" {
		t.Errorf("result %+v", res)
	}
	if !slices.Equal(before, marshal(t, g)) {
		t.Error("a refused enrollment changed the gallery")
	}
}

func TestEnrollReplaces(t *testing.T) {
	g := newGallery(t, Config{Threshold: 1})
	enroll(t, g, "p", basis(4, 0))
	res, err := g.Enroll("p", []Capture{capt(basis(4, 1), 9)})
	if err != nil || !res.Replaced {
		t.Fatalf("re-enrollment: %+v, %v", res, err)
	}
	p, _ := g.Person("p")
	if !nearVec(p.Template, basis(4, 1), 0) || len(p.Embeddings) != 1 || g.Len() != 1 {
		t.Errorf("after re-enrollment: %+v", p)
	}
}

func TestEnrollCopiesCrop(t *testing.T) {
	g := newGallery(t, Config{Threshold: 1})
	big := crop(8, 8, 7)
	sub := big.SubImage(image.Rect(2, 3, 6, 7)).(*image.RGBA) // a view with a stride and an offset
	c := Capture{Crop: sub, Embedding: basis(4, 0)}
	if _, err := g.Enroll("p", []Capture{c}); err != nil {
		t.Fatal(err)
	}
	for i := range big.Pix {
		big.Pix[i] = 0
	}
	p, _ := g.Person("p")
	got := p.Crops[0]
	if got.Bounds() != image.Rect(0, 0, 4, 4) {
		t.Fatalf("crop bounds %v", got.Bounds())
	}
	for y := range 4 {
		for x := range 4 {
			if c := got.RGBAAt(x, y); c.R != 7 || c.G != uint8(x+2) || c.B != uint8(y+3) {
				t.Fatalf("crop pixel (%d,%d) = %v", x, y, c)
			}
		}
	}
}

func TestEnrollErrors(t *testing.T) {
	nan := float32(math.NaN())
	many := make([]Capture, MaxFrames+1)
	for i := range many {
		many[i] = capt(basis(4, 0), 0)
	}
	for _, tc := range []struct {
		name string
		id   string
		caps []Capture
		want string
	}{
		{"empty id", "", []Capture{capt(basis(4, 0), 0)}, "person id is empty"},
		{"no frames", "p", nil, `no frames to enroll "p"`},
		{"too many frames", "p", many, "33 frames"},
		{"no crop", "p", []Capture{{Embedding: basis(4, 0)}}, "frame 1 of 1: no crop"},
		{"empty crop", "p", []Capture{{Crop: &image.RGBA{}, Embedding: basis(4, 0)}}, "crop is 0×0"},
		{"huge crop", "p", []Capture{{Crop: image.NewRGBA(image.Rect(0, 0, 300, 20)), Embedding: basis(4, 0)}}, "crop is 300×20"},
		{"empty embedding", "p", []Capture{capt(nil, 0)}, "embedding is empty"},
		{"zero embedding", "p", []Capture{capt(make([]float32, 4), 0)}, "all zeros"},
		{"NaN", "p", []Capture{capt([]float32{1, nan, 0, 0}, 0)}, "value 1 is NaN"},
		{"mixed lengths", "p", []Capture{capt(basis(4, 0), 0), capt(basis(8, 0), 0)}, "frame 2 of 2 has 8 values and frame 1 has 4"},
		{"cancel out", "p", []Capture{capt(basis(4, 0), 0), capt([]float32{-1, 0, 0, 0}, 0)}, "cancel out"},
		{"other model", "p", []Capture{capt(basis(8, 0), 0)},
			"embedding has 8 values, the gallery holds 4-value embeddings — was it made by another model?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGallery(t, Config{Threshold: 1})
			enroll(t, g, "other", basis(4, 1))
			before := marshal(t, g)
			_, err := g.Enroll(tc.id, tc.caps)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if !slices.Equal(before, marshal(t, g)) {
				t.Error("a failed enrollment changed the gallery")
			}
		})
	}
}

func TestEnrollDimension(t *testing.T) {
	// A fixed dimension refuses other lengths even in an empty gallery.
	g := newGallery(t, Config{Dim: 4})
	_, err := g.Enroll("p", []Capture{capt(basis(8, 0), 0)})
	var de *DimensionError
	if !errors.As(err, &de) || de.Got != 8 || de.Want != 4 {
		t.Fatalf("error %v, want a DimensionError 8/4", err)
	}
	// A learnt one is forgotten when the gallery empties.
	g = newGallery(t, Config{})
	enroll(t, g, "p", basis(4, 0))
	g.Remove("p")
	enroll(t, g, "q", basis(8, 0))
	if g.Dim() != 8 {
		t.Errorf("Dim = %d, want 8", g.Dim())
	}
}
