package face

import (
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestJitterSampleDeterministic(t *testing.T) {
	draw := func(seed uint64) []Jitter {
		rng := rand.New(rand.NewPCG(seed, 0))
		var js []Jitter
		for range 20 {
			js = append(js, DefaultJitterRange.Sample(rng))
		}
		return js
	}
	a, b, c := draw(7), draw(7), draw(8)
	if !slices.Equal(a, b) {
		t.Fatal("the same seed gave different jitters")
	}
	if slices.Equal(a, c) {
		t.Fatal("different seeds gave the same jitters")
	}
	flips := 0
	for _, j := range a {
		if j.Flip {
			flips++
		}
		r := DefaultJitterRange
		if math.Abs(j.Rotate) > r.MaxRotate || math.Abs(j.Scale) > r.MaxScale || math.Abs(j.ShiftX) > r.MaxShift ||
			math.Abs(j.Brightness) > r.MaxBrightness || j.Blur < 0 || j.Blur > r.MaxBlur || j.validate() != nil {
			t.Fatalf("jitter out of range: %+v", j)
		}
	}
	if flips == 0 || flips == len(a) {
		t.Errorf("%d of %d jitters flip", flips, len(a))
	}
	if (JitterRange{}).Sample(rand.New(rand.NewPCG(1, 1))) != (Jitter{}) {
		t.Error("the zero range drew a non-zero jitter")
	}
}

// mirror returns src flipped left-right.
func mirror(src *image.RGBA) *image.RGBA {
	b := src.Bounds()
	m := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			m.SetRGBA(b.Max.X-1-(x-b.Min.X), y, src.RGBAAt(x, y))
		}
	}
	return m
}

// noiseImage is a smooth random colour image.
func noiseImage(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 1))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	var ph [9]float64
	for i := range ph {
		ph[i] = rng.Float64() * 2 * math.Pi
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := m.PixOffset(x, y)
			for c := 0; c < 3; c++ {
				v := 128 + 60*math.Sin(float64(x)/7+ph[3*c]) + 50*math.Cos(float64(y)/5+ph[3*c+1]) + 15*math.Sin(float64(x+y)/3+ph[3*c+2])
				m.Pix[i+c] = uint8(min(max(v, 0), 255))
			}
			m.Pix[i+3] = 255
		}
	}
	return m
}

func meanStd(m *image.RGBA) (float64, float64) {
	var s, ss, n float64
	for i := 0; i < len(m.Pix); i += 4 {
		for c := 0; c < 3; c++ {
			v := float64(m.Pix[i+c])
			s += v
			ss += v * v
			n++
		}
	}
	mean := s / n
	return mean, math.Sqrt(ss/n - mean*mean)
}

// TestJitterRangeScaled: Scaled multiplies every bound and keeps the
// probabilities; draws from a scaled range reach past the plain bounds and
// stay within the scaled ones; factors that make no range are refused.
func TestJitterRangeScaled(t *testing.T) {
	r := DefaultJitterRange
	if one, err := r.Scaled(1); err != nil || one != r {
		t.Errorf("Scaled(1) = %+v, %v; want the range itself", one, err)
	}
	two, err := r.Scaled(2)
	if err != nil {
		t.Fatal(err)
	}
	want := JitterRange{FlipProb: r.FlipProb, MaxRotate: 2 * r.MaxRotate, MaxScale: 2 * r.MaxScale, MaxShift: 2 * r.MaxShift,
		MaxBrightness: 2 * r.MaxBrightness, MaxContrast: 2 * r.MaxContrast, MaxGamma: 2 * r.MaxGamma, BlurProb: r.BlurProb, MaxBlur: 2 * r.MaxBlur}
	if two != want {
		t.Errorf("Scaled(2) = %+v, want %+v", two, want)
	}
	rng := rand.New(rand.NewPCG(3, 0))
	beyond := 0
	for range 200 {
		j := two.Sample(rng)
		if math.Abs(j.Rotate) > two.MaxRotate || math.Abs(j.Scale) > two.MaxScale || math.Abs(j.ShiftY) > two.MaxShift ||
			math.Abs(j.Gamma) > two.MaxGamma || j.Blur > two.MaxBlur || j.validate() != nil {
			t.Fatalf("jitter out of the scaled range: %+v", j)
		}
		if math.Abs(j.Rotate) > r.MaxRotate {
			beyond++
		}
	}
	if beyond < 50 { // half the draws, in expectation
		t.Errorf("%d of 200 rotations beyond the plain bound; want about 100", beyond)
	}
	for _, k := range []float64{0, -1, math.NaN(), math.Inf(1), 18} {
		if _, err := r.Scaled(k); err == nil {
			t.Errorf("Scaled(%g) accepted", k)
		}
	}
}

