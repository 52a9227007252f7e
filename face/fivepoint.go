package face

import (
	"errors"
	"fmt"
	"image"
	"math"
	"math/cmplx"
)

// Five-point alignment.
//
// Align places a face by its two pupils alone, so every error of the pupil
// localiser, and every head turned so that the pupils come closer, moves
// the whole crop: a face turned a little aside is shown too large, a pupil
// found a few pixels high tilts it. The nose tip and the two corners of the
// mouth (Detector.Landmarks) add three more witnesses of where the face is
// and how large. A five-point template (Template.FivePoint) places the face
// by the similarity transform that best maps a mean face's five points
// onto the five found, in the least-squares sense, as dlib's chips are cut
// from five landmarks; the pupils weigh most, being localised best.
//
// The result is expressed as Eyes, the pupil positions that the fit puts
// where the template's pupils go, so that Align and everything built on it
// (jitter, kept crops, recropping) work unchanged.

// meanFace holds where the nose tip and the mouth corners lie in the mean
// face, in the pupils' frame: the left pupil at 0, the right at 1, y
// downwards (as complex numbers x + iy). Measured 2026-12-08 as the means
// over the first picture of 1,500 LFW training people and of 1,500 FIW
// training people (2,985 faces whose pupils were found), with this
// package's Detector.Landmarks.
var meanFace = struct{ nose, mouthLeft, mouthRight complex128 }{
	nose:       complex(0.5066, 0.5756),
	mouthLeft:  complex(0.0850, 1.0158),
	mouthRight: complex(0.9562, 1.0158),
}

// landmarkWeight is the weight of each of the nose tip and the mouth
// corners in the fit, against 1 for each pupil: of 0.25, 0.5 and 1, the
// one whose calibration pairs (training people) the shipped model verified
// best, 2026-12-08 (docs/training-log.md).
//
// meanFace and landmarkWeight define what a five-point template means:
// every model file calibrated with one expects them as they are. Changing
// either asks for a new template field, not an edit.
const landmarkWeight = 0.25

// FivePointEyes returns the eyes to align a face by from its pupils and its
// landmarks: the images of the mean face's pupils under the weighted
// least-squares similarity (rotation, uniform scale, shift) from the mean
// face's five points to pupils and l. Found and Spread are pupils'.
// Points that are not finite leave pupils as they are.
func FivePointEyes(pupils Eyes, l Landmarks) Eyes {
	model := [5]complex128{0, 1, meanFace.nose, meanFace.mouthLeft, meanFace.mouthRight}
	found := [5]complex128{pt(pupils.Left), pt(pupils.Right), pt(l.Nose), pt(l.MouthLeft), pt(l.MouthRight)}
	weight := [5]float64{1, 1, landmarkWeight, landmarkWeight, landmarkWeight}
	for _, z := range found {
		if math.IsNaN(real(z)) || math.IsNaN(imag(z)) || math.IsInf(real(z), 0) || math.IsInf(imag(z), 0) {
			return pupils
		}
	}
	// Centre both point sets on their weighted means; the similarity
	// z ↦ a·z + b then has a = Σ w·conj(m−m̄)·(f−f̄) / Σ w·|m−m̄|² and
	// b = f̄ − a·m̄.
	var sum float64
	var mBar, fBar complex128
	for i := range model {
		sum += weight[i]
		mBar += complex(weight[i], 0) * model[i]
		fBar += complex(weight[i], 0) * found[i]
	}
	mBar /= complex(sum, 0)
	fBar /= complex(sum, 0)
	var num complex128
	var den float64
	for i := range model {
		dm := model[i] - mBar
		num += complex(weight[i], 0) * cmplx.Conj(dm) * (found[i] - fBar)
		den += weight[i] * (real(dm)*real(dm) + imag(dm)*imag(dm))
	}
	a := num / complex(den, 0)
	if a == 0 {
		return pupils
	}
	b := fBar - a*mBar
	out := pupils
	out.Left = Point{X: real(b), Y: imag(b)}
	out.Right = Point{X: real(a + b), Y: imag(a + b)}
	return out
}

func pt(p Point) complex128 { return complex(p.X, p.Y) }

// ErrNoLandmarkCascades is wrapped by AlignEyes's and FivePointEyesIn's
// error for a five-point template when the Detector has no landmark
// cascades.
var ErrNoLandmarkCascades = errors.New("face: a five-point template needs the landmark cascades (pigo's cascade/lps/lp93 and lp84; set Detector.LandmarkCascades, or in the browser load them beside facefinder and puploc)")

// AlignEyes returns the eyes to align a's best face by for template t:
// a.Eyes, unless t is a five-point template and the pupils were found
// (a.Eyes.Found), when it is FivePointEyes of the pupils and their
// landmarks, localised with d.LandmarkCascades. Call it right after the
// Analyze that made a: the landmarks are read from the image of d's last
// Detect. A face aligned from box-estimated eyes keeps them (its landmarks
// would start from the same guess).
func (d *Detector) AlignEyes(a Analysis, t Template) (Eyes, error) {
	if !t.FivePoint || len(a.Faces) == 0 || !a.Eyes.Found {
		return a.Eyes, nil
	}
	if d == nil || d.LandmarkCascades == nil {
		return Eyes{}, fmt.Errorf("%w: template %q", ErrNoLandmarkCascades, t.Name)
	}
	l, err := d.Landmarks(d.LandmarkCascades, a.Eyes)
	if err != nil {
		return Eyes{}, err
	}
	return FivePointEyes(a.Eyes, l), nil
}

// FivePointEyesIn returns the five-point eyes of the face in img whose
// pupils are at pupils, its landmarks localised in img itself with
// d.LandmarkCascades and no face search: for a crop already cut around
// known pupils, as the gallery keeps enrolled faces. It replaces the
// image of d's last Detect.
func (d *Detector) FivePointEyesIn(img image.Image, pupils Eyes) (Eyes, error) {
	if d == nil || d.LandmarkCascades == nil {
		return Eyes{}, ErrNoLandmarkCascades
	}
	if err := checkImage(img); err != nil {
		d.lastValid = false
		return Eyes{}, err
	}
	d.toGrey(img, d.Params.withDefaults().Pad)
	l, err := d.Landmarks(d.LandmarkCascades, pupils)
	if err != nil {
		return Eyes{}, err
	}
	return FivePointEyes(pupils, l), nil
}
