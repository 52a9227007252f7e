package liveness

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/oneshotface/oneshot/face"
)

// Observation is what the caller saw on one frame.
type Observation struct {
	// Time is when the frame was taken, on any clock that does not go
	// back (the time since the challenge began, say).
	Time time.Duration
	// Faces is how many faces the frame holds; Face and Eyes are the best
	// one's.
	Faces int
	Face  face.Face
	Eyes  face.Eyes
	// Pose is the best face's pose, valid when HasPose (its pupils and
	// landmarks were found).
	Pose    Pose
	HasPose bool
	// Judged says the caller compared this frame's face with the enrolled
	// person (see Challenge.WantsIdentity); Match is the verdict.
	Judged, Match bool
}

// State is what a Challenge says after a frame.
type State struct {
	// Done is true once the challenge has a verdict: Live and Match.
	// Live says the face made every move in time, as one track; Match
	// that the faces that looked at the camera were the enrolled person.
	Done, Live, Match bool
	// Move is the move asked for now (the last one once Done), Prompt
	// what to tell the person, Step its index in Moves.
	Move   Move
	Prompt string
	Step   int
	Moves  []Move
	// Progress runs from 0 to 1 over the whole sequence.
	Progress float64
	// Yaw is the last measured Pose.Yaw less the baseline (0 before the
	// baseline is fixed); Measured says it was measured on this frame.
	Yaw      float64
	Measured bool
	// Hint says what keeps the current frame from counting ("no face").
	Hint string
	// Reasons say why a finished challenge failed; empty on success.
	Reasons []string
}

// Challenge is one run of moves for one face. It is not safe for
// concurrent use; feed it frames in order with Observe.
type Challenge struct {
	cfg   Config
	moves []Move
	step  int

	started   bool
	moveStart time.Duration
	lastTime  time.Duration

	haveFace bool
	lastFace face.Face
	lastSeen time.Duration

	base     float64
	haveBase bool
	recent   []float64 // yaws of the first move's frames, for the baseline
	hold     int
	judgedMv int // frames compared with the enrolled person in this move

	matched, mismatched int
	yaw                 float64
	measured            bool // the last frame's pose was measured
	done                bool
	final               State
}

// New starts a challenge of the given moves, which must begin by looking
// at the camera (the baseline) and hold 2 to 16 moves.
func New(cfg Config, moves []Move) (*Challenge, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(moves) < 2 || len(moves) > 16 {
		return nil, fmt.Errorf("liveness: a challenge has 2 to 16 moves, not %d", len(moves))
	}
	if moves[0] != Center {
		return nil, fmt.Errorf("liveness: a challenge begins by looking at the camera, not %q", moves[0])
	}
	for _, m := range moves {
		if m < Center || m > Right {
			return nil, fmt.Errorf("liveness: unknown move %d", int(m))
		}
	}
	return &Challenge{cfg: c, moves: slices.Clone(moves)}, nil
}

// Config is the challenge's configuration, defaults filled in.
func (c *Challenge) Config() Config { return c.cfg }

// WantsIdentity says whether the caller should compare the face of a frame
// with this pose with the enrolled person before observing it: when the
// current move is looking at the camera, the face does, and this move has
// not yet had two frames compared. Comparing costs an embedding, so the
// other frames are spared it.
func (c *Challenge) WantsIdentity(p Pose) bool {
	if c.done || c.moves[c.step] != Center || c.judgedMv >= 2 {
		return false
	}
	return !c.haveBase || math.Abs(p.Yaw-c.base) <= c.cfg.Turn/2
}

// State says where the challenge stands without a new frame: before the
// first, the first prompt.
func (c *Challenge) State() State {
	if c.done {
		return c.final
	}
	return c.state("")
}

