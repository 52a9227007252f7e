package liveness

import (
	"fmt"
	"math"

	"github.com/oneshotface/oneshot/face"
)

// Pose is what one frame says about a face's orientation.
type Pose struct {
	// Yaw is the nose tip's affine coordinate across the face: how far it
	// sits from the midpoint of the pupils towards the image's right
	// pupil, in units of the vector between the pupils, measured in the
	// frame of the eyes and the mouth (see the package comment). A
	// photograph keeps it whatever its holder does; a head that turns to
	// its left (the image's right) makes it grow.
	Yaw float64
	// Down is the nose tip's coordinate along the line from the pupils'
	// midpoint to the mouth's: about 0.55 on a frontal face.
	Down float64
}

// Measure computes the Pose of a face from its pupils and landmarks. It is
// an error when the points are degenerate (the pupils on one spot, the
// mouth on the line of the eyes) or not finite numbers.
func Measure(e face.Eyes, l face.Landmarks) (Pose, error) {
	eye := e.Mid()
	mouth := l.MouthMid()
	ux, uy := e.Right.X-e.Left.X, e.Right.Y-e.Left.Y
	vx, vy := mouth.X-eye.X, mouth.Y-eye.Y
	px, py := l.Nose.X-eye.X, l.Nose.Y-eye.Y
	det := ux*vy - uy*vx
	iod := math.Hypot(ux, uy)
	// The eyes and the mouth must span a frame: the mouth at least a
	// tenth of the pupils' distance off their line.
	if !(iod > 0) || !(math.Abs(det) > 0.1*iod*iod) || math.IsInf(det, 0) {
		return Pose{}, fmt.Errorf("liveness: pupils %v, %v and mouth %v do not span a face", e.Left, e.Right, mouth)
	}
	p := Pose{Yaw: (px*vy - py*vx) / det, Down: (ux*py - uy*px) / det}
	if math.IsNaN(p.Yaw) || math.IsNaN(p.Down) || math.IsInf(p.Yaw, 0) || math.IsInf(p.Down, 0) {
		return Pose{}, fmt.Errorf("liveness: the landmarks are not finite numbers")
	}
	return p, nil
}
