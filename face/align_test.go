package face

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/image/math/f64"
)

func apply(m f64.Aff3, p Point) Point {
	return Point{m[0]*p.X + m[1]*p.Y + m[2], m[3]*p.X + m[4]*p.Y + m[5]}
}

func near(a, b Point, tol float64) bool { return math.Hypot(a.X-b.X, a.Y-b.Y) <= tol }

func TestTemplatePresets(t *testing.T) {
	// dlib's 150×150 chip with 25% padding: eyes at the midpoints of the
	// corners of its 5-point mean face, +0.5 for package image's pixel
	// centres.
	d := TemplateDlib150
	if d.Width != 150 || d.Height != 150 ||
		!near(d.Left, Point{48.23, 47.63}, 0.01) || !near(d.Right, Point{100.78, 47.63}, 0.01) {
		t.Errorf("TemplateDlib150 = %+v", d)
	}
	for _, tm := range []Template{TemplateDlib150, TemplateCompact64, TemplateCompact96} {
		if err := tm.Validate(); err != nil {
			t.Error(err)
		}
		if tm.Left.Y != tm.Right.Y {
			t.Errorf("%s is not level", tm.Name)
		}
	}
	if c := TemplateCompact64; c.Width != 64 || math.Abs(c.Right.X-c.Left.X-28.0) > 0.1 {
		t.Errorf("TemplateCompact64 = %+v, want eyes 28 px apart", c)
	}
	for _, bad := range []Template{
		{Name: "empty"},
		{Name: "huge", Width: MaxSide + 1, Height: 10, Left: Point{1, 1}, Right: Point{5, 1}},
		{Name: "swapped", Width: 10, Height: 10, Left: Point{7, 3}, Right: Point{3, 3}},
		{Name: "nan", Width: 10, Height: 10, Left: Point{math.NaN(), 3}, Right: Point{7, 3}},
	} {
		if bad.Validate() == nil {
			t.Errorf("template %s validated", bad.Name)
		}
	}
}

func TestTransform(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	tm := TemplateDlib150
	mid := Point{(tm.Left.X + tm.Right.X) / 2, tm.Left.Y}
	for range 100 {
		e := Eyes{Left: Point{rng.Float64() * 300, rng.Float64() * 300}}
		a := (rng.Float64() - 0.5) * math.Pi / 2
		dist := 10 + rng.Float64()*100
		e.Right = Point{e.Left.X + dist*math.Cos(a), e.Left.Y + dist*math.Sin(a)}
		m := tm.Transform(e, Jitter{})
		if !near(apply(m, e.Left), tm.Left, 1e-9) || !near(apply(m, e.Right), tm.Right, 1e-9) {
			t.Fatalf("eyes %+v map to %v %v, want %v %v", e, apply(m, e.Left), apply(m, e.Right), tm.Left, tm.Right)
		}
		// A mirror swaps the eyes onto the template.
		m = tm.Transform(e, Jitter{Flip: true})
		if !near(apply(m, e.Left), tm.Right, 1e-9) || !near(apply(m, e.Right), tm.Left, 1e-9) {
			t.Fatalf("flipped: eyes map to %v %v, want %v %v", apply(m, e.Left), apply(m, e.Right), tm.Right, tm.Left)
		}
		// Rotation and scale keep the eye midpoint; shift moves it.
		j := Jitter{Rotate: 10, Scale: 0.1, ShiftX: 0.05, ShiftY: -0.1}
		m = tm.Transform(e, j)
		got := apply(m, e.Mid())
		d := tm.Right.X - tm.Left.X
		if !near(got, Point{mid.X + 0.05*d, mid.Y - 0.1*d}, 1e-9) {
			t.Fatalf("jittered midpoint at %v", got)
		}
		l, r := apply(m, e.Left), apply(m, e.Right)
		if dd := math.Hypot(r.X-l.X, r.Y-l.Y); math.Abs(dd-1.1*d) > 1e-9 {
			t.Fatalf("jittered eye distance %v, want %v", dd, 1.1*d)
		}
		if roll := math.Atan2(r.Y-l.Y, r.X-l.X) * 180 / math.Pi; math.Abs(roll-10) > 1e-9 {
			t.Fatalf("jittered roll %v, want 10", roll)
		}
	}
}

