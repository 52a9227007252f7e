package train

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/oneshotface/oneshot/face"
)

// TestJitteredEyesFollowTheFace: where jitteredEyes says the pupils land
// is where face.Template.Transform maps a face's pupils, for jitters with
// and without a flip, in the student's crop and the teacher's.
func TestJitteredEyesFollowTheFace(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	r, err := face.DefaultJitterRange.Scaled(2)
	if err != nil {
		t.Fatal(err)
	}
	for _, tmpl := range []face.Template{face.TemplateCompact64, face.TemplateDlib150} {
		for k := range 50 {
			eyes := face.Eyes{Left: face.Point{X: 80 + 20*rng.Float64(), Y: 100 + 10*rng.Float64()}}
			eyes.Right = face.Point{X: eyes.Left.X + 40 + 20*rng.Float64(), Y: eyes.Left.Y + 10*(rng.Float64()-0.5)}
			j := r.Sample(rng)
			m := tmpl.Transform(eyes, j)
			at := func(p face.Point) face.Point {
				return face.Point{X: m[0]*p.X + m[1]*p.Y + m[2], Y: m[3]*p.X + m[4]*p.Y + m[5]}
			}
			// A mirrored face has its left pupil on the crop's right.
			wantL, wantR := at(eyes.Left), at(eyes.Right)
			if j.Flip {
				wantL, wantR = wantR, wantL
			}
			l, rr := jitteredEyes(tmpl, j)
			for _, c := range [][2]face.Point{{l, wantL}, {rr, wantR}} {
				if math.Hypot(c[0].X-c[1].X, c[0].Y-c[1].Y) > 1e-6*tmpl.PupilDistance() {
					t.Fatalf("%s jitter %d %+v: pupil at %v, the face's at %v", tmpl.Name, k, j, c[0], c[1])
				}
			}
		}
	}
}

// TestGlassesPixels: on a grey face, sunglasses darken the pupils and
// leave the mouth and the corners be; clear glasses leave the pupils be
// and darken their rim; both follow a turned, shifted, mirrored face; and
// they draw alike, in pupil distances, in a 64-pixel crop and a 150-pixel
// one.
func TestGlassesPixels(t *testing.T) {
	sun := Glasses{Apart: 0.5, Width: 0.4, Height: 0.3, Round: 2.5, Shade: 0.9, Tint: [3]uint8{20, 20, 20}, Rim: 0.04, Frame: [3]uint8{10, 10, 10}}
	clear := sun
	clear.Shade = 0
	jitters := []face.Jitter{{}, {Rotate: 8, ShiftX: 0.08, ShiftY: -0.05, Scale: 0.06, Flip: true}}
	for _, tmpl := range []face.Template{face.TemplateCompact64, face.TemplateDlib150} {
		for _, j := range jitters {
			l, r := jitteredEyes(tmpl, j)
			pd := math.Hypot(r.X-l.X, r.Y-l.Y)
			// Below the eye line, half-way to the mouth: no glass there.
			down := face.Point{X: (l.X+r.X)/2 - (r.Y-l.Y)*0.9, Y: (l.Y+r.Y)/2 + (r.X-l.X)*0.9}
			// The left lens's rim, straight below its centre.
			rim := face.Point{X: l.X - (r.Y-l.Y)/pd*0.3*pd, Y: l.Y + (r.X-l.X)/pd*0.3*pd}
			grey := func() *image.RGBA {
				c := tmpl.NewCrop()
				draw.Draw(c, c.Rect, image.NewUniform(color.RGBA{160, 160, 160, 255}), image.Point{}, draw.Src)
				return c
			}
			value := func(c *image.RGBA, p face.Point) uint8 { return c.RGBAAt(int(p.X), int(p.Y)).R }

			c := grey()
			drawGlassesOn(c, sun, tmpl, j)
			for _, p := range []face.Point{l, r} {
				if v := value(c, p); v > 40 {
					t.Errorf("%s %+v: sunglasses leave the pupil at %v at %d, want it dark", tmpl.Name, j, p, v)
				}
			}
			for _, p := range []face.Point{down, {X: 1, Y: float64(tmpl.Height) - 2}} {
				if v := value(c, p); v != 160 {
					t.Errorf("%s %+v: sunglasses changed %v, away from the eyes, to %d", tmpl.Name, j, p, v)
				}
			}

			c = grey()
			drawGlassesOn(c, clear, tmpl, j)
			for _, p := range []face.Point{l, r} {
				if v := value(c, p); v != 160 {
					t.Errorf("%s %+v: clear glasses changed the pupil at %v to %d", tmpl.Name, j, p, v)
				}
			}
			if v := value(c, rim); v > 130 {
				t.Errorf("%s %+v: the rim at %v is %d, want it darkened towards the frame", tmpl.Name, j, rim, v)
			}
		}
	}
	// Nothing to draw: the crop is unchanged.
	c := face.TemplateCompact64.NewCrop()
	c.Pix[0] = 99
	drawGlassesOn(c, Glasses{}, face.TemplateCompact64, face.Jitter{})
	if c.Pix[0] != 99 {
		t.Error("empty glasses changed the crop")
	}
}

