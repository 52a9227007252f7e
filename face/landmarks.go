package face

import (
	"fmt"
	"math"
)

// LandmarkCascades holds pigo's facial landmark cascades that the liveness
// challenge reads: the tip of the nose and the two corners of the mouth.
// They ship in the pigo module as cascade/lps/lp93 (the nose tip) and
// cascade/lps/lp84 (a mouth corner; mirrored, the other one). Each has the
// pupil localiser's format: stages of regression trees that move an
// estimate closer to the point, started from a place fixed relative to
// the pupils (see Detector.Landmarks).
//
// Parse them once with ParseLandmarkCascades and share the value: it is
// read-only and safe for concurrent use.
type LandmarkCascades struct {
	nose, mouth *pupilCascade
}

// The pigo file names of the landmark cascades, inside cascade/lps.
const (
	NoseCascadeFile  = "lp93"
	MouthCascadeFile = "lp84"
)

// ParseLandmarkCascades parses the bytes of pigo's cascade/lps/lp93 (nose
// tip) and cascade/lps/lp84 (mouth corner). Truncated or foreign bytes give
// an error, never a panic.
func ParseLandmarkCascades(nose, mouth []byte) (*LandmarkCascades, error) {
	n, err := parsePuploc(nose)
	if err != nil {
		return nil, fmt.Errorf("face: the nose cascade (%s): %w", NoseCascadeFile, err)
	}
	m, err := parsePuploc(mouth)
	if err != nil {
		return nil, fmt.Errorf("face: the mouth cascade (%s): %w", MouthCascadeFile, err)
	}
	return &LandmarkCascades{nose: n, mouth: m}, nil
}

// Landmarks are points of a face besides the pupils, in image coordinates.
type Landmarks struct {
	// Nose is the tip of the nose.
	Nose Point
	// MouthLeft and MouthRight are the corners of the mouth on the image's
	// left and right.
	MouthLeft, MouthRight Point
}

// MouthMid is the point halfway between the corners of the mouth.
func (l Landmarks) MouthMid() Point {
	return Point{(l.MouthLeft.X + l.MouthRight.X) / 2, (l.MouthLeft.Y + l.MouthRight.Y) / 2}
}

// Landmarks localises the nose tip and the mouth corners of the face whose
// pupils are e, on the image of the last call of Detect. Like pigo's
// GetLandmarkPoint, each cascade starts from a point fixed relative to
// the pupils (a quarter of their distance below their midpoint, at a
// window three times their distance wide); like Eyes, it runs from
// Params.Perturbs fixed perturbed starts and takes the median, so the same
// image always gives the same points.
//
// It is an error to call it without cascades, before a successful Detect,
// or with pupils that are not a positive distance apart.
func (d *Detector) Landmarks(lc *LandmarkCascades, e Eyes) (Landmarks, error) {
	if lc == nil || lc.nose == nil || lc.mouth == nil {
		return Landmarks{}, fmt.Errorf("face: no landmark cascades; parse pigo's cascade/lps/%s and %s with ParseLandmarkCascades", NoseCascadeFile, MouthCascadeFile)
	}
	if d == nil || !d.lastValid {
		return Landmarks{}, fmt.Errorf("face: Landmarks needs the image of a successful Detect first")
	}
	dist := e.Distance()
	if !(dist > 0) || math.IsInf(dist, 0) {
		return Landmarks{}, fmt.Errorf("face: pupils %v and %v are not a positive distance apart", e.Left, e.Right)
	}
	p := d.Params.withDefaults()
	offX := float64(d.pad-d.origin.X) - 0.5
	offY := float64(d.pad-d.origin.Y) - 0.5
	mid := e.Mid()
	r0 := float32(mid.Y + 0.25*dist + offY)
	c0 := float32(mid.X + 0.15*dist + offX)
	s0 := float32(3 * dist)
	at := func(c *pupilCascade, flip bool) Point {
		r, col := d.landmark(c, r0, c0, s0, p.Perturbs, flip)
		return Point{X: float64(col) - offX, Y: float64(r) - offY}
	}
	return Landmarks{
		Nose:       at(lc.nose, false),
		MouthLeft:  at(lc.mouth, false),
		MouthRight: at(lc.mouth, true),
	}, nil
}

// landmark runs one landmark cascade from n perturbed starts around
// (r0, c0) at scale s0, in the padded buffer's pixel indices, and returns
// the median row and column.
func (d *Detector) landmark(c *pupilCascade, r0, c0, s0 float32, n int, flip bool) (float32, float32) {
	rows, cols := d.perturbedRuns(c, r0, c0, s0, n, flip)
	return rows[n/2], cols[n/2]
}