// eyeImage draws two dark discs on a light background: a face's pupils,
// for checking where Align puts them.
func eyeImage(w, h int, l, r Point, radius float64) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{220, 200, 180, 255}
			p := Point{float64(x) + 0.5, float64(y) + 0.5}
			if near(p, l, radius) || near(p, r, radius) {
				c = color.RGBA{10, 10, 10, 255}
			}
			m.SetRGBA(x, y, c)
		}
	}
	return m
}

// darkCentroid is the centroid of the darkness of the crop's pixels in
// the columns [x0, x1).
func darkCentroid(m *image.RGBA, x0, x1 int) Point {
	var sx, sy, sw float64
	b := m.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X + x0; x < b.Min.X+x1; x++ {
			v := m.RGBAAt(x, y)
			if v.R == 0 && v.G == 0 && v.B == 0 { // outside the source
				continue
			}
			w := math.Max(0, 200-float64(v.R))
			sx += w * (float64(x-b.Min.X) + 0.5)
			sy += w * (float64(y-b.Min.Y) + 0.5)
			sw += w
		}
	}
	return Point{sx / sw, sy / sw}
}

func TestAlignPutsEyesOnTemplate(t *testing.T) {
	l, r := Point{120.5, 90.5}, Point{171.5, 104.5} // rolled 15°
	src := eyeImage(300, 240, l, r, 5)
	// The same picture as a sub-image with non-zero bounds.
	shifted := eyeImage(340, 300, Point{l.X + 40, l.Y + 60}, Point{r.X + 40, r.Y + 60}, 5).SubImage(image.Rect(40, 60, 340, 300))
	for _, tm := range []Template{TemplateDlib150, TemplateCompact64, TemplateCompact96} {
		for name, c := range map[string]struct {
			img  image.Image
			eyes Eyes
		}{
			"plain":     {src, Eyes{Left: l, Right: r}},
			"sub-image": {shifted, Eyes{Left: Point{l.X + 40, l.Y + 60}, Right: Point{r.X + 40, r.Y + 60}}},
		} {
			crop := tm.NewCrop()
			if err := Align(crop, c.img, c.eyes, tm); err != nil {
				t.Fatal(err)
			}
			mid := tm.Width / 2
			gl, gr := darkCentroid(crop, 0, mid), darkCentroid(crop, mid, tm.Width)
			if !near(gl, tm.Left, 0.35) || !near(gr, tm.Right, 0.35) {
				t.Errorf("%s, %s: eyes at %v %v, template %v %v", tm.Name, name, gl, gr, tm.Left, tm.Right)
			}
		}
	}
	// A crop whose bounds do not start at (0, 0).
	tm := TemplateCompact64
	crop := image.NewRGBA(image.Rect(10, 20, 10+tm.Width, 20+tm.Height))
	if err := Align(crop, src, Eyes{Left: l, Right: r}, tm); err != nil {
		t.Fatal(err)
	}
	if gl := darkCentroid(crop, 0, tm.Width/2); !near(gl, tm.Left, 0.35) {
		t.Errorf("offset crop: left eye at %v, template %v", gl, tm.Left)
	}
}

func TestAlignErrors(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 50, 50))
	eyes := Eyes{Left: Point{15, 20}, Right: Point{35, 20}}
	tm := TemplateCompact64
	cases := map[string]error{
		"nil dst":    Align(nil, src, eyes, tm),
		"wrong size": Align(image.NewRGBA(image.Rect(0, 0, 63, 64)), src, eyes, tm),
		"nil src":    Align(tm.NewCrop(), nil, eyes, tm),
		"empty src":  Align(tm.NewCrop(), image.NewRGBA(image.Rectangle{}), eyes, tm),
		"same eyes":  Align(tm.NewCrop(), src, Eyes{}, tm),
		"nan eyes":   Align(tm.NewCrop(), src, Eyes{Left: Point{math.NaN(), 1}, Right: Point{3, 4}}, tm),
		"inf eyes":   Align(tm.NewCrop(), src, Eyes{Left: Point{1, 1}, Right: Point{math.Inf(1), 4}}, tm),
		"bad tmpl":   Align(tm.NewCrop(), src, eyes, Template{Name: "x", Width: 64, Height: 64}),
		"nan jitter": AlignJittered(tm.NewCrop(), src, eyes, tm, Jitter{Rotate: math.NaN()}),
		"neg blur":   AlignJittered(tm.NewCrop(), src, eyes, tm, Jitter{Blur: -1}),
	}
	for name, err := range cases {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// Eyes far outside the image give a black crop, not a failure.
	crop := tm.NewCrop()
	if err := Align(crop, src, Eyes{Left: Point{-1e6, 5}, Right: Point{-1e6 + 30, 5}}, tm); err != nil {
		t.Errorf("eyes outside the image: %v", err)
	}
}

