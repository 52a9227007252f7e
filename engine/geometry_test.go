//go:build !js

package engine

import (
	"bytes"
	"errors"
	"image"
	"slices"
	"strings"
	"testing"

	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/gallery"
)

func TestCovers(t *testing.T) {
	for _, c := range []struct {
		from, to face.Template
		want     bool
	}{
		{KeptTemplate, KeptTemplate, true},
		{KeptTemplate, face.TemplateCompact64, true},
		{KeptTemplate, face.TemplateCompact96, true},
		{face.TemplateCompact64, face.TemplateCompact64, true},
		// The compact crop is tighter than dlib's chip: it cannot show it.
		{face.TemplateCompact64, KeptTemplate, false},
		// The same view, finer: a blurred enlargement, refused.
		{face.TemplateCompact64, face.TemplateCompact96, false},
		{face.TemplateCompact96, face.TemplateCompact64, true},
		// Fine enough, but too tight around the face.
		{face.DlibTemplate(200, 0.1), KeptTemplate, false},
		{face.DlibTemplate(300, 0.25), KeptTemplate, true},
	} {
		if got := covers(c.from, c.to); got != c.want {
			t.Errorf("covers(%s, %s) = %v, want %v", c.from.Name, c.to.Name, got, c.want)
		}
	}
}

// meanAbsDiff is the mean absolute difference of two crops' RGB values.
func meanAbsDiff(a, b *image.RGBA) float64 {
	var s, n float64
	for i := range a.Pix {
		if i%4 == 3 {
			continue
		}
		d := float64(a.Pix[i]) - float64(b.Pix[i])
		if d < 0 {
			d = -d
		}
		s += d
		n++
	}
	return s / n
}

// TestRecropMatchesAlign checks that a compact crop cut from a kept crop is
// the crop aligned from the frame itself, up to the blur of resampling
// twice; and that the other way round is refused as ErrEnrollAgain.
func TestRecropMatchesAlign(t *testing.T) {
	e, _ := newEngine(t)
	p := lfwPeople(t, e, 1, 1)[0]
	img, err := checkFrame(p.frames[0])
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.detector.Analyze(img)
	if err != nil || len(a.Faces) == 0 {
		t.Fatalf("no face: %v", err)
	}
	kept, direct := KeptTemplate.NewCrop(), face.TemplateCompact64.NewCrop()
	if err := face.Align(kept, img, a.Eyes, KeptTemplate); err != nil {
		t.Fatal(err)
	}
	if err := face.Align(direct, img, a.Eyes, face.TemplateCompact64); err != nil {
		t.Fatal(err)
	}
	cut, err := recrop(nil, kept, KeptTemplate, face.TemplateCompact64)
	if err != nil {
		t.Fatal(err)
	}
	// A crop of another face, or shifted by a few pixels, differs by tens
	// of levels; resampling twice costs a few.
	if d := meanAbsDiff(cut, direct); d > 6 {
		t.Errorf("recropped compact crop differs from the aligned one by %.1f levels on average", d)
	} else {
		t.Logf("recropped vs aligned: %.2f levels on average", d)
	}
	shifted := face.TemplateCompact64
	shifted.Left.X += 3
	shifted.Right.X += 3
	off, err := recrop(nil, kept, KeptTemplate, shifted)
	if err != nil {
		t.Fatal(err)
	}
	if d := meanAbsDiff(off, direct); d < 2*meanAbsDiff(cut, direct) {
		t.Errorf("a crop 3 px off differs by %.1f levels only: the test cannot tell a good recrop", d)
	}
	if _, err := recrop(nil, direct, face.TemplateCompact64, KeptTemplate); !errors.Is(err, ErrEnrollAgain) {
		t.Errorf("recrop of a compact crop into dlib's chip: %v, want ErrEnrollAgain", err)
	}
}

// TestRecropFivePoint: a five-point model's crop cut from a kept crop
// (aligned by the pupils, as every gallery keeps them) is the crop the
// five-point fit cuts from the frame itself, the nose and mouth found again
// in the kept crop; cut by the pupils alone it would differ more.
func TestRecropFivePoint(t *testing.T) {
	e, _ := newEngine(t)
	if e.detector.LandmarkCascades == nil {
		t.Skip("the module's cascades came without the landmark cascades")
	}
	five := face.TemplateCompact64
	five.FivePoint = true
	n := 0
	for _, p := range lfwPeople(t, e, 4, 1) {
		img, err := checkFrame(p.frames[0])
		if err != nil {
			t.Fatal(err)
		}
		a, err := e.detector.Analyze(img)
		if err != nil || !a.Eyes.Found {
			continue
		}
		eyes, err := e.detector.AlignEyes(a, five)
		if err != nil {
			t.Fatal(err)
		}
		kept, direct := KeptTemplate.NewCrop(), five.NewCrop()
		if err := face.Align(kept, img, a.Eyes, KeptTemplate); err != nil {
			t.Fatal(err)
		}
		if err := face.Align(direct, img, eyes, five); err != nil {
			t.Fatal(err)
		}
		cut, err := recrop(e.detector, kept, KeptTemplate, five)
		if err != nil {
			t.Fatal(err)
		}
		byPupils, err := recrop(nil, kept, KeptTemplate, face.TemplateCompact64)
		if err != nil {
			t.Fatal(err)
		}
		d, dp := meanAbsDiff(cut, direct), meanAbsDiff(byPupils, direct)
		if d > 6 || d >= dp {
			t.Errorf("%s: the recropped five-point crop differs from the aligned one by %.1f levels on average, the pupils' by %.1f", p.name, d, dp)
		}
		t.Logf("%s: five-point recrop %.2f, by the pupils %.2f levels from the five-point crop", p.name, d, dp)
		n++
	}
	if n < 3 {
		t.Fatalf("compared %d faces", n)
	}
	if _, err := recrop(&face.Detector{}, KeptTemplate.NewCrop(), KeptTemplate, five); !errors.Is(err, face.ErrNoLandmarkCascades) {
		t.Errorf("five-point recrop without landmark cascades: %v, want face.ErrNoLandmarkCascades", err)
	}
}

