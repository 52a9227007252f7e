package liveness

import (
	"cmp"
	"fmt"
	"math"
	"time"
)

// Config tunes a Challenge. DefaultConfig gives the values the package was
// measured with (cmd/liveness-eval); a zero field means its default.
type Config struct {
	// Turn is how far the nose must move across the face, in Pose.Yaw
	// from the baseline, for a turn to count (default 0.12: a real head
	// turned by about 15°, its nose tip half the pupils' distance in
	// front of the eyes). Looking at the camera allows half of it.
	Turn float64
	// Hold is how many frames in a row must show a move (default 2).
	Hold int
	// BaselineFrames is how many frames looking at the camera fix the
	// baseline; they must agree within Turn/2 (default 3).
	BaselineFrames int
	// MoveTimeout is the time allowed for each move (default 6 s).
	MoveTimeout time.Duration
	// MaxGap is the longest time without the face before the challenge
	// fails: a face that leaves the view may come back as another
	// (default 1 s).
	MaxGap time.Duration
	// MaxJump is the furthest the face's centre may move from one frame
	// with a face to the next, in face sizes, and MaxResize the most its
	// size may change by (a factor); beyond them the track is cut and the
	// challenge fails (defaults 0.5 and 1.35).
	MaxJump, MaxResize float64
}

// DefaultConfig returns the measured defaults.
func DefaultConfig() Config {
	return Config{
		Turn: 0.12, Hold: 2, BaselineFrames: 3,
		MoveTimeout: 6 * time.Second, MaxGap: time.Second,
		MaxJump: 0.5, MaxResize: 1.35,
	}
}

// withDefaults fills the zero fields and checks the others.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	c.Turn = cmp.Or(c.Turn, d.Turn)
	c.Hold = cmp.Or(c.Hold, d.Hold)
	c.BaselineFrames = cmp.Or(c.BaselineFrames, d.BaselineFrames)
	c.MoveTimeout = cmp.Or(c.MoveTimeout, d.MoveTimeout)
	c.MaxGap = cmp.Or(c.MaxGap, d.MaxGap)
	c.MaxJump = cmp.Or(c.MaxJump, d.MaxJump)
	c.MaxResize = cmp.Or(c.MaxResize, d.MaxResize)
	switch {
	case !(c.Turn > 0 && c.Turn < 1) || math.IsNaN(c.Turn):
		return c, fmt.Errorf("liveness: turn is %v: give a nose displacement between 0 and 1 (default %v)", c.Turn, d.Turn)
	case c.Hold < 1 || c.Hold > 30:
		return c, fmt.Errorf("liveness: hold is %d frames: give 1 to 30", c.Hold)
	case c.BaselineFrames < 1 || c.BaselineFrames > 30:
		return c, fmt.Errorf("liveness: baseline is %d frames: give 1 to 30", c.BaselineFrames)
	case c.MoveTimeout < 500*time.Millisecond || c.MoveTimeout > 2*time.Minute:
		return c, fmt.Errorf("liveness: a move's time limit is %v: give 0.5 s to 2 min", c.MoveTimeout)
	case c.MaxGap < 0 || c.MaxGap > c.MoveTimeout:
		return c, fmt.Errorf("liveness: the longest gap without a face is %v: give 0 to the move's time limit (%v)", c.MaxGap, c.MoveTimeout)
	case !(c.MaxJump > 0 && c.MaxJump <= 4):
		return c, fmt.Errorf("liveness: the largest jump is %v face sizes: give more than 0 and at most 4", c.MaxJump)
	case !(c.MaxResize > 1 && c.MaxResize <= 4):
		return c, fmt.Errorf("liveness: the largest change of size is %v: give a factor above 1 and at most 4", c.MaxResize)
	}
	return c, nil
}