func TestTensor(t *testing.T) {
	crop := image.NewRGBA(image.Rect(0, 0, 2, 2))
	copy(crop.Pix, []uint8{
		0, 128, 255, 255, 10, 20, 30, 255,
		255, 255, 255, 255, 122, 117, 104, 255,
	})
	dst := make([]float32, 12)
	if err := Tensor(dst, crop, NormUnit); err != nil {
		t.Fatal(err)
	}
	want := []float32{0, 128. / 255, 1, 10. / 255, 20. / 255, 30. / 255, 1, 1, 1, 122. / 255, 117. / 255, 104. / 255}
	for i := range want {
		if math.Abs(float64(dst[i]-want[i])) > 1e-6 {
			t.Fatalf("NormUnit: dst[%d] = %v, want %v", i, dst[i], want[i])
		}
	}
	if err := Tensor(dst, crop, NormDlib); err != nil {
		t.Fatal(err)
	}
	if got, want := dst[0], float32(-122.782/256); math.Abs(float64(got-want)) > 1e-6 {
		t.Errorf("NormDlib: dst[0] = %v, want %v", got, want)
	}
	if err := Tensor(dst, crop, NormSigned); err != nil || dst[0] != -1 || dst[2] != 1 {
		t.Errorf("NormSigned: %v %v, err %v", dst[0], dst[2], err)
	}
	if Tensor(make([]float32, 11), crop, NormUnit) == nil || Tensor(dst, nil, NormUnit) == nil {
		t.Error("Tensor accepted a wrong length or a nil crop")
	}
	if n := testing.AllocsPerRun(10, func() { Tensor(dst, crop, NormDlib) }); n != 0 {
		t.Errorf("Tensor allocates %v times", n)
	}
}

func TestAlignRefusesHugeShrink(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 100, 90))
	tm := TemplateCompact64
	err := Align(tm.NewCrop(), src, Eyes{Left: Point{-1e9, 5}, Right: Point{1e9, 5}}, tm)
	if err == nil {
		t.Fatal("eyes 2e9 px apart were aligned")
	}
	err = AlignJittered(tm.NewCrop(), src, Eyes{Left: Point{0, 5}, Right: Point{2000, 5}}, tm, Jitter{Scale: -0.89})
	if err == nil {
		t.Fatal("a 650× shrink was aligned")
	}
	if err := Align(tm.NewCrop(), src, Eyes{Left: Point{0, 5}, Right: Point{2000, 5}}, tm); err != nil {
		t.Fatalf("a 71× shrink: %v", err)
	}
}

// TestTemplatesSameView: the compact presets frame the face alike at
// every size, dlib's 150-px chip (wider padding) does not, and every
// named preset is valid.
func TestTemplatesSameView(t *testing.T) {
	for _, u := range []Template{TemplateCompact80, TemplateCompact96} {
		if !TemplateCompact64.SameView(u) || !u.SameView(TemplateCompact64) {
			t.Errorf("%s and %s: not the same view", TemplateCompact64.Name, u.Name)
		}
	}
	if TemplateCompact64.SameView(TemplateDlib150) {
		t.Errorf("%s and %s: the same view despite their padding", TemplateCompact64.Name, TemplateDlib150.Name)
	}
	for name, tm := range Templates {
		if err := tm.Validate(); err != nil {
			t.Errorf("Templates[%q]: %v", name, err)
		}
	}
}
