package engine

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/gallery"
	"github.com/oneshotface/oneshot/liveness"
)

// ErrNoLandmarks is wrapped by the error of StartChallenge when the engine
// has no landmark cascades (SetLandmarks).
var ErrNoLandmarks = errors.New("the liveness challenge needs pigo's nose and mouth cascades (cascade/lps/lp93 and lp84)")

// SetLandmarks gives the engine the nose and mouth cascades the liveness
// challenge reads and a five-point model (face.Template.FivePoint) aligns
// faces with (face.ParseLandmarkCascades, or natively
// face.LoadLandmarkCascadesFromModule); an engine on cascades that came
// with them (face.LoadCascadesFromModule) has them already. Without them
// StartChallenge fails, and so does every embedding of a five-point model.
func (e *Engine) SetLandmarks(lc *face.LandmarkCascades) error {
	if lc == nil {
		return errors.New("engine: the landmark cascades are nil")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.detector.LandmarkCascades = lc
	return nil
}

// ChallengeOptions tune StartChallenge; the zero value is the default.
type ChallengeOptions struct {
	// Threshold and Strict choose the verification threshold of the frames
	// looking at the camera, as for Verify (Options).
	Threshold float32 `json:"threshold,omitempty"`
	Strict    bool    `json:"strict,omitempty"`
	// Seed draws the order of the moves; 0 draws it at random. Give one
	// only in tests: a challenge whose order is known in advance is
	// easier to cheat.
	Seed uint64 `json:"seed,omitempty"`
	// MoveTimeoutMs is the time allowed for each move, in milliseconds
	// (0: liveness.DefaultConfig's 6 s).
	MoveTimeoutMs float64 `json:"moveTimeoutMs,omitempty"`
	// Turn is how far the nose must move across the face for a turn to
	// count (0: liveness.DefaultConfig's). Smaller is easier for people
	// and for photographs.
	Turn float64 `json:"turn,omitempty"`
}

// Challenge is a liveness challenge in progress for one enrolled person:
// feed it camera frames, in order, with Next. It belongs to the engine
// that started it and shares its mutex, so it is safe to use beside the
// engine's other calls, but its frames must come from one camera in order.
type Challenge struct {
	e      *Engine
	id     string
	thr    float32
	ch     *liveness.Challenge
	last   float32 // the last distance judged, for the answer
	judged bool
}

// ChallengeState is the answer of Challenge.Next (and of StartChallenge,
// before any frame).
type ChallengeState struct {
	// ID is the enrolled person the challenge is for.
	ID string `json:"id"`
	// Done is true once there is a verdict; Live and Match are it: the
	// face made every move in time as one track, and the faces looking at
	// the camera matched ID. Passed is both.
	Done   bool `json:"done"`
	Live   bool `json:"live"`
	Match  bool `json:"match"`
	Passed bool `json:"passed"`
	// Move is the move asked for now ("center", "left", "right": the
	// person's own left and right), Prompt the sentence to show and
	// read out, Step its index in Moves.
	Move   string   `json:"move"`
	Prompt string   `json:"prompt"`
	Step   int      `json:"step"`
	Moves  []string `json:"moves"`
	// Progress runs from 0 to 1 over the whole sequence.
	Progress float64 `json:"progress"`
	// Yaw is how far the nose has moved across the face since the
	// baseline (positive: towards the person's left); Measured says it
	// was measured on this frame (else it is the last frame's that was).
	Yaw      float64 `json:"yaw"`
	Measured bool    `json:"measured"`
	// Hint says why this frame did not count, if it did not ("no face").
	Hint string `json:"hint"`
	// Reasons say why a finished challenge failed; empty otherwise.
	Reasons []string `json:"reasons"`
	// Judged says a face of this challenge has been compared with ID;
	// Distance is the last comparison's, Threshold the one it is judged
	// by.
	Judged    bool    `json:"judged"`
	Distance  float32 `json:"distance"`
	Threshold float32 `json:"threshold"`
	// Face is the best face of the frame, if any.
	Face    *Face   `json:"face"`
	Timings Timings `json:"timings"`
}

// StartChallenge starts a liveness challenge for the person enrolled as
// id: a random order of moves (look at the camera, turn left, turn right,
// look at the camera) that a photograph cannot follow (package liveness
// says why). The answer is the first prompt.
func (e *Engine) StartChallenge(id string, opts ChallengeOptions) (*Challenge, ChallengeState, error) {
	if err := gallery.ValidateID(id); err != nil {
		return nil, ChallengeState{}, err
	}
	vo := Options{Threshold: opts.Threshold, Strict: opts.Strict}
	if err := checkOptions(vo); err != nil {
		return nil, ChallengeState{}, err
	}
	if !(opts.MoveTimeoutMs >= 0) || opts.MoveTimeoutMs > 120_000 {
		return nil, ChallengeState{}, fmt.Errorf("moveTimeoutMs is %v: give 500 to 120000 milliseconds, or 0 for the default", opts.MoveTimeoutMs)
	}
	cfg := liveness.DefaultConfig()
	if opts.MoveTimeoutMs != 0 {
		cfg.MoveTimeout = time.Duration(opts.MoveTimeoutMs * float64(time.Millisecond))
	}
	if opts.Turn != 0 {
		cfg.Turn = opts.Turn
	}
	seed := opts.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	ch, err := liveness.New(cfg, liveness.Sequence(rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))))
	if err != nil {
		return nil, ChallengeState{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.detector.LandmarkCascades == nil {
		return nil, ChallengeState{}, ErrNoLandmarks
	}
	if _, err := e.gallery.Person(id); err != nil {
		return nil, ChallengeState{}, err
	}
	t, err := e.threshold(vo)
	if err != nil {
		return nil, ChallengeState{}, err
	}
	if t == 0 {
		t = e.gallery.Threshold()
	}
	c := &Challenge{e: e, id: id, thr: t, ch: ch}
	return c, c.answer(ch.State(), nil, startStopwatch()), nil
}

// Next looks at the next camera frame, taken at time at (on any clock
// that does not go back: the time since the challenge started will do),
// and says where the challenge stands. Once Done, further frames change
// nothing.
func (c *Challenge) Next(f Frame, at time.Duration) (ChallengeState, error) {
	if c == nil || c.e == nil {
		return ChallengeState{}, errors.New("engine: the challenge was not started with StartChallenge")
	}
	e := c.e
	sw := startStopwatch()
	release, err := e.reserve(f)
	if err != nil {
		return ChallengeState{}, err
	}
	defer release()
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, err := e.gallery.Person(c.id); err != nil {
		return ChallengeState{}, fmt.Errorf("the challenge's person: %w", err)
	}
	an, err := e.analyze(f, sw)
	if err != nil {
		return ChallengeState{}, err
	}
	o := liveness.Observation{Time: at, Faces: an.a.Quality.Faces, Face: an.a.Face, Eyes: an.a.Eyes}
	if len(an.a.Faces) == 0 {
		o.Faces = 0
	} else if o.Faces == 0 {
		o.Faces = 1
	}
	if o.Faces == 1 && an.a.Eyes.Found {
		t0 := time.Now()
		lm, err := e.detector.Landmarks(e.detector.LandmarkCascades, an.a.Eyes)
		sw.pupils += time.Since(t0)
		if err == nil {
			if p, err := liveness.Measure(an.a.Eyes, lm); err == nil {
				o.Pose, o.HasPose = p, true
			}
			if e.model.emb.Template.FivePoint {
				// The same landmarks align the face: no second search.
				an.eyes, an.aligned = face.FivePointEyes(an.a.Eyes, lm), true
			}
		}
		if o.HasPose && an.a.Quality.OK() && c.ch.WantsIdentity(o.Pose) {
			_, v, err := e.embedFace(&an, sw)
			if err != nil {
				return ChallengeState{}, err
			}
			verdict, err := e.gallery.Verify(c.id, v, c.thr)
			if err != nil {
				return ChallengeState{}, err
			}
			o.Judged, o.Match = true, verdict.Match
			c.judged, c.last = true, verdict.Distance
		}
	}
	var fc *Face
	if len(an.a.Faces) > 0 {
		ff := an.face
		fc = &ff
	}
	return c.answer(c.ch.Observe(o), fc, sw), nil
}

// answer turns the liveness State into the engine's answer.
func (c *Challenge) answer(st liveness.State, fc *Face, sw *stopwatch) ChallengeState {
	out := ChallengeState{
		ID: c.id, Done: st.Done, Live: st.Live, Match: st.Match, Passed: st.Done && st.Live && st.Match,
		Move: st.Move.String(), Prompt: st.Prompt, Step: st.Step, Moves: make([]string, len(st.Moves)),
		Progress: st.Progress, Yaw: st.Yaw, Measured: st.Measured, Hint: st.Hint, Reasons: st.Reasons,
		Judged: c.judged, Threshold: c.thr, Face: fc,
	}
	if c.judged {
		out.Distance = c.last
	}
	for i, m := range st.Moves {
		out.Moves[i] = m.String()
	}
	if out.Reasons == nil {
		out.Reasons = []string{}
	}
	if st.Done {
		out.Prompt = "Passed"
		if !out.Passed {
			out.Prompt = "Not passed: " + out.Reasons[0]
		}
	}
	out.Timings = sw.timings()
	return out
}
