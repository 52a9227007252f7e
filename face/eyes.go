package face

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Eyes are the two pupils of a face, in image coordinates. Left is the
// pupil on the image's left (the person's right eye, when the image is not
// mirrored), Right the one on the image's right.
type Eyes struct {
	// Left and Right are the pupils' centres.
	Left, Right Point
	// Found is true when both pupils were localised and passed the sanity
	// check (see Detector.Eyes). When false, Left and Right are estimated
	// from the face box alone: good enough for a rough crop, not for a
	// precise alignment.
	Found bool
	// Spread measures how much the localiser's answers from perturbed
	// starting points disagree (the larger interquartile range of the
	// answers' rows and columns, in units of the pupil distance); small
	// is confident.
	Spread float64
}

// Distance is the distance between the pupils in pixels (the
// interpupillary distance, a measure of face size).
func (e Eyes) Distance() float64 {
	return math.Hypot(e.Right.X-e.Left.X, e.Right.Y-e.Left.Y)
}

// Roll is the angle of the line from the left to the right pupil, in
// degrees; positive when the right pupil is lower (the head tilts towards
// its left shoulder as seen in the image, clockwise on screen).
func (e Eyes) Roll() float64 {
	return math.Atan2(e.Right.Y-e.Left.Y, e.Right.X-e.Left.X) * 180 / math.Pi
}

// Mid is the point halfway between the pupils.
func (e Eyes) Mid() Point {
	return Point{(e.Left.X + e.Right.X) / 2, (e.Left.Y + e.Right.Y) / 2}
}

// Where the pupils sit relative to the face square, as fractions of its
// size: the starting points of the localiser (pigo's), and the fallback
// positions when it fails (the median of the localised pupils over LFW;
// the square sits a little left of the face).
const (
	eyeStartRow   = -0.075 // above the centre
	eyeStartCol   = 0.175  // each side of the centre
	eyeStartScale = 0.25   // size of the localiser's first window
	eyeBoxRow     = -0.068
	eyeBoxLeft    = -0.163
	eyeBoxRight   = 0.193
)

// The sanity check: limits on what two localised pupils may look like.
const (
	minEyeSpan = 0.22 // pupil distance, as a fraction of the face square
	maxEyeSpan = 0.55
	maxEyeRoll = 30.0 // degrees
	maxSpread  = 0.4  // Eyes.Spread
)

// perturbations are the starting offsets of the pupil localiser: fixed
// (drawn once from a seeded generator, in pigo's ranges: ±7.5% of the
// window in position, 92.5–107.5% in size), so the same image always gives
// the same pupils. pigo's own RunDetector draws them from the global
// random source, which makes every run differ.
var perturbations = func() (p [63][3]float32) {
	r := rand.New(rand.NewPCG(0x0e7e, 0x5eed))
	for i := range p {
		p[i] = [3]float32{
			0.15 * (0.5 - r.Float32()),
			0.15 * (0.5 - r.Float32()),
			0.925 + 0.15*r.Float32(),
		}
	}
	p[0] = [3]float32{0, 0, 1} // the unperturbed start is always one
	return p
}()

// Eyes localises the two pupils of face f, which must come from the last
// call of Detect (it reads the greyscale image Detect kept). It runs pigo's
// pupil cascade from Params.Perturbs perturbed starting points per eye
// and takes the median answer; the right eye runs the same trees
// mirrored.
//
// The pupils then face a sanity check: their distance must be 22–55% of
// the face square, the roll at most 30°, each pupil in the upper part of
// its own half of the square, and the answers must agree (Spread ≤ 0.4).
// If the check fails, Eyes returns positions estimated from the box with
// Found false.
func (d *Detector) Eyes(f Face) Eyes {
	fb := boxEyes(f)
	if d == nil || d.c == nil || !d.lastValid || !(f.Size > 0) {
		return fb
	}
	p := d.Params.withDefaults()
	l, sl := d.pupil(f, -1, p.Perturbs)
	r, sr := d.pupil(f, +1, p.Perturbs)
	e := Eyes{Left: l, Right: r, Found: true}
	dist := e.Distance()
	if dist > 0 {
		e.Spread = max(sl, sr) / dist
	} else {
		e.Spread = math.Inf(1)
	}
	if !saneEyes(e, f) {
		fb.Spread = e.Spread
		return fb
	}
	return e
}

// boxEyes estimates the pupils from the face square alone.
func boxEyes(f Face) Eyes {
	y := f.Y + eyeBoxRow*f.Size
	return Eyes{
		Left:  Point{f.X + eyeBoxLeft*f.Size, y},
		Right: Point{f.X + eyeBoxRight*f.Size, y},
	}
}

// saneEyes is the sanity check described at Detector.Eyes.
func saneEyes(e Eyes, f Face) bool {
	span := e.Distance() / f.Size
	if !(span >= minEyeSpan && span <= maxEyeSpan) {
		return false
	}
	if math.Abs(e.Roll()) > maxEyeRoll || !(e.Spread <= maxSpread) {
		return false
	}
	top, bottom := f.Y-0.45*f.Size, f.Y+0.15*f.Size
	for _, q := range []Point{e.Left, e.Right} {
		if q.Y < top || q.Y > bottom {
			return false
		}
	}
	return e.Left.X > f.X-0.5*f.Size && e.Left.X < f.X &&
		e.Right.X > f.X && e.Right.X < f.X+0.5*f.Size
}

// pupil localises one pupil: side −1 is the image's left eye, +1 the
// right (run with mirrored trees). It returns the median answer in image
// coordinates and the larger interquartile range of the answers.
func (d *Detector) pupil(f Face, side float64, n int) (Point, float64) {
	// The cascade works in pixel indices of the padded buffer.
	offX := float64(d.pad-d.origin.X) - 0.5
	offY := float64(d.pad-d.origin.Y) - 0.5
	r0 := float32(f.Y + eyeStartRow*f.Size + offY)
	c0 := float32(f.X + side*eyeStartCol*f.Size + offX)
	s0 := float32(eyeStartScale * f.Size)
	rows, cols := d.perturbedRuns(d.c.pupil, r0, c0, s0, n, side > 0)
	m := n / 2
	iqr := max(rows[3*n/4]-rows[n/4], cols[3*n/4]-cols[n/4])
	return Point{X: float64(cols[m]) - offX, Y: float64(rows[m]) - offY}, float64(iqr)
}

// perturbedRuns runs the localiser cascade c from n perturbed starts around
// (r0, c0) at scale s0, in the padded buffer's pixel indices (flip: with
// mirrored trees), and returns the answers' rows and columns, each sorted.
// The slices are the Detector's, overwritten by its next call.
func (d *Detector) perturbedRuns(c *pupilCascade, r0, c0, s0 float32, n int, flip bool) (rows, cols []float32) {
	if cap(d.rows) < n {
		d.rows = make([]float32, n)
		d.cols = make([]float32, n)
	}
	rows, cols = d.rows[:n], d.cols[:n]
	for i := range n {
		pt := perturbations[i]
		rows[i], cols[i], _ = c.locate(r0+s0*pt[0], c0+s0*pt[1], s0*pt[2], d.grey, d.gh, d.gw, d.gw, flip)
	}
	slices.Sort(rows)
	slices.Sort(cols)
	return rows, cols
}
