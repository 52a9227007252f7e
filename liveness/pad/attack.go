package pad

import (
	"image"
	"math"
	"math/rand/v2"
	"time"

	"github.com/oneshotface/oneshot/engine"
)

// Kind is a kind of photograph attack.
type Kind int

// The attack kinds the evaluation reports separately.
const (
	// Still holds the photograph still in front of the camera.
	Still Kind = iota
	// InPlane moves, scales and rotates it in the image plane, towards
	// the side a real nose would go.
	InPlane
	// TiltVertical swings it about a vertical axis, up to ±45°.
	TiltVertical
	// TiltHorizontal swings it about a horizontal axis, up to ±40°.
	TiltHorizontal
)

// Kinds lists every attack kind, in report order.
var Kinds = []Kind{Still, InPlane, TiltVertical, TiltHorizontal}

// String names the kind in the report.
func (k Kind) String() string {
	switch k {
	case Still:
		return "still photo"
	case InPlane:
		return "photo moved, scaled, rotated in plane"
	case TiltVertical:
		return "photo tilted about a vertical axis"
	case TiltHorizontal:
		return "photo tilted about a horizontal axis"
	}
	return "unknown"
}

// Player makes the frames of one presentation, answering the prompts.
type Player interface {
	// Next is the frame at time t, given the challenge's last answer.
	Next(st engine.ChallengeState, t time.Duration) *image.RGBA
}

// Attack plays a photograph of one kind of attack.
type Attack struct {
	kind  Kind
	scene *Scene
	pose  PagePose
	noise *rand.Rand
	buf   *image.RGBA
	// swing is the phase of a tilt's swing.
	swing float64
}

// NewAttack makes the attack of the given kind on a scene; seed draws its
// sensor noise.
func NewAttack(kind Kind, scene *Scene, seed uint64) *Attack {
	return &Attack{kind: kind, scene: scene, noise: rand.New(rand.NewPCG(seed, 3))}
}

// Next moves the page towards what the prompt asks, no faster than a hand
// would (at most 12 px, 5 % of size and 6° a frame), and renders it.
func (a *Attack) Next(st engine.ChallengeState, t time.Duration) *image.RGBA {
	target := PagePose{Scale: 1}
	side := 0.0
	switch st.Move {
	case "left":
		side = 1 // a real nose goes to the image's right
	case "right":
		side = -1
	}
	switch a.kind {
	case InPlane:
		target = PagePose{DX: 70 * side, DY: 10 * math.Abs(side), Scale: 1 + 0.12*side, Roll: 12 * side}
	case TiltVertical, TiltHorizontal:
		if side != 0 {
			// Swing from one side to the other: the attacker does not
			// know which way a page must tilt to pass for a head.
			a.swing += 0.35
			ang := 45 * math.Sin(a.swing)
			if a.kind == TiltVertical {
				target.Yaw = ang
			} else {
				target.Pitch = 40 * math.Sin(a.swing)
			}
			target.DX = 30 * side
		}
	}
	if a.pose.Scale == 0 {
		a.pose.Scale = 1
	}
	a.pose.DX = toward(a.pose.DX, target.DX, 12)
	a.pose.DY = toward(a.pose.DY, target.DY, 12)
	a.pose.Scale = toward(a.pose.Scale, target.Scale, 0.05)
	a.pose.Roll = toward(a.pose.Roll, target.Roll, 6)
	a.pose.Yaw = toward(a.pose.Yaw, target.Yaw, 12)
	a.pose.Pitch = toward(a.pose.Pitch, target.Pitch, 12)
	a.buf = a.scene.Render(a.buf, a.pose, a.noise)
	return a.buf
}

// toward moves v towards target by at most step.
func toward(v, target, step float64) float64 {
	switch {
	case target > v+step:
		return v + step
	case target < v-step:
		return v - step
	}
	return target
}
