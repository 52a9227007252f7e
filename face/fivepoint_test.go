package face

import (
	"errors"
	"math"
	"math/cmplx"
	"testing"
)

// similar maps the mean face's points by z ↦ a·z + b into image
// coordinates: a face exactly like the mean one, turned, scaled and
// shifted.
func similar(a, b complex128) (Eyes, Landmarks) {
	at := func(z complex128) Point { w := a*z + b; return Point{X: real(w), Y: imag(w)} }
	return Eyes{Left: at(0), Right: at(1), Found: true, Spread: 0.25},
		Landmarks{Nose: at(meanFace.nose), MouthLeft: at(meanFace.mouthLeft), MouthRight: at(meanFace.mouthRight)}
}

// A face whose five points are the mean face's, turned, scaled and
// shifted, is fitted exactly: its eyes are its pupils.
func TestFivePointEyesOfTheMeanFace(t *testing.T) {
	for _, c := range []struct{ a, b complex128 }{
		{complex(60, 0), complex(100, 80)},
		{cmplx.Rect(35, 0.4), complex(-20, 300)},
		{cmplx.Rect(120, -2.5), complex(1000, 5)},
	} {
		pupils, l := similar(c.a, c.b)
		got := FivePointEyes(pupils, l)
		if !near(got.Left, pupils.Left, 1e-9*cmplx.Abs(c.a)) || !near(got.Right, pupils.Right, 1e-9*cmplx.Abs(c.a)) {
			t.Errorf("a = %v: eyes %v, %v, want the pupils %v, %v", c.a, got.Left, got.Right, pupils.Left, pupils.Right)
		}
		if got.Found != pupils.Found || got.Spread != pupils.Spread {
			t.Errorf("a = %v: Found %v Spread %v, want the pupils' %v %v", c.a, got.Found, got.Spread, pupils.Found, pupils.Spread)
		}
	}
}

// Pupils found too close together for the nose and mouth below them (a
// face turned aside, or a localiser's error) give eyes further apart: the
// other three points pull the fit towards the face's true size, but the
// pupils, weighing more, keep it nearer theirs. A shifted nose and mouth
// shift the eyes the same way, less far.
func TestFivePointEyesWeighTheLandmarks(t *testing.T) {
	_, l := similar(complex(50, 0), complex(200, 200)) // the face, 50 px between its pupils
	// Pupils found 40 px apart about the same midpoint.
	mid := Point{X: 225, Y: 200}
	pupils := Eyes{Left: Point{X: mid.X - 20, Y: mid.Y}, Right: Point{X: mid.X + 20, Y: mid.Y}, Found: true}
	got := FivePointEyes(pupils, l)
	if d := got.Distance(); !(d > 40.5 && d < 49.5) {
		t.Errorf("eyes %.2f px apart, want between the pupils' 40 and the landmarks' 50", d)
	}
	if math.Abs(got.Roll()) > 1e-9 {
		t.Errorf("roll %.3g°, want level eyes", got.Roll())
	}

	// The same face with nose and mouth 10 px to the right of the pupils'.
	pupils, l = similar(complex(50, 0), complex(200, 200))
	for _, p := range []*Point{&l.Nose, &l.MouthLeft, &l.MouthRight} {
		p.X += 10
	}
	got = FivePointEyes(pupils, l)
	if dx := got.Mid().X - pupils.Mid().X; !(dx > 0.5 && dx < 9.5) {
		t.Errorf("eyes moved %.2f px right, want between 0 and the landmarks' 10", dx)
	}
}

// Landmarks that are not numbers leave the pupils as they are.
func TestFivePointEyesIgnoreBrokenLandmarks(t *testing.T) {
	pupils, l := similar(complex(50, 0), complex(200, 200))
	pupils.Left.X += 3
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		broken := l
		broken.MouthRight.Y = bad
		if got := FivePointEyes(pupils, broken); got != pupils {
			t.Errorf("mouth corner at y = %v: eyes %+v, want the pupils %+v", bad, got, pupils)
		}
	}
}

// AlignEyes gives the pupils for a template of the pupils, for a face
// whose pupils were not found, and with no face; a five-point template
// without landmark cascades is an error that says what is missing.
func TestAlignEyesAsksForWhatItNeeds(t *testing.T) {
	d := &Detector{}
	pupils := Eyes{Left: Point{X: 10, Y: 10}, Right: Point{X: 40, Y: 12}, Found: true}
	a := Analysis{Faces: []Face{{X: 25, Y: 20, Size: 60}}, Eyes: pupils}
	five := TemplateCompact64
	five.FivePoint = true
	if got, err := d.AlignEyes(a, TemplateCompact64); err != nil || got != pupils {
		t.Errorf("pupils' template: %+v, %v; want the pupils", got, err)
	}
	guessed := a
	guessed.Eyes.Found = false
	if got, err := d.AlignEyes(guessed, five); err != nil || got != guessed.Eyes {
		t.Errorf("pupils not found: %+v, %v; want the estimated eyes", got, err)
	}
	if got, err := d.AlignEyes(Analysis{}, five); err != nil || got != (Eyes{}) {
		t.Errorf("no face: %+v, %v; want zero eyes", got, err)
	}
	if _, err := d.AlignEyes(a, five); !errors.Is(err, ErrNoLandmarkCascades) {
		t.Errorf("five-point template without cascades: error %v, want ErrNoLandmarkCascades", err)
	}
	var none *Detector
	if _, err := none.AlignEyes(a, five); !errors.Is(err, ErrNoLandmarkCascades) {
		t.Errorf("nil Detector: error %v, want ErrNoLandmarkCascades", err)
	}
	if _, err := none.FivePointEyesIn(TemplateCompact64.NewCrop(), pupils); !errors.Is(err, ErrNoLandmarkCascades) {
		t.Errorf("nil Detector, in a crop: error %v, want ErrNoLandmarkCascades", err)
	}
}

// Every model file calibrated with five-point alignment expects the mean
// face and the weights as they were when it was made: one face's fit,
// recorded 2026-12-08 when models/compact.oneshot was calibrated, must not
// move (see landmarkWeight).
func TestFivePointEyesAsShipped(t *testing.T) {
	pupils := Eyes{Left: Point{X: 100, Y: 120}, Right: Point{X: 160, Y: 118}, Found: true}
	l := Landmarks{Nose: Point{X: 133, Y: 160}, MouthLeft: Point{X: 104, Y: 186}, MouthRight: Point{X: 158, Y: 185}}
	got := FivePointEyes(pupils, l)
	want := Eyes{Left: Point{X: 98.517025, Y: 120.513289}, Right: Point{X: 161.304235, Y: 119.369593}, Found: true}
	if !near(got.Left, want.Left, 1e-5) || !near(got.Right, want.Right, 1e-5) || got.Found != want.Found {
		t.Errorf("eyes %+v, want %+v: the five-point fit changed, and with it what every five-point model file sees", got, want)
	}
}
