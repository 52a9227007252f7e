package engine

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oneshotface/oneshot/face"
)

func landmarks(t testing.TB) *face.LandmarkCascades {
	t.Helper()
	lc, err := face.LoadLandmarkCascadesFromModule()
	if err != nil {
		t.Skipf("pigo landmark cascades not found: %v", err)
	}
	return lc
}

func TestChallengeRefusesBadInput(t *testing.T) {
	file, _ := modelFile(t)
	e := mustLoad(t, bareCascades(t), file)
	if _, _, err := e.StartChallenge("ada", ChallengeOptions{}); !errors.Is(err, ErrNoLandmarks) {
		t.Fatalf("without landmark cascades: %v, want ErrNoLandmarks", err)
	}
	if err := e.SetLandmarks(nil); err == nil {
		t.Fatal("SetLandmarks(nil) accepted")
	}
	if err := e.SetLandmarks(landmarks(t)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id   string
		opts ChallengeOptions
		want string
	}{
		{"ada", ChallengeOptions{}, "no person enrolled"},
		{"", ChallengeOptions{}, "id"},
		{"ada", ChallengeOptions{MoveTimeoutMs: -5}, "moveTimeoutMs"},
		{"ada", ChallengeOptions{Turn: 3}, "turn"},
		{"ada", ChallengeOptions{Threshold: -1}, "threshold"},
	} {
		_, _, err := e.StartChallenge(tc.id, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("StartChallenge(%q, %+v) = %v, want an error about %q", tc.id, tc.opts, err, tc.want)
		}
	}
	var c *Challenge
	if _, err := c.Next(grey(8, 8), 0); err == nil {
		t.Error("Next on a nil challenge gave no error")
	}
}

// A still photograph of an enrolled person, held in front of the camera,
// matches but fails the challenge when a turn is asked for, and says so.
func TestChallengeStillPhotoFails(t *testing.T) {
	e, trained := newEngine(t)
	if err := e.SetLandmarks(landmarks(t)); err != nil {
		t.Fatal(err)
	}
	p := lfwPeople(t, e, 1, 2)[0]
	if r, err := e.Enroll(p.name, p.frames[:1]); err != nil || !r.Enrolled {
		t.Fatalf("enroll: %v %+v", err, r)
	}
	c, st, err := e.StartChallenge(p.name, ChallengeOptions{Seed: 1, MoveTimeoutMs: 2000})
	if err != nil {
		t.Fatal(err)
	}
	if st.Done || st.Move != "center" || st.Prompt == "" || len(st.Moves) != 4 {
		t.Fatalf("first state %+v", st)
	}
	photo := p.frames[1]
	n := 0
	for ; !st.Done && n < 100; n++ {
		st, err = c.Next(photo, time.Duration(n)*200*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
	}
	if !st.Done || st.Live || st.Passed {
		t.Fatalf("a still photo after %d frames: %+v", n, st)
	}
	if len(st.Reasons) != 1 || !strings.Contains(st.Reasons[0], "turn of the head") {
		t.Fatalf("reasons %q should say a turn did not come", st.Reasons)
	}
	if trained && !st.Judged {
		t.Fatalf("the photo's frontal frames were never compared: %+v", st)
	}
	if trained && st.Distance > st.Threshold {
		t.Logf("note: the photo did not match (%v > %v)", st.Distance, st.Threshold)
	}
	again, err := c.Next(photo, time.Hour)
	if err != nil || !again.Done || again.Live {
		t.Fatalf("a frame after the verdict changed it: %+v, %v", again, err)
	}
}
