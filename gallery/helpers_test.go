package gallery

import (
	"image"
	"image/color"
	"math"
	"testing"
)

// angle returns the dim-value unit vector at angle θ (radians) from e₀
// towards e₁: (cos θ, sin θ, 0, …). Its squared distance to e₀ is
// 2 − 2·cos θ.
func angle(dim int, theta float64) []float32 {
	v := make([]float32, dim)
	v[0], v[1] = float32(math.Cos(theta)), float32(math.Sin(theta))
	return v
}

// basis returns the dim-value unit vector eᵢ.
func basis(dim, i int) []float32 {
	v := make([]float32, dim)
	v[i] = 1
	return v
}

// crop returns a w×h crop filled with the grey level seed, so a test's
// embed function can tell crops apart by their first byte.
func crop(w, h int, seed uint8) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{seed, uint8(x), uint8(y), 255})
		}
	}
	return img
}

// capt is an accepted Capture of emb with a 4×4 crop marked seed.
func capt(emb []float32, seed uint8) Capture {
	return Capture{Crop: crop(4, 4, seed), Embedding: emb}
}

// newGallery makes a gallery or fails the test.
func newGallery(t testing.TB, c Config) *Gallery {
	t.Helper()
	g, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// enroll enrolls id from embs (crops marked 1, 2, …) or fails the test.
func enroll(t testing.TB, g *Gallery, id string, embs ...[]float32) {
	t.Helper()
	caps := make([]Capture, len(embs))
	for i, e := range embs {
		caps[i] = capt(e, uint8(i+1))
	}
	if _, err := g.Enroll(id, caps); err != nil {
		t.Fatal(err)
	}
}

// sample is a small gallery of three people in 4 dimensions, with a
// threshold of 1 and a model fingerprint.
func sample(t testing.TB) *Gallery {
	t.Helper()
	g := newGallery(t, Config{Threshold: 1, Model: "model-a"})
	enroll(t, g, "alice", basis(4, 0), angle(4, 0.2))
	enroll(t, g, "bob", basis(4, 2))
	enroll(t, g, "Zoë", basis(4, 3), basis(4, 3), basis(4, 3))
	return g
}

// marshal returns g's bytes or fails the test.
func marshal(t testing.TB, g *Gallery) []byte {
	t.Helper()
	b, err := g.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func near(a, b, tol float32) bool { return math.Abs(float64(a-b)) <= float64(tol) }

func nearVec(a, b []float32, tol float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !near(a[i], b[i], tol) {
			return false
		}
	}
	return true
}