// Observe takes the next frame and says where the challenge stands.
func (c *Challenge) Observe(o Observation) State {
	if c.done {
		return c.final
	}
	t := max(o.Time, c.lastTime)
	c.lastTime = t
	c.measured = false
	if !c.started {
		c.started, c.moveStart, c.lastSeen = true, t, t
	}
	mv := c.moves[c.step]
	if t-c.moveStart > c.cfg.MoveTimeout {
		return c.fail(fmt.Sprintf("no %s within %v", moveDeed(mv), c.cfg.MoveTimeout))
	}
	if o.Faces == 0 {
		if t-c.lastSeen > c.cfg.MaxGap {
			return c.fail(fmt.Sprintf("the face was out of view for more than %v", c.cfg.MaxGap))
		}
		return c.state("no face")
	}
	if o.Faces > 1 {
		return c.state("more than one face: only the person should be in view")
	}
	if c.haveFace {
		if t-c.lastSeen > c.cfg.MaxGap {
			return c.fail(fmt.Sprintf("the face was out of view for more than %v", c.cfg.MaxGap))
		}
		jump := math.Hypot(o.Face.X-c.lastFace.X, o.Face.Y-c.lastFace.Y) / c.lastFace.Size
		ratio := o.Face.Size / c.lastFace.Size
		if !(jump <= c.cfg.MaxJump) || !(ratio <= c.cfg.MaxResize && ratio >= 1/c.cfg.MaxResize) {
			return c.fail("the face jumped to another place or size: the challenge must see one face throughout")
		}
	}
	c.haveFace, c.lastFace, c.lastSeen = true, o.Face, t
	if !o.HasPose || !o.Eyes.Found {
		c.hold = 0
		return c.state("face the camera so that the eyes, nose and mouth are seen")
	}
	if o.Judged && mv == Center {
		c.judgedMv++
		if o.Match {
			c.matched++
		} else {
			c.mismatched++
		}
	}
	c.measured = true
	if !c.haveBase {
		return c.baseline(o.Pose.Yaw)
	}
	d := o.Pose.Yaw - c.base
	c.yaw = d
	hint := ""
	switch mv {
	case Center:
		if math.Abs(d) <= c.cfg.Turn/2 {
			c.hold++
		} else {
			c.hold, hint = 0, "look straight at the camera"
		}
	case Left, Right:
		sign := 1.0
		if mv == Right {
			sign = -1
		}
		switch {
		case sign*d >= c.cfg.Turn:
			c.hold++
		case -sign*d >= c.cfg.Turn:
			c.hold, hint = 0, fmt.Sprintf("the other way: to your %s", mv)
		default:
			c.hold = 0
		}
	}
	if c.hold >= c.cfg.Hold {
		return c.advance(t)
	}
	return c.state(hint)
}

// baseline gathers the first move's frames until BaselineFrames in a row
// agree; their median is the baseline.
func (c *Challenge) baseline(yaw float64) State {
	c.recent = append(c.recent, yaw)
	n := c.cfg.BaselineFrames
	if len(c.recent) > n {
		c.recent = c.recent[len(c.recent)-n:]
	}
	if len(c.recent) < n {
		return c.state("")
	}
	s := slices.Clone(c.recent)
	slices.Sort(s)
	if s[n-1]-s[0] > c.cfg.Turn/2 {
		return c.state("hold still and look straight at the camera")
	}
	c.base, c.haveBase = s[n/2], true
	return c.advance(c.lastTime)
}

// advance ends the current move; after the last one, the verdict.
func (c *Challenge) advance(t time.Duration) State {
	c.step++
	c.hold, c.judgedMv, c.moveStart = 0, 0, t
	if c.step < len(c.moves) {
		return c.state("")
	}
	c.step = len(c.moves) - 1
	st := c.state("")
	st.Done, st.Live, st.Progress = true, true, 1
	st.Match = c.matched > c.mismatched
	if !st.Match {
		if c.matched+c.mismatched == 0 {
			st.Reasons = append(st.Reasons, "no face looking at the camera was compared with the enrolled person")
		} else {
			st.Reasons = append(st.Reasons, fmt.Sprintf("the face does not match the enrolled person (%d of %d frames looking at the camera matched)", c.matched, c.matched+c.mismatched))
		}
	}
	c.done, c.final = true, st
	return st
}

// fail ends the challenge as not live.
func (c *Challenge) fail(reason string) State {
	st := c.state("")
	st.Done, st.Live, st.Match = true, false, false
	st.Reasons = []string{"not live: " + reason}
	c.done, c.final = true, st
	return st
}

// state is the State in the middle of the sequence.
func (c *Challenge) state(hint string) State {
	mv := c.moves[c.step]
	part := float64(c.hold) / float64(c.cfg.Hold)
	if !c.haveBase {
		part = float64(len(c.recent)) / float64(c.cfg.BaselineFrames+1)
	}
	if mv == Left || mv == Right {
		sign := 1.0
		if mv == Right {
			sign = -1
		}
		// The ring follows the head as it turns.
		part = max(part, 0.9*min(max(sign*c.yaw/c.cfg.Turn, 0), 1))
	}
	return State{
		Move: mv, Prompt: mv.Prompt(), Step: c.step, Moves: slices.Clone(c.moves),
		Progress: (float64(c.step) + min(part, 0.99)) / float64(len(c.moves)),
		Yaw:      c.yaw, Measured: c.measured, Hint: hint,
	}
}

// moveDeed names a move in a reason for failure.
func moveDeed(m Move) string {
	switch m {
	case Left:
		return "turn of the head to its left"
	case Right:
		return "turn of the head to its right"
	}
	return "steady look at the camera"
}
