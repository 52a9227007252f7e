package train

import (
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/oneshotface/oneshot/face"
)

// TestWarpIsInPupilDistances: one bump moves a small bright square at its
// centre by its shift in pupil distances, in the student's 64-pixel crop
// and in the teacher's 150-pixel crop alike, and leaves far pixels be.
func TestWarpIsInPupilDistances(t *testing.T) {
	for _, tmpl := range []face.Template{face.TemplateCompact64, face.TemplateDlib150} {
		ex, ey, pd := (tmpl.Left.X+tmpl.Right.X)/2, (tmpl.Left.Y+tmpl.Right.Y)/2, tmpl.PupilDistance()
		// The square's centre: 0.8 pupil distances below the eyes.
		cx, cy := ex, ey+0.8*pd
		c := tmpl.NewCrop()
		side := max(2, int(pd/10))
		x0, y0 := int(cx)-side/2, int(cy)-side/2
		for y := y0; y < y0+side; y++ {
			for x := x0; x < x0+side; x++ {
				c.SetRGBA(x, y, color.RGBA{255, 255, 255, 255})
			}
		}
		corner := c.RGBAAt(1, 1)
		before := centroid(c)
		var w Warp
		w[0] = Bump{X: 0, Y: 0.8, Radius: 0.5, DX: 0.1, DY: -0.05}
		warpCrop(c, w, tmpl)
		after := centroid(c)
		dx, dy := (after.X-before.X)/pd, (after.Y-before.Y)/pd
		if math.Abs(dx-0.1) > 0.01 || math.Abs(dy+0.05) > 0.01 {
			t.Errorf("%s: the square moved by (%.3f, %.3f) pupil distances, want (0.1, −0.05)", tmpl.Name, dx, dy)
		}
		if got := c.RGBAAt(1, 1); got != corner {
			t.Errorf("%s: a pixel far from the bump changed from %v to %v", tmpl.Name, corner, got)
		}
	}
}

// centroid is the brightness-weighted centre of c's red channel, in
// pixel-centre coordinates.
func centroid(c *image.RGBA) struct{ X, Y float64 } {
	var sx, sy, s float64
	for y := 0; y < c.Rect.Dy(); y++ {
		for x := 0; x < c.Rect.Dx(); x++ {
			v := float64(c.RGBAAt(x, y).R)
			sx += v * (float64(x) + 0.5)
			sy += v * (float64(y) + 0.5)
			s += v
		}
	}
	return struct{ X, Y float64 }{sx / s, sy / s}
}

// TestViewWarps: warps come from a stream of their own — a set's views
// with warps are its views without, plus a warp — never on view 0, on
// every other view at probability 1 and on some at 0.5, within the
// drawing limits; warped views are composite.
func TestViewWarps(t *testing.T) {
	base := &Views{Count: 10, Range: face.DefaultJitterRange, Seed: 4, Composition: Composition{Mix: 0.5, Swap: 0.5}, Samples: 20}
	all, half := *base, *base
	all.Warp, half.Warp = 1, 0.5
	warpedHalf := 0
	for i := range 20 {
		for v := range 10 {
			b, a, h := base.View(i, v), all.View(i, v), half.View(i, v)
			if !b.Warp.Empty() {
				t.Fatalf("sample %d view %d: warped in a set without warps", i, v)
			}
			plain := a
			plain.Warp = Warp{}
			if plain != b {
				t.Fatalf("sample %d view %d: warps changed the view's other draws: %+v, want %+v", i, v, plain, b)
			}
			if v == 0 {
				if !a.Warp.Empty() {
					t.Fatalf("sample %d: view 0 warped", i)
				}
				continue
			}
			if a.Warp.Empty() || !a.Composite() {
				t.Fatalf("sample %d view %d: not warped (composite %v) at probability 1", i, v, a.Composite())
			}
			if !h.Warp.Empty() {
				warpedHalf++
				if h.Warp != a.Warp {
					t.Fatalf("sample %d view %d: the warp depends on the probability", i, v)
				}
			}
			for _, bump := range a.Warp {
				if math.Hypot(bump.DX, bump.DY) > warpShift || bump.Radius < warpMinRadius || math.Abs(bump.X) > warpXSpan ||
					bump.Y < warpYTop || bump.Y > warpYTop+warpYSpan {
					t.Fatalf("bump %+v outside the drawing limits", bump)
				}
			}
		}
	}
	if warpedHalf < 60 || warpedHalf > 120 {
		t.Errorf("%d of 180 views warped at probability 0.5", warpedHalf)
	}
	if (Composition{Warp: 1}).String() != "warp1" || (Composition{Mix: 1, Swap: 1, Warp: 0.5}).String() != "mix1-swap1-warp0.5" {
		t.Errorf("compositions spelt %q and %q", Composition{Warp: 1}, Composition{Mix: 1, Swap: 1, Warp: 0.5})
	}
	if err := (Composition{Warp: 1.5}).Validate(); err == nil {
		t.Error("warp probability 1.5 accepted")
	}
}
