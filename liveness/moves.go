package liveness

import "math/rand/v2"

// Move is one thing a Challenge asks the person to do.
type Move int

// The moves. Left and Right are the person's own (a head turned to its
// left shows the camera its right cheek).
const (
	Center Move = iota // look straight at the camera
	Left               // turn the head to the person's left
	Right              // turn the head to the person's right
)

var moveNames = [...]string{"center", "left", "right"}

var movePrompts = [...]string{
	"Look straight at the camera",
	"Slowly turn your head to your left",
	"Slowly turn your head to your right",
}

// String is the move's short name: "center", "left" or "right".
func (m Move) String() string {
	if m < 0 || int(m) >= len(moveNames) {
		return "unknown"
	}
	return moveNames[m]
}

// Prompt is what to ask the person, in a sentence.
func (m Move) Prompt() string {
	if m < 0 || int(m) >= len(movePrompts) {
		return ""
	}
	return movePrompts[m]
}

// Sequence draws the moves of a challenge from r: look at the camera,
// turn left and right in a random order, look at the camera again.
func Sequence(r *rand.Rand) []Move {
	if r.IntN(2) == 0 {
		return []Move{Center, Left, Right, Center}
	}
	return []Move{Center, Right, Left, Center}
}
