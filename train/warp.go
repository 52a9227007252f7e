package train

import (
	"image"
	"math"
	"math/rand/v2"

	"github.com/oneshotface/oneshot/face"
)

// Warp is a smooth change of a face's shape: WarpBumps soft displacements,
// each moving the pixels near its centre by up to its shift, fading with
// distance as a Gaussian of its radius. A nose made wider, a mouth set
// lower, eyes a little further apart: the face of nobody in the data,
// which the teacher labels all the same, so the student learns the
// teacher's function on faces it has never seen (as with blends and
// swaps), and where identities differ most, in the shapes of a face.
// Everything is in pupil distances from the point between the template's
// pupils (x right, y down), so the teacher's crop and the student's,
// of different sizes, change alike. The zero value changes nothing.
type Warp [WarpBumps]Bump

// WarpBumps is the number of displacements of a Warp.
const WarpBumps = 4

// Bump is one displacement of a Warp, in pupil distances: centred at
// (X, Y) from the point between the pupils, of Gaussian radius Radius,
// moving the pixels at its centre by (DX, DY).
type Bump struct {
	X, Y, Radius, DX, DY float64
}

// Empty reports whether the warp moves nothing.
func (w Warp) Empty() bool {
	for _, b := range w {
		if b.DX != 0 || b.DY != 0 {
			return false
		}
	}
	return true
}

// Limits of drawn warps, in pupil distances: bump centres over the face
// from brows to chin, radii of a feature's size, shifts up to warpShift
// (0.25: 7 pixels of the 64-pixel crop). Measured on the teacher
// (2026-11-29, 40 LFW faces, median squared distance of its embeddings):
// a face and a warp of it 0.092, a face and a jitter of it 0.034, a face
// and its 75% blend with another 0.079, two people 0.59; at 0.15 a warp
// moved the teacher no more than a jitter (0.040).
const (
	warpXSpan              = 1.0       // centres from −1 to 1 across
	warpYTop, warpYSpan    = -0.6, 2.2 // and from 0.6 above the eyes to 1.6 below
	warpMinRadius, warpRad = 0.25, 0.35
	warpShift              = 0.25
)

// drawWarp draws a warp from rng: each bump's centre, radius and shift
// (a direction and a length up to warpShift) uniformly in the limits.
func drawWarp(rng *rand.Rand) Warp {
	var w Warp
	for k := range w {
		angle, length := 2*math.Pi*rng.Float64(), warpShift*rng.Float64()
		w[k] = Bump{
			X:      warpXSpan * (2*rng.Float64() - 1),
			Y:      warpYTop + warpYSpan*rng.Float64(),
			Radius: warpMinRadius + warpRad*rng.Float64(),
			DX:     length * math.Cos(angle),
			DY:     length * math.Sin(angle),
		}
	}
	return w
}

// warpRand is the generator of view v of sample i's warp: a stream of its
// own (bit 63 set), so that the other draws of a view, and with them
// every view of sets made before warps existed, stay as they were.
func warpRand(seed uint64, i, v int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 1<<63|uint64(i)<<16|uint64(v)))
}

// displacement is w's shift at crop point (x, y) of template t, in pixels.
func (w Warp) displacement(x, y float64, t face.Template) (dx, dy float64) {
	ex, ey, pd := (t.Left.X+t.Right.X)/2, (t.Left.Y+t.Right.Y)/2, t.PupilDistance()
	u, v := (x-ex)/pd, (y-ey)/pd
	for _, b := range w {
		if b.DX == 0 && b.DY == 0 {
			continue
		}
		du, dv := u-b.X, v-b.Y
		g := math.Exp(-(du*du + dv*dv) / (2 * b.Radius * b.Radius))
		dx += g * b.DX * pd
		dy += g * b.DY * pd
	}
	return dx, dy
}

// warpCrop reshapes the crop c of template t by w in place: each pixel
// takes the colour found w's displacement behind it (bilinear, clamped
// to the crop's edges), so the face moves by the displacement.
func warpCrop(c *image.RGBA, w Warp, t face.Template) {
	if w.Empty() {
		return
	}
	src := image.NewRGBA(c.Rect)
	copy(src.Pix, c.Pix)
	wd, ht := c.Rect.Dx(), c.Rect.Dy()
	at := func(x, y int) []uint8 {
		x, y = min(max(x, 0), wd-1), min(max(y, 0), ht-1)
		return src.Pix[y*src.Stride+4*x : y*src.Stride+4*x+4]
	}
	for y := range ht {
		for x := range wd {
			// Pixel centres at +0.5, as the template's points are placed.
			px, py := float64(x)+0.5, float64(y)+0.5
			dx, dy := w.displacement(px, py, t)
			sx, sy := px-dx-0.5, py-dy-0.5
			x0, y0 := int(math.Floor(sx)), int(math.Floor(sy))
			fx, fy := sx-float64(x0), sy-float64(y0)
			p00, p10, p01, p11 := at(x0, y0), at(x0+1, y0), at(x0, y0+1), at(x0+1, y0+1)
			out := c.Pix[y*c.Stride+4*x : y*c.Stride+4*x+4]
			for k := range 4 {
				top := float64(p00[k])*(1-fx) + float64(p10[k])*fx
				bottom := float64(p01[k])*(1-fx) + float64(p11[k])*fx
				out[k] = uint8(math.Round(top*(1-fy) + bottom*fy))
			}
		}
	}
}