// TestViewGlasses: glasses come from a stream of their own — a set's
// views with glasses are its views without, plus the glasses — never on
// view 0, on every other view at probability 1 and on some at 0.5, within
// the drawing limits, about half of them sunglasses; a view in glasses is
// altered (the teacher embeds it) but not composite (it stays in triplet
// mining).
func TestViewGlasses(t *testing.T) {
	base := &Views{Count: 10, Range: face.DefaultJitterRange, Seed: 4, Composition: Composition{Mix: 0.5, Warp: 0.5}, Samples: 20}
	all, half := *base, *base
	all.Glasses, half.Glasses = 1, 0.5
	halfCount, dark := 0, 0
	for i := range 20 {
		for v := range 10 {
			b, a, h := base.View(i, v), all.View(i, v), half.View(i, v)
			if !b.Glasses.Empty() {
				t.Fatalf("sample %d view %d: glasses in a set without glasses", i, v)
			}
			bare := a
			bare.Glasses = Glasses{}
			if bare != b {
				t.Fatalf("sample %d view %d: glasses changed the view's other draws: %+v, want %+v", i, v, bare, b)
			}
			if v == 0 {
				if !a.Glasses.Empty() {
					t.Fatalf("sample %d: glasses on view 0", i)
				}
				continue
			}
			g := a.Glasses
			if g.Empty() || !a.Altered() || a.Composite() != b.Composite() {
				t.Fatalf("sample %d view %d: glasses %+v at probability 1 (altered %v, composite %v, without %v)", i, v, g, a.Altered(), a.Composite(), b.Composite())
			}
			if !h.Glasses.Empty() {
				halfCount++
				if h.Glasses != g {
					t.Fatalf("sample %d view %d: the glasses depend on the probability", i, v)
				}
			}
			if g.Shade >= sunShade {
				dark++
			}
			if g.Apart < glassesApart || g.Apart > glassesApart+glassesApartSpan || g.Width < glassesWidth || g.Width > glassesWidth+glassesWidthSpan ||
				g.Height < glassesHeight || g.Height > glassesHeight+glassesHeightSpan || g.Round < glassesRound || g.Rim < glassesRim ||
				g.Shade < 0 || g.Shade > sunShade+sunShadeSpan || (g.Shade > clearShadeSpan && g.Shade < sunShade) {
				t.Fatalf("glasses %+v outside the drawing limits", g)
			}
		}
	}
	if halfCount < 60 || halfCount > 120 {
		t.Errorf("%d of 180 views in glasses at probability 0.5", halfCount)
	}
	if dark < 60 || dark > 120 {
		t.Errorf("%d of 180 glasses are sunglasses, want about half", dark)
	}
	if s := (Composition{Warp: 1, Glasses: 0.5, Sight: true}).String(); s != "warp1-glasses0.5-sight" {
		t.Errorf("composition spelt %q", s)
	}
	if err := (Composition{Glasses: -0.1}).Validate(); err == nil {
		t.Error("glasses probability −0.1 accepted")
	}
}
