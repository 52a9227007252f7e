package liveness

import (
	"math"
	"testing"

	"github.com/oneshotface/oneshot/face"
)

// A flat face's points under an affine map keep their pose; a nose that
// stands out of the plane changes it when the head turns.
func TestPoseIsAffineInvariantAndSeesDepth(t *testing.T) {
	// A frontal face in 3-D: pupils, mouth corners in the plane z = 0,
	// the nose tip 0.45 (pupil distances) in front of it.
	pts := [][3]float64{{-0.5, 0, 0}, {0.5, 0, 0}, {-0.4, 1.1, 0}, {0.4, 1.1, 0}, {0, 0.55, -0.45}}
	project := func(yaw float64, affine [6]float64) (face.Eyes, face.Landmarks) {
		var p [5]face.Point
		for i, q := range pts {
			// Rotate about the vertical axis, project orthographically,
			// then apply an affine map of the image.
			x := q[0]*math.Cos(yaw) + q[2]*math.Sin(yaw)
			y := q[1]
			p[i] = face.Point{X: affine[0]*x + affine[1]*y + affine[2], Y: affine[3]*x + affine[4]*y + affine[5]}
		}
		return face.Eyes{Left: p[0], Right: p[1], Found: true}, face.Landmarks{MouthLeft: p[2], MouthRight: p[3], Nose: p[4]}
	}
	id := [6]float64{80, 0, 320, 0, 80, 200}
	e, l := project(0, id)
	front, err := Measure(e, l)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(front.Yaw) > 1e-9 || math.Abs(front.Down-0.5) > 1e-9 {
		t.Fatalf("frontal pose %+v, want yaw 0, down 0.5", front)
	}
	// A photograph of the frontal face, sheared, rotated, scaled, moved.
	e, l = project(0, [6]float64{60, 25, 100, -10, 90, 300})
	photo, err := Measure(e, l)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(photo.Yaw-front.Yaw) > 1e-9 {
		t.Fatalf("an affine map of a flat face changed the yaw: %v → %v", front.Yaw, photo.Yaw)
	}
	// A real head turned 25° so that its nose, in front of the face,
	// moves to the image's right.
	e, l = project(-25*math.Pi/180, id)
	turned, err := Measure(e, l)
	if err != nil {
		t.Fatal(err)
	}
	if !(turned.Yaw > DefaultConfig().Turn) {
		t.Fatalf("a head turned 25° moved the nose by %v, want beyond %v", turned.Yaw, DefaultConfig().Turn)
	}
}

func TestMeasureRefusesDegeneratePoints(t *testing.T) {
	e := face.Eyes{Left: face.Point{X: 10, Y: 10}, Right: face.Point{X: 10, Y: 10}}
	if _, err := Measure(e, face.Landmarks{}); err == nil {
		t.Fatal("pupils on one spot accepted")
	}
	e = face.Eyes{Left: face.Point{X: 0, Y: 0}, Right: face.Point{X: 10, Y: 0}}
	l := face.Landmarks{MouthLeft: face.Point{X: 2, Y: 0}, MouthRight: face.Point{X: 8, Y: 0}}
	if _, err := Measure(e, l); err == nil {
		t.Fatal("a mouth on the line of the eyes accepted")
	}
	l = face.Landmarks{Nose: face.Point{X: math.NaN()}, MouthLeft: face.Point{X: 2, Y: 10}, MouthRight: face.Point{X: 8, Y: 10}}
	if _, err := Measure(e, l); err == nil {
		t.Fatal("a NaN nose accepted")
	}
}
