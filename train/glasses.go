package train

import (
	"image"
	"math"
	"math/rand/v2"

	"github.com/oneshotface/oneshot/face"
)

// Glasses are a pair of spectacles drawn over a face: two lenses, a
// bridge between them and the start of each arm. Sunglasses hide the
// eyes behind dark lenses; clear glasses leave them seen through a faint
// tint and a frame. The shipped student confused people in glasses more
// than any other kind of face (2026-12-01: of its errors on the test
// pairs that the teacher got right, the most common theme was glasses in
// one picture and not in the other), while the teacher stays sure of
// them; drawn on training faces and labelled by the teacher as the
// student sees them, they teach the student to look past eyewear. A face
// in glasses is still its own person, so, unlike blends and swaps, such
// views take part in triplet mining.
//
// Everything is placed in pupil distances from the point between the
// pupils, along and across the eye line of the face as it lands in the
// crop (after its jitter), so the teacher's crop and the student's, of
// different sizes, wear the same glasses. The zero value draws nothing.
type Glasses struct {
	// Apart is the distance of each lens centre from the point between
	// the pupils; Lift moves both centres down (negative: up).
	Apart, Lift float64
	// Width and Height are each lens's half-width and half-height.
	Width, Height float64
	// Round is the exponent of the lenses' superellipse |x|ⁿ + |y|ⁿ = 1:
	// 2 is an ellipse, larger is squarer.
	Round float64
	// Shade is the lenses' opacity, 0 (clear) to 1, and Tint their
	// colour.
	Shade float64
	Tint  [3]uint8
	// Rim is the frame's thickness (0: rimless), and Frame its colour.
	Rim   float64
	Frame [3]uint8
}

// Empty reports whether the glasses draw nothing.
func (g Glasses) Empty() bool { return !(g.Width > 0 && g.Height > 0) }

// Limits of drawn glasses, in pupil distances (a lens of a real pair is
// 45–55 mm wide and 30–45 mm high, the bridge 15–20 mm, for pupils about
// 62 mm apart); sunglassesShare of the pairs are sunglasses.
const (
	glassesApart, glassesApartSpan   = 0.50, 0.08
	glassesLift, glassesLiftSpan     = -0.02, 0.12
	glassesWidth, glassesWidthSpan   = 0.33, 0.12
	glassesHeight, glassesHeightSpan = 0.22, 0.14
	glassesRound, glassesRoundSpan   = 2.0, 3.0
	glassesRim, glassesRimSpan       = 0.012, 0.05
	sunShade, sunShadeSpan           = 0.60, 0.35
	clearShadeSpan                   = 0.15
	sunglassesShare                  = 0.5
	// glassesArm is how far beyond a lens's outer edge its arm is drawn.
	glassesArm = 0.6
)

// drawGlasses draws a pair of glasses from rng: its shape uniformly in
// the limits, sunglasses (dark lenses, a dark or bluish tint) or clear
// glasses (a faint light tint), and a dark or metal frame. It makes the
// same number of draws whatever the outcome.
func drawGlasses(rng *rand.Rand) Glasses {
	g := Glasses{
		Apart:  glassesApart + glassesApartSpan*rng.Float64(),
		Lift:   glassesLift + glassesLiftSpan*rng.Float64(),
		Width:  glassesWidth + glassesWidthSpan*rng.Float64(),
		Height: glassesHeight + glassesHeightSpan*rng.Float64(),
		Round:  glassesRound + glassesRoundSpan*rng.Float64(),
		Rim:    glassesRim + glassesRimSpan*rng.Float64(),
	}
	sun, shade := rng.Float64() < sunglassesShare, rng.Float64()
	var tint, frame [3]float64
	for c := range tint {
		tint[c], frame[c] = rng.Float64(), rng.Float64()
	}
	metal := rng.Float64() < 0.3
	if sun {
		g.Shade = sunShade + sunShadeSpan*shade
		for c := range tint {
			g.Tint[c] = uint8(10 + 60*tint[c]) // near black, browns, greens, blues
		}
	} else {
		g.Shade = clearShadeSpan * shade
		for c := range tint {
			g.Tint[c] = uint8(180 + 75*tint[c])
		}
	}
	for c := range frame {
		if metal { // a grey of steel to gold, each channel a little apart
			g.Frame[c] = uint8(130 + 80*frame[0] + 30*frame[c])
		} else { // black, dark browns and blues
			g.Frame[c] = uint8(60 * frame[c])
		}
	}
	return g
}