// TestSwitchTemplates enrolls with the compact model, switches to a model
// of dlib's 150-pixel chip and back, and checks that everyone is
// re-embedded each time and still recognised; a gallery of the compact
// model's own 64-pixel crops (kept so before KeptTemplate) is switched
// with everyone listed to enroll again, and switched back whole.
func TestSwitchTemplates(t *testing.T) {
	e, trained := newEngine(t)
	people := lfwPeople(t, e, 2, 4)
	for _, p := range people {
		if _, err := e.Enroll(p.name, p.frames[:3]); err != nil {
			t.Fatal(err)
		}
	}
	saved, err := e.ExportGallery()
	if err != nil {
		t.Fatal(err)
	}
	before, err := e.Verify(people[0].name, people[0].frames[3], Options{})
	if err != nil {
		t.Fatal(err)
	}
	compact := e.ExportModel()
	wide := tinyModel(t, KeptTemplate)
	mi, err := e.ImportModel(wide, ModelOptions{})
	if err != nil {
		t.Fatalf("switch to a 150-pixel model: %v", err)
	}
	if mi.CropWidth != 150 || len(e.People()) != 2 {
		t.Fatalf("after the switch: %+v, people %q", mi, e.People())
	}
	if _, err := e.Verify(people[0].name, people[0].frames[3], Options{AnyQuality: true}); err != nil {
		t.Errorf("verify with the 150-pixel model: %v", err)
	}
	if _, err := e.ImportModel(compact, ModelOptions{}); err != nil {
		t.Fatalf("switch back: %v", err)
	}
	after, err := e.Verify(people[0].name, people[0].frames[3], Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Re-embedded from crops cut again: near, not equal, to the first.
	if d := after.Distance - before.Distance; d > 0.1 || d < -0.1 {
		t.Errorf("distance %v after the round trip, %v before", after.Distance, before.Distance)
	}
	if trained && !after.Match {
		t.Errorf("%s no longer matches after switching back: %+v", people[0].name, after)
	}
	if other, err := e.Verify(people[0].name, people[1].frames[3], Options{}); err != nil || (trained && other.Match) {
		t.Errorf("%s as %s after switching back: %+v %v", people[1].name, people[0].name, other, err)
	}

	// The same people kept as 64-pixel crops, as older galleries are.
	old, err := gallery.Unmarshal(saved)
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := gallery.New(gallery.Config{Threshold: old.Threshold(), Model: old.Model()})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range old.IDs() {
		p, err := old.Person(id)
		if err != nil {
			t.Fatal(err)
		}
		caps := make([]gallery.Capture, len(p.Crops))
		for i, c := range p.Crops {
			small, err := recrop(nil, c, KeptTemplate, face.TemplateCompact64)
			if err != nil {
				t.Fatal(err)
			}
			caps[i] = gallery.Capture{Crop: small, Embedding: p.Embeddings[i]}
		}
		if _, err := legacy.Enroll(id, caps); err != nil {
			t.Fatal(err)
		}
	}
	file, err := legacy.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.ImportGallery(file); err != nil {
		t.Fatal(err)
	}
	if _, err = e.ImportModel(wide, ModelOptions{}); err != nil {
		t.Fatalf("switching a gallery of 64-pixel crops to a 150-pixel model: %v", err)
	}
	if info := e.Info(); len(info.People) != 2 || len(info.EnrollAgain) != 2 {
		t.Errorf("after the switch: people %q, enroll again %q; want both listed, both to enroll again", info.People, info.EnrollAgain)
	}
	if _, err := e.Verify(people[0].name, people[0].frames[3], Options{}); !errors.Is(err, ErrEnrollAgain) || !strings.Contains(err.Error(), people[0].name) {
		t.Errorf("verify %s, whose crops the model cannot use: %v, want ErrEnrollAgain naming them", people[0].name, err)
	}
	// Saved and loaded in that state, then enrolling one again clears it.
	kept, err := e.ExportGallery()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.ImportGallery(kept); err != nil || len(e.Info().EnrollAgain) != 2 {
		t.Errorf("re-imported: %v, enroll again %q", err, e.Info().EnrollAgain)
	}
	if _, err := e.Enroll(people[1].name, people[1].frames[:3]); err != nil {
		t.Fatal(err)
	}
	if got := e.Info().EnrollAgain; !slices.Equal(got, []string{people[0].name}) {
		t.Errorf("after enrolling %s again, enroll again %q", people[1].name, got)
	}
	// Back to the compact model: its own 64-pixel crops embed again.
	if _, err := e.ImportModel(compact, ModelOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := e.Info().EnrollAgain; len(got) != 0 {
		t.Errorf("back on the compact model, enroll again %q", got)
	}
	if v, err := e.Verify(people[0].name, people[0].frames[3], Options{}); err != nil || (trained && !v.Match) {
		t.Errorf("verify %s back on the compact model: %+v %v", people[0].name, v, err)
	}
	_ = bytes.Equal
}
