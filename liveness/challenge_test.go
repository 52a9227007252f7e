package liveness

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/oneshotface/oneshot/face"
)

// obs is a frame of one face at the middle of the picture with a pose yaw,
// taken at frame i of a 10 frames/s camera, compared with the enrolled
// person when judged.
func obs(i int, yaw float64, judged, match bool) Observation {
	return Observation{
		Time:  time.Duration(i) * 100 * time.Millisecond,
		Faces: 1,
		Face:  face.Face{X: 320, Y: 240, Size: 200},
		Eyes:  face.Eyes{Left: face.Point{X: 280, Y: 220}, Right: face.Point{X: 360, Y: 220}, Found: true},
		Pose:  Pose{Yaw: yaw, Down: 0.55}, HasPose: true,
		Judged: judged, Match: match,
	}
}

// head answers each prompt as a real head does: a yaw of +0.2 for left,
// −0.2 for right, 0.01 looking at the camera.
func head(st State) float64 {
	switch st.Move {
	case Left:
		return 0.2
	case Right:
		return -0.2
	}
	return 0.01
}

// play feeds frames whose yaw answer(st) gives until the challenge is done
// or n frames were played.
func play(t *testing.T, c *Challenge, n int, answer func(State) float64, match bool) (State, int) {
	t.Helper()
	st := c.State()
	for i := 0; i < n; i++ {
		y := answer(st)
		st = c.Observe(obs(i, y, c.WantsIdentity(Pose{Yaw: y}), match))
		if st.Done {
			return st, i + 1
		}
	}
	return st, n
}

func TestHeadThatTurnsPasses(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		c, err := New(Config{}, Sequence(rand.New(rand.NewPCG(seed, 0))))
		if err != nil {
			t.Fatal(err)
		}
		st, n := play(t, c, 200, head, true)
		if !st.Done || !st.Live || !st.Match || len(st.Reasons) != 0 || st.Progress != 1 {
			t.Fatalf("seed %d: a head that turns as asked got %+v after %d frames", seed, st, n)
		}
	}
}

func TestPhotographFailsOnTime(t *testing.T) {
	c, err := New(Config{}, []Move{Center, Left, Right, Center})
	if err != nil {
		t.Fatal(err)
	}
	// A photograph keeps its yaw whatever the hand does with it.
	st, _ := play(t, c, 500, func(State) float64 { return 0.03 }, true)
	if !st.Done || st.Live || st.Match {
		t.Fatalf("a photograph got %+v", st)
	}
	if len(st.Reasons) != 1 || !strings.Contains(st.Reasons[0], "turn of the head to its left") || !strings.Contains(st.Reasons[0], "6s") {
		t.Fatalf("reasons %q should name the turn that did not come and the time limit", st.Reasons)
	}
	if st.Step != 1 || st.Move != Left {
		t.Fatalf("stopped at step %d (%v), want 1 (left)", st.Step, st.Move)
	}
}

func TestWrongWayIsHintedNotCounted(t *testing.T) {
	c, _ := New(Config{}, []Move{Center, Left, Right, Center})
	st, _ := play(t, c, 3, head, true) // the baseline
	if st.Move != Left {
		t.Fatalf("after the baseline the move is %v, want left", st.Move)
	}
	st = c.Observe(obs(10, -0.2, false, false))
	if st.Move != Left || !strings.Contains(st.Hint, "other way") {
		t.Fatalf("a turn the wrong way: %+v", st)
	}
}

func TestOtherFaceFailsMatch(t *testing.T) {
	c, _ := New(Config{}, []Move{Center, Left, Right, Center})
	st, _ := play(t, c, 200, head, false)
	if !st.Done || !st.Live || st.Match || len(st.Reasons) != 1 || !strings.Contains(st.Reasons[0], "does not match") {
		t.Fatalf("a live head of someone else got %+v", st)
	}
}

func TestTrackCut(t *testing.T) {
	c, _ := New(Config{}, []Move{Center, Left, Right, Center})
	st, _ := play(t, c, 5, head, true)
	o := obs(6, 0.2, false, false)
	o.Face.X += 150 // another face, elsewhere
	st = c.Observe(o)
	if !st.Done || st.Live || !strings.Contains(st.Reasons[0], "jumped") {
		t.Fatalf("a cut to another place got %+v", st)
	}
	c, _ = New(Config{}, []Move{Center, Left, Right, Center})
	play(t, c, 5, head, true)
	o = obs(6, 0.2, false, false)
	o.Face.Size *= 1.6
	if st = c.Observe(o); st.Live || !st.Done {
		t.Fatalf("a cut to another size got %+v", st)
	}
}

func TestFaceLost(t *testing.T) {
	c, _ := New(Config{}, []Move{Center, Left, Right, Center})
	play(t, c, 5, head, true)
	o := obs(8, 0, false, false)
	o.Faces = 0
	if st := c.Observe(o); st.Done || st.Hint != "no face" || st.Measured {
		t.Fatalf("a short gap: %+v", st)
	}
	if st := c.Observe(obs(9, 0, false, false)); !st.Measured {
		t.Fatalf("a frame with a pose is not marked measured: %+v", st)
	}
	o = obs(30, 0, false, false) // 2.5 s after the last face
	o.Faces = 0
	if st := c.Observe(o); !st.Done || st.Live || !strings.Contains(st.Reasons[0], "out of view") {
		t.Fatalf("a long gap: %+v", st)
	}
}

func TestUnsteadyBaselineWaits(t *testing.T) {
	c, _ := New(Config{}, []Move{Center, Left, Right, Center})
	for i, y := range []float64{0, 0.2, -0.2, 0.15} {
		if st := c.Observe(obs(i, y, false, false)); st.Step != 0 {
			t.Fatalf("frame %d: an unsteady face fixed the baseline: %+v", i, st)
		}
	}
}

func TestProgressGrows(t *testing.T) {
	c, _ := New(Config{}, []Move{Center, Left, Right, Center})
	st := c.State()
	last := st.Progress
	for i := 0; i < 200 && !st.Done; i++ {
		y := head(st)
		st = c.Observe(obs(i, y, c.WantsIdentity(Pose{Yaw: y}), true))
		if st.Progress < last {
			t.Fatalf("frame %d: progress fell from %v to %v", i, last, st.Progress)
		}
		last = st.Progress
	}
	if last != 1 {
		t.Fatalf("progress ended at %v", last)
	}
}

func TestNewRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		moves []Move
	}{
		{Config{}, []Move{Left, Right}},
		{Config{}, []Move{Center}},
		{Config{}, []Move{Center, Move(7)}},
		{Config{Turn: -1}, []Move{Center, Left}},
		{Config{Hold: 100}, []Move{Center, Left}},
		{Config{MoveTimeout: time.Millisecond}, []Move{Center, Left}},
		{Config{MaxResize: 0.5}, []Move{Center, Left}},
	} {
		if _, err := New(tc.cfg, tc.moves); err == nil {
			t.Errorf("New(%+v, %v) accepted", tc.cfg, tc.moves)
		}
	}
}