func TestJitterFlipMirrors(t *testing.T) {
	src := noiseImage(200, 180, 1)
	eyes := Eyes{Left: Point{80.3, 90.2}, Right: Point{121.7, 86.9}}
	tm := DlibTemplate(96, 0.1)
	// Flip mirrors about the template's eye midpoint; with eyes placed
	// symmetrically about the crop's centre, that is mirroring the crop.
	tm.Left.X, tm.Right.X = 30, 66
	got := tm.NewCrop()
	if err := AlignJittered(got, src, eyes, tm, Jitter{Flip: true}); err != nil {
		t.Fatal(err)
	}
	plain := tm.NewCrop()
	if err := Align(plain, src, eyes, tm); err != nil {
		t.Fatal(err)
	}
	want := mirror(plain)
	maxDiff := 0
	for i := range got.Pix {
		maxDiff = max(maxDiff, int(got.Pix[i])-int(want.Pix[i]), int(want.Pix[i])-int(got.Pix[i]))
	}
	if maxDiff > 2 {
		t.Errorf("flipped crop differs from the mirrored crop by up to %d", maxDiff)
	}
}

func TestJitterPixels(t *testing.T) {
	src := noiseImage(160, 160, 2)
	eyes := Eyes{Left: Point{60, 70}, Right: Point{100, 70}}
	tm := TemplateCompact64
	crop := func(j Jitter) *image.RGBA {
		c := tm.NewCrop()
		if err := AlignJittered(c, src, eyes, tm, j); err != nil {
			t.Fatal(err)
		}
		return c
	}
	base := crop(Jitter{})
	if again := crop(Jitter{}); !slices.Equal(base.Pix, again.Pix) {
		t.Fatal("Align is not deterministic")
	}
	m0, s0 := meanStd(base)
	if m, _ := meanStd(crop(Jitter{Brightness: 0.1})); m < m0+20 {
		t.Errorf("brightness +0.1: mean %.1f → %.1f", m0, m)
	}
	if _, s := meanStd(crop(Jitter{Contrast: 0.3})); s < s0*1.2 {
		t.Errorf("contrast +0.3: std %.1f → %.1f", s0, s)
	}
	if m, _ := meanStd(crop(Jitter{Gamma: 0.4})); m > m0-5 {
		t.Errorf("gamma +0.4: mean %.1f → %.1f, want darker", m0, m)
	}
	lap := func(m *image.RGBA) float64 {
		var s float64
		for y := 1; y < 63; y++ {
			for x := 1; x < 63; x++ {
				g := func(x, y int) float64 { return float64(m.Pix[m.PixOffset(x, y)]) }
				l := g(x-1, y) + g(x+1, y) + g(x, y-1) + g(x, y+1) - 4*g(x, y)
				s += l * l
			}
		}
		return s
	}
	if l0, l1 := lap(base), lap(crop(Jitter{Blur: 1.5})); l1 > 0.75*l0 {
		t.Errorf("blur 1.5: Laplacian energy %.0f → %.0f", l0, l1)
	}
}
