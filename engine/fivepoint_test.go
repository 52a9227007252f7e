package engine

import (
	"errors"
	"slices"
	"testing"

	"github.com/oneshotface/oneshot/face"
)

// A model of a five-point template aligns faces by five points: without
// the landmark cascades the engine says what it lacks, instead of
// aligning by the pupils as the model was not calibrated for; with them
// it embeds the face, otherwise than a model of the pupils' template
// does. Detection needs no landmarks either way.
func TestFivePointModelNeedsTheLandmarks(t *testing.T) {
	bare := bareCascades(t)
	people := lfwPeople(t, mustLoad(t, bare, tinyModel(t, face.TemplateCompact64)), 1, 1)
	frame := people[0].frames[0]

	five := face.TemplateCompact64
	five.FivePoint = true
	e := mustLoad(t, bare, tinyModel(t, five))
	if d, err := e.Detect(frame); err != nil || len(d.Faces) == 0 {
		t.Fatalf("Detect without landmarks: %+v, %v", d, err)
	}
	if _, err := e.Embed(frame); !errors.Is(err, face.ErrNoLandmarkCascades) {
		t.Fatalf("Embed of a five-point model without landmarks: error %v, want face.ErrNoLandmarkCascades", err)
	}
	if err := e.SetLandmarks(landmarks(t)); err != nil {
		t.Fatal(err)
	}
	got, err := e.Embed(frame)
	if err != nil {
		t.Fatalf("Embed with landmarks: %v", err)
	}
	pupils, err := mustLoad(t, bare, tinyModel(t, face.TemplateCompact64)).Embed(frame)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(got.Vector, pupils.Vector) {
		t.Error("the five-point model embedded the face as the pupils' model does: its alignment was not used")
	}
}

// bareCascades are facefinder and puploc alone, as a page passes them to
// init: no landmark cascades until SetLandmarks.
func bareCascades(t testing.TB) *face.Cascades {
	t.Helper()
	dir, err := face.CascadeDir()
	if err != nil {
		t.Skipf("pigo cascades not found: %v", err)
	}
	c, err := face.LoadCascades(dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustLoad(t testing.TB, c *face.Cascades, file []byte) *Engine {
	t.Helper()
	e, err := Load(c, file)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
