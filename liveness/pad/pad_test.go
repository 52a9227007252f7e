package pad

import (
	"fmt"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/engine"
	"github.com/oneshotface/oneshot/face"
)

// setup loads the shipped model into an engine with the landmark cascades,
// and ORL person s26's photographs; it skips without the data.
func setup(t *testing.T) (*engine.Engine, *face.Detector, *face.LandmarkCascades, []image.Image) {
	t.Helper()
	root, err := dataset.Root()
	if err != nil {
		t.Skip(err)
	}
	c, err := face.LoadCascadesFromModule()
	if err != nil {
		t.Skip(err)
	}
	lc, err := face.LoadLandmarkCascadesFromModule()
	if err != nil {
		t.Skip(err)
	}
	_, src, _, _ := runtime.Caller(0)
	model, err := os.ReadFile(filepath.Join(filepath.Dir(src), "..", "..", "models", "compact.oneshot"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.Load(c, model)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SetLandmarks(lc); err != nil {
		t.Fatal(err)
	}
	var photos []image.Image
	for i := 1; i <= 10; i++ {
		f, err := os.Open(filepath.Join(root, "orl", "s26", fmt.Sprintf("%d.png", i)))
		if err != nil {
			t.Skip(err)
		}
		img, _, err := face.DecodePhoto(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		photos = append(photos, img)
	}
	return e, c.NewDetector(), lc, photos
}

// A person whose photographs turn both ways passes when they are played as
// a head that turns; the most frontal of them, held still, does not.
func TestGenuineTurnPassesAndStillPhotoFails(t *testing.T) {
	e, d, lc, photos := setup(t)
	views := MeasureViews(photos, 3.2, d, lc)
	if len(views) < 8 {
		t.Fatalf("only %d of 10 views measured", len(views))
	}
	g, err := NewGenuine(views, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Left) == 0 || len(g.Right) == 0 {
		t.Fatalf("s26's views are not on both sides of the frontal one: %d left, %d right", len(g.Left), len(g.Right))
	}
	if r, err := e.Enroll("s26", []engine.Frame{FrameOf(g.Center.Frame)}); err != nil || !r.Enrolled {
		t.Fatalf("enroll: %v", err)
	}
	for seed := uint64(1); seed <= 2; seed++ {
		out, err := Play(e, "s26", engine.ChallengeOptions{Seed: seed}, g, 5, 200)
		if err != nil {
			t.Fatal(err)
		}
		if !out.State.Done || !out.State.Live || !out.State.Match {
			t.Fatalf("seed %d: a head that turns got %+v (held %.3f)", seed, out.State, out.Held)
		}
	}
	still := &Genuine{Center: g.Center, Step: 2}
	still.noise = g.noise
	out, err := Play(e, "s26", engine.ChallengeOptions{Seed: 1}, still, 5, 200)
	if err != nil {
		t.Fatal(err)
	}
	if !out.State.Done || out.State.Live {
		t.Fatalf("the frontal photo held still got %+v", out.State)
	}
}

// The attacks of every kind on the same photo fail.
func TestAttacksOnAPhotoFail(t *testing.T) {
	e, d, _, photos := setup(t)
	if r, err := e.Enroll("s26", []engine.Frame{FrameOf(NewScene(photos[0], 3.2).Render(nil, PagePose{}, nil))}); err != nil || !r.Enrolled {
		t.Fatalf("enroll: %v", err)
	}
	a, err := d.Analyze(photos[1])
	if err != nil || len(a.Faces) == 0 {
		t.Fatal("no face in s26/2")
	}
	for _, k := range Kinds {
		out, err := Play(e, "s26", engine.ChallengeOptions{Seed: 3}, NewAttack(k, NewScene(photos[1], 80/a.Eyes.Distance()), 1), 5, 200)
		if err != nil {
			t.Fatal(err)
		}
		if !out.State.Done || out.State.Live {
			t.Errorf("%s: %+v", k, out.State)
		}
	}
}