// glassesRand is the generator of view v of sample i's glasses: a stream
// of its own (bit 62 set), so that the other draws of a view, and with
// them every view of sets made before glasses existed, stay as they were.
func glassesRand(seed uint64, i, v int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 1<<62|uint64(i)<<16|uint64(v)))
}

// jitteredEyes returns where a face's pupils land in a crop of template t
// aligned with jitter j: the template's own pupils, carried by the map
// face.Template.Transform makes for a face whose pupils already sit on
// the template's (no alignment, the jitter alone). A mirrored face has its
// left pupil on the crop's right, so a flip swaps the two.
func jitteredEyes(t face.Template, j face.Jitter) (left, right face.Point) {
	m := t.Transform(face.Eyes{Left: t.Left, Right: t.Right}, j)
	at := func(p face.Point) face.Point {
		return face.Point{X: m[0]*p.X + m[1]*p.Y + m[2], Y: m[3]*p.X + m[4]*p.Y + m[5]}
	}
	left, right = at(t.Left), at(t.Right)
	if j.Flip {
		left, right = right, left
	}
	return left, right
}

// drawGlassesOn draws g on dst, a crop of template t whose face was
// aligned with jitter j: the lenses shade and tint what is behind them,
// then the frame (rims, bridge, arms) is painted over, each edge smoothed
// over one pixel.
func drawGlassesOn(dst *image.RGBA, g Glasses, t face.Template, j face.Jitter) {
	if g.Empty() {
		return
	}
	l, r := jitteredEyes(t, j)
	ox, oy := (l.X+r.X)/2, (l.Y+r.Y)/2
	ux, uy := r.X-l.X, r.Y-l.Y
	pd := math.Hypot(ux, uy)
	if !(pd > 0) {
		return
	}
	ux, uy = ux/pd, uy/pd
	aa := 1 / pd // one pixel, in pupil distances
	rim := max(g.Rim, 0)
	for y := 0; y < dst.Rect.Dy(); y++ {
		for x := 0; x < dst.Rect.Dx(); x++ {
			// The pixel's centre along (a) and across (b, down) the eye
			// line, in pupil distances from the point between the pupils.
			px, py := float64(x)+0.5-ox, float64(y)+0.5-oy
			a, b := (px*ux+py*uy)/pd, (-px*uy+py*ux)/pd
			lens, frame := g.cover(a, b, rim, aa)
			if lens == 0 && frame == 0 {
				continue
			}
			k := dst.PixOffset(dst.Rect.Min.X+x, dst.Rect.Min.Y+y)
			for c := range 3 {
				v := float64(dst.Pix[k+c])
				v += lens * g.Shade * (float64(g.Tint[c]) - v)
				v += frame * (float64(g.Frame[c]) - v)
				dst.Pix[k+c] = uint8(min(max(v+0.5, 0), 255))
			}
		}
	}
}

// cover returns how much of the point (a, b) — pupil distances along and
// below the eye line from the point between the pupils — lies inside a
// lens and under the frame, each 0…1, edges smoothed over aa.
func (g Glasses) cover(a, b, rim, aa float64) (lens, frame float64) {
	// Distance, roughly in pupil distances, outside (positive) the nearer
	// lens's edge: the superellipse's level scaled by the lens's size.
	side := math.Abs(a) - g.Apart
	bb := b - g.Lift
	n := g.Round
	level := math.Pow(math.Pow(math.Abs(side)/g.Width, n)+math.Pow(math.Abs(bb)/g.Height, n), 1/n)
	edge := (level - 1) * min(g.Width, g.Height)
	lens = smooth(-edge, aa)
	if rim > 0 {
		frame = smooth(rim/2-math.Abs(edge), aa)
		// The bridge joins the lenses' inner edges along their upper
		// part, and each arm runs outwards from the outer edge.
		top := bb + 0.45*g.Height
		if math.Abs(a) < g.Apart-g.Width+0.5*rim {
			frame = max(frame, smooth(rim/2-math.Abs(top), aa))
		}
		if side > g.Width && side < g.Width+glassesArm {
			frame = max(frame, smooth(rim/2-math.Abs(top), aa))
		}
	}
	return lens, frame
}

// smooth is the coverage of a point d inside an edge (negative: outside),
// ramping from 0 to 1 over width w about it.
func smooth(d, w float64) float64 {
	return min(max(d/w+0.5, 0), 1)
}
