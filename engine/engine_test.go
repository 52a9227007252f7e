//go:build !js

// The engine tests read the cascades, the model and LFW from disk, so they
// run natively; the browser test (web/webtest) drives the same engine in
// Chromium through the wasm module.

package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/gallery"
	"github.com/oneshotface/oneshot/nn"
)

// modelFile returns the model the tests run: $ONESHOT_MODEL when set, else
// the shipped models/compact.oneshot. The shipped model is part of the
// repository: its absence fails the test rather than letting it check less.
// trained is true when the model has a calibrated threshold, the only case
// where match / no match can be asserted.
func modelFile(t testing.TB) (file []byte, trained bool) {
	t.Helper()
	path := os.Getenv("ONESHOT_MODEL")
	if path == "" {
		_, src, _, _ := runtime.Caller(0)
		path = filepath.Join(filepath.Dir(src), "..", "models", "compact.oneshot")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the model the tests run: %v (models/compact.oneshot is part of the repository; or set $ONESHOT_MODEL)", err)
	}
	m, err := nn.Load(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b, m.Meta[embedder.MetaThreshold] != ""
}

// untrained is an untrained compact model file.
func untrained(t testing.TB, seed uint64) []byte {
	t.Helper()
	m, err := embedder.NewCompact(seed)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := nn.Save(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func cascades(t testing.TB) *face.Cascades {
	t.Helper()
	c, err := face.LoadCascadesFromModule()
	if err != nil {
		t.Skipf("pigo cascades not found: %v", err)
	}
	return c
}

func newEngine(t testing.TB) (*Engine, bool) {
	t.Helper()
	file, trained := modelFile(t)
	e, err := Load(cascades(t), file)
	if err != nil {
		t.Fatal(err)
	}
	return e, trained
}

// frameOf converts an image to a Frame.
func frameOf(img image.Image) Frame {
	b := img.Bounds()
	rgba := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(rgba, rgba.Bounds(), img, b.Min, draw.Src)
	return Frame{Pix: rgba.Pix, Width: b.Dx(), Height: b.Dy()}
}

func loadFrame(t testing.TB, path string) Frame {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := face.DecodeBytes(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return frameOf(img)
}

// grey is a flat grey frame: no face.
func grey(w, h int) Frame {
	pix := bytes.Repeat([]byte{128, 128, 128, 255}, w*h)
	return Frame{Pix: pix, Width: w, Height: h}
}

// lfwPerson is a person of LFW's test half with frames that pass the
// quality check.
type lfwPerson struct {
	name   string
	frames []Frame
}

// lfwPeople picks n people of peopleDevTest.txt (never used in training)
// with at least want images that pass the engine's quality check, in the
// file's order, so every run picks the same. It skips without the data.
func lfwPeople(t testing.TB, e *Engine, n, want int) []lfwPerson {
	t.Helper()
	root, err := dataset.Root()
	if err != nil {
		t.Skipf("skipping the LFW test: %v", err)
	}
	lfw := filepath.Join(root, "lfw")
	people, err := dataset.ReadPeopleFile(filepath.Join(lfw, "peopleDevTest.txt"), filepath.Join(lfw, "images"))
	if err != nil {
		t.Skipf("skipping the LFW test: %v", err)
	}
	var out []lfwPerson
	for _, p := range people {
		if len(p.Images) < want+2 {
			continue
		}
		var good []Frame
		for _, path := range p.Images {
			f := loadFrame(t, path)
			d, err := e.Detect(f)
			if err != nil {
				t.Fatal(err)
			}
			if d.Quality.OK {
				good = append(good, f)
			}
			if len(good) == want {
				break
			}
		}
		if len(good) == want {
			out = append(out, lfwPerson{p.Name, good})
			if len(out) == n {
				return out
			}
		}
	}
	t.Skipf("LFW: found only %d people with %d good images", len(out), want)
	return nil
}

func TestLoadRefusesBadModels(t *testing.T) {
	c := cascades(t)
	good := untrained(t, 1)
	notEmbedder, err := embedder.NewCompact(1)
	if err != nil {
		t.Fatal(err)
	}
	delete(notEmbedder.Meta, embedder.MetaTemplate)
	var buf bytes.Buffer
	if err := nn.Save(&buf, notEmbedder); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		file []byte
		want string
	}{
		"empty":         {nil, "empty"},
		"garbage":       {[]byte("this is not a model"), "not a usable model"},
		"truncated":     {good[:len(good)/2], "not a usable model"},
		"trailing":      {append(bytes.Clone(good), 1, 2, 3), "unexpected bytes"},
		"not embedder":  {buf.Bytes(), "not a face embedder"},
		"one bit wrong": {flip(good, len(good)/2), "not a usable model"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Load(c, tc.file)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load: error %v, want one saying %q", err, tc.want)
			}
		})
	}
	if _, err := Load(nil, good); err == nil {
		t.Error("Load with nil cascades: no error")
	}
	if _, err := New(c, nil); err == nil {
		t.Error("New with a nil model: no error")
	}
}

func flip(b []byte, i int) []byte {
	b = bytes.Clone(b)
	b[i] ^= 0x10
	return b
}

func TestBadFrames(t *testing.T) {
	e, _ := newEngine(t)
	cases := map[string]struct {
		f    Frame
		want string
	}{
		"0×0":        {Frame{}, "0×0"},
		"0×10":       {Frame{Width: 0, Height: 10}, "must be positive"},
		"negative":   {Frame{Pix: make([]byte, 16), Width: -2, Height: -2}, "must be positive"},
		"too large":  {Frame{Pix: nil, Width: 5000, Height: 10}, "at most 4096"},
		"short":      {Frame{Pix: make([]byte, 10), Width: 2, Height: 2}, "width×height×4 = 16"},
		"long":       {Frame{Pix: make([]byte, 17), Width: 2, Height: 2}, "17 bytes"},
		"nil pixels": {Frame{Width: 2, Height: 2}, "0 bytes"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			check := func(call string, err error) {
				t.Helper()
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s: error %v, want one saying %q", call, err, tc.want)
				}
			}
			_, err := e.Detect(tc.f)
			check("Detect", err)
			_, err = e.Embed(tc.f)
			check("Embed", err)
			_, err = e.Identify(tc.f, Options{})
			check("Identify", err)
			_, err = e.Enroll("x", []Frame{grey(8, 8), tc.f})
			check("Enroll", err)
		})
	}
	// The engine still works.
	d, err := e.Detect(grey(64, 48))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Faces) != 0 || d.Quality.OK || len(d.Quality.Problems) != 1 || d.Quality.Problems[0] != "noFace" {
		t.Errorf("grey frame: %+v, want no face", d)
	}
}

func TestNoFace(t *testing.T) {
	e, _ := newEngine(t)
	f := grey(120, 90)
	if _, err := e.Embed(f); !errors.Is(err, ErrNoFace) {
		t.Errorf("Embed of a grey frame: %v, want ErrNoFace", err)
	}
	if _, err := e.Identify(f, Options{}); !errors.Is(err, ErrNoFace) {
		t.Errorf("Identify of a grey frame: %v, want ErrNoFace", err)
	}
	res, err := e.Enroll("nobody", []Frame{f, f})
	if !errors.Is(err, gallery.ErrNoGoodFrame) || !strings.Contains(err.Error(), "no face") {
		t.Errorf("Enroll from grey frames: %v, want ErrNoGoodFrame saying no face", err)
	}
	if res.Enrolled || res.Refused != 2 || len(res.Frames) != 2 || res.Frames[0].Accepted || res.Frames[0].Face != nil {
		t.Errorf("Enroll from grey frames: %+v", res)
	}
	if len(res.Frames[1].Reasons) == 0 || res.Frames[1].Reasons[0] != "no face" {
		t.Errorf("refused frame's reasons %q, want \"no face\"", res.Frames[1].Reasons)
	}
	if _, err := e.Verify("nobody", f, Options{}); !errors.Is(err, gallery.ErrNotEnrolled) {
		t.Errorf("Verify of someone not enrolled: %v, want ErrNotEnrolled", err)
	}
	if err := e.Remove("nobody"); !errors.Is(err, gallery.ErrNotEnrolled) {
		t.Errorf("Remove of someone not enrolled: %v, want ErrNotEnrolled", err)
	}
	if _, err := e.Enroll("", []Frame{f}); err == nil {
		t.Error("Enroll with an empty id: no error")
	}
	if _, err := e.Enroll("x", nil); err == nil {
		t.Error("Enroll with no frames: no error")
	}
	if _, err := e.Verify("x", f, Options{Threshold: 5}); err == nil {
		t.Error("Verify with threshold 5: no error")
	}
	if _, err := e.Identify(f, Options{K: -1}); err == nil {
		t.Error("Identify with k -1: no error")
	}
	id, err := e.Identify(grey(10, 10), Options{})
	if !errors.Is(err, ErrNoFace) {
		t.Errorf("Identify: %+v %v", id, err)
	}
}

// TestLFW enrolls people from LFW's test half and verifies and identifies
// them. With an uncalibrated model ($ONESHOT_MODEL) only the plumbing is
// checked; with a calibrated one, such as the shipped model, the verdicts
// too.
func TestLFW(t *testing.T) {
	e, trained := newEngine(t)
	if !trained {
		t.Log("an uncalibrated model ($ONESHOT_MODEL): checking the plumbing only")
	}
	people := lfwPeople(t, e, 3, 4)
	alice, bob, carol := people[0], people[1], people[2]
	t.Logf("people: %s, %s, %s", alice.name, bob.name, carol.name)

	for _, p := range people {
		res, err := e.Enroll(p.name, p.frames[:3])
		if err != nil {
			t.Fatalf("Enroll %s: %v", p.name, err)
		}
		if !res.Enrolled || res.Accepted != 3 || res.Refused != 0 || res.Replaced || len(res.Frames) != 3 {
			t.Fatalf("Enroll %s: %+v", p.name, res)
		}
		for i, fr := range res.Frames {
			if !fr.Accepted || fr.Face == nil || fr.Face.Box.Width <= 0 || !fr.Quality.OK || len(fr.Reasons) != 0 {
				t.Errorf("Enroll %s, frame %d: %+v", p.name, i, fr)
			}
		}
	}
	if got := e.People(); len(got) != 3 {
		t.Fatalf("People() = %q", got)
	}

	same, err := e.Verify(alice.name, alice.frames[3], Options{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.Verify(alice.name, bob.frames[3], Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("verify %s: same person %+v", alice.name, same)
	t.Logf("verify %s: other person d=%.3f match=%v", alice.name, other.Distance, other.Match)
	for _, v := range []Verification{same, other} {
		if v.ID != alice.name || v.Threshold != e.Info().Model.Threshold || v.Distance < 0 || v.Distance > 4 ||
			v.Score < 0 || v.Score > 100 || (v.Score >= 50) != v.Match || v.Face.Box.Width <= 0 {
			t.Errorf("verification %+v is inconsistent", v)
		}
	}
	// A per-call threshold overrides the default.
	strict, err := e.Verify(alice.name, alice.frames[3], Options{Threshold: same.Distance / 2})
	if err != nil || strict.Match || strict.Threshold != same.Distance/2 {
		t.Errorf("verify with threshold %v: %+v %v", same.Distance/2, strict, err)
	}
	if trained {
		if !same.Match {
			t.Errorf("%s's 4th image does not match their template: %+v", alice.name, same)
		}
		if other.Match {
			t.Errorf("%s's image matches %s's template: %+v", bob.name, alice.name, other)
		}
	}

	for _, p := range people {
		id, err := e.Identify(p.frames[3], Options{K: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("identify %s: %+v", p.name, id.Candidates)
		if len(id.Candidates) != 2 || id.Candidates[0].Distance > id.Candidates[1].Distance || id.Unknown == (id.ID != "") {
			t.Errorf("identify %s: %+v", p.name, id)
		}
		if trained && id.ID != p.name {
			t.Errorf("identify %s: got %q (%+v)", p.name, id.ID, id.Candidates)
		}
	}

	// Embed gives a unit vector, whatever the model's last layer.
	em, err := e.Embed(alice.frames[3])
	if err != nil {
		t.Fatal(err)
	}
	var n2 float64
	for _, x := range em.Vector {
		n2 += float64(x) * float64(x)
	}
	if len(em.Vector) != e.Info().Model.Dim || n2 < 0.999 || n2 > 1.001 || !em.Quality.OK || em.Face.Box.Width <= 0 {
		t.Errorf("Embed: %d values, squared norm %v, %+v", len(em.Vector), n2, em.Quality)
	}

	// JSON: camelCase keys.
	b, err := json.Marshal(same)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"match":`, `"distance":`, `"threshold":`, `"score":`, `"face":{"box":{"x":`, `"eyeDistance":`} {
		if !bytes.Contains(b, []byte(key)) {
			t.Errorf("JSON %s lacks %s", b, key)
		}
	}

	// Export, damage, import.
	saved, err := e.ExportGallery()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Remove(carol.name); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ImportGallery(flip(saved, len(saved)/2)); !errors.Is(err, gallery.ErrDamaged) {
		t.Errorf("import of a damaged gallery: %v, want ErrDamaged", err)
	}
	if _, err := e.ImportGallery([]byte("garbage")); !errors.Is(err, gallery.ErrNotGallery) {
		t.Errorf("import of garbage: %v, want ErrNotGallery", err)
	}
	if got := e.People(); len(got) != 2 {
		t.Fatalf("after refused imports People() = %q, want the 2 left", got)
	}
	info, err := e.ImportGallery(saved)
	if err != nil || info.People != 3 || info.Reembedded {
		t.Fatalf("ImportGallery: %+v %v", info, err)
	}
	again, err := e.Verify(alice.name, alice.frames[3], Options{})
	if err != nil || again.Distance != same.Distance {
		t.Errorf("after export/import: %+v %v, want distance %v", again, err, same.Distance)
	}

	// A bad model is refused and changes nothing.
	before := e.Info()
	for _, bad := range [][]byte{[]byte("garbage"), untrained(t, 2)[:1000], nil} {
		if _, err := e.ImportModel(bad, ModelOptions{}); err == nil {
			t.Error("ImportModel of a bad file: no error")
		}
	}
	if after := e.Info(); after.Model != before.Model || len(after.People) != 3 {
		t.Errorf("after refused models: %+v, want %+v", after, before)
	}
	// A model whose view is wider than the kept crops (40% padding around
	// the face) cannot embed them: everyone stays listed, to enroll again.
	wider := tinyModel(t, face.DlibTemplate(150, 0.4))
	if _, err := e.ImportModel(wider, ModelOptions{}); err != nil {
		t.Fatalf("ImportModel of a model for wider crops: %v", err)
	}
	if info := e.Info(); len(info.People) != 3 || len(info.EnrollAgain) != 3 {
		t.Errorf("after a model that cannot use the kept crops: people %q, enroll again %q", info.People, info.EnrollAgain)
	}
	if _, err := e.Verify(alice.name, alice.frames[3], Options{}); !errors.Is(err, ErrEnrollAgain) || !strings.Contains(err.Error(), "dlib-150-pad0.4") {
		t.Errorf("Verify %s with a model that cannot use her crops: %v, want ErrEnrollAgain naming the template", alice.name, err)
	}
	if _, err := e.ResetModel(); err != nil {
		t.Fatal(err)
	}
	if v, err := e.Verify(alice.name, alice.frames[3], Options{}); err != nil || math.Abs(float64(v.Distance-same.Distance)) > 0.05 || len(e.Info().EnrollAgain) != 0 {
		t.Errorf("back to the first model: %+v %v, want distance %v ± 0.05 and nobody to enroll again", v, err, same.Distance)
	}
	// A good model re-embeds the gallery, keeping everyone.
	if before.Model.CropWidth != embedder.CompactTemplate.Width {
		t.Logf("the model reads %d×%d crops: not trying a compact model on its gallery", before.Model.CropWidth, before.Model.CropHeight)
		return
	}
	newModel := untrained(t, 7)
	mi, err := e.ImportModel(newModel, ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if mi.Fingerprint != gallery.Fingerprint(newModel) || mi.Calibrated || mi.Threshold != UncalibratedThreshold || mi.Dim != 128 {
		t.Errorf("ImportModel: %+v", mi)
	}
	if !bytes.Equal(e.ExportModel(), newModel) {
		t.Error("ExportModel does not return the imported model")
	}
	v, err := e.Verify(alice.name, alice.frames[3], Options{})
	if err != nil || v.Distance == same.Distance || len(e.People()) != 3 {
		t.Errorf("after a new model: %+v %v (old distance %v)", v, err, same.Distance)
	}
	// The gallery saved with the old model is re-embedded on import.
	info, err = e.ImportGallery(saved)
	if err != nil || !info.Reembedded || info.People != 3 {
		t.Errorf("import of a gallery of the old model: %+v %v", info, err)
	}
	if v2, err := e.Verify(alice.name, alice.frames[3], Options{}); err != nil || v2.Distance != v.Distance {
		t.Errorf("after re-embedding import: %+v %v, want distance %v", v2, err, v.Distance)
	}
}

// tinyModel is a valid embedding model for template t: global average
// pooling, a dense layer and L2 normalisation.
func tinyModel(t testing.TB, tmpl face.Template) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	d, err := nn.NewDense("d", 3, 8, true, rng)
	if err != nil {
		t.Fatal(err)
	}
	m := nn.NewModel(nn.NewSequential("tiny", &nn.GlobalAvgPool{Name: "gap"}, d, nn.NewL2Normalize("l2", 1e-10)), tmpl.Height, tmpl.Width, 3)
	if err := embedder.Describe(m, tmpl, face.NormSigned, 0.5); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := nn.Save(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestModelRoundTrip(t *testing.T) {
	c := cascades(t)
	m, err := embedder.NewCompact(3)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(c, m)
	if err != nil {
		t.Fatal(err)
	}
	file := e.ExportModel()
	info := e.Info()
	if info.Model.Fingerprint != gallery.Fingerprint(file) || info.Model.Bytes != len(file) || info.Model.CropWidth != 64 ||
		info.Model.Architecture != m.Meta["architecture"] || info.Model.Params == 0 || len(info.People) != 0 {
		t.Errorf("Info: %+v", info)
	}
	e2, err := Load(c, file)
	if err != nil {
		t.Fatal(err)
	}
	if e2.Info().Model != info.Model {
		t.Errorf("reloaded: %+v, want %+v", e2.Info().Model, info.Model)
	}
	// An empty gallery exports and imports.
	g, err := e.ExportGallery()
	if err != nil {
		t.Fatal(err)
	}
	if gi, err := e2.ImportGallery(g); err != nil || gi.People != 0 {
		t.Errorf("import of an empty gallery: %+v %v", gi, err)
	}
	if _, err := e2.ImportGallery(nil); err == nil {
		t.Error("import of nothing: no error")
	}
	// With nobody enrolled, a model of another crop template is fine.
	mi, err := e2.ImportModel(tinyModel(t, face.TemplateCompact96), ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if mi.CropWidth != 96 || mi.Dim != 8 || !mi.Calibrated || mi.Threshold != 0.5 {
		t.Errorf("ImportModel of a 96×96 model: %+v", mi)
	}
	if _, err := e2.Embed(grey(100, 100)); !errors.Is(err, ErrNoFace) {
		t.Errorf("Embed with the new model: %v", err)
	}
}

// TestConcurrent calls the engine from several goroutines.
func TestConcurrent(t *testing.T) {
	e, _ := newEngine(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 4 {
		wg.Go(func() {
			for j := range 4 {
				if _, err := e.Detect(grey(40+i, 30+j)); err != nil {
					errs <- err
				}
				_ = e.Info()
				if _, err := e.Enroll(fmt.Sprint(i), []Frame{grey(20, 20)}); !errors.Is(err, gallery.ErrNoGoodFrame) {
					errs <- fmt.Errorf("enroll: %v", err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// withCohort returns model file m with a cohort of n random unit faces of
// dim values (k 3) and mirroring set.
func withCohort(t testing.TB, file []byte, n, dim int) []byte {
	t.Helper()
	m, err := nn.Load(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	faces := make([][]float32, n)
	for i := range faces {
		faces[i] = make([]float32, dim)
		for j := range faces[i] {
			faces[i][j] = float32(rng.NormFloat64())
		}
	}
	c, err := gallery.NewCohort(faces, 3)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := c.MarshalText()
	m.Meta[embedder.MetaCohort] = string(text)
	m.Meta[embedder.MetaMirror] = "1"
	var buf bytes.Buffer
	if err := nn.Save(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestModelCohort: a model's cohort reaches the gallery (Load,
// ImportModel), goes when a model without one is imported, and a cohort
// whose length is not the model's is refused as damage.
func TestModelCohort(t *testing.T) {
	c := cascades(t)
	tiny := tinyModel(t, face.TemplateCompact64)
	e, err := Load(c, withCohort(t, tiny, 20, 8))
	if err != nil {
		t.Fatal(err)
	}
	if mi := e.Info().Model; mi.CohortFaces != 20 || !mi.Mirror {
		t.Errorf("Info of a model with a cohort of 20 and mirroring: %+v", mi)
	}
	if e.gallery.Cohort() == nil || e.gallery.Cohort() != e.model.emb.Cohort {
		t.Error("the gallery does not normalise with the model's cohort")
	}
	if _, err := e.ImportModel(tiny, ModelOptions{}); err != nil {
		t.Fatal(err)
	}
	if mi := e.Info().Model; mi.CohortFaces != 0 || mi.Mirror || e.gallery.Cohort() != nil {
		t.Errorf("after importing a model without a cohort: %+v, gallery cohort %v", mi, e.gallery.Cohort())
	}
	if _, err := e.ImportModel(withCohort(t, tiny, 20, 8), ModelOptions{}); err != nil || e.gallery.Cohort() == nil {
		t.Errorf("importing a model with a cohort: %v, gallery cohort %v", err, e.gallery.Cohort())
	}
	if _, err := Load(c, withCohort(t, tiny, 20, 4)); err == nil || !strings.Contains(err.Error(), "cohort") {
		t.Errorf("a model with a cohort of another length: %v", err)
	}
}

// TestStrictThreshold: a model's strict operating point reaches Info and
// Options.Strict, a model whose strict threshold is no distance is refused,
// and asking for a strict point that is not there, or beside a threshold,
// is an error.
func TestStrictThreshold(t *testing.T) {
	c := cascades(t)
	load := func(strict string) (*Engine, error) {
		m, err := nn.Load(bytes.NewReader(tinyModel(t, face.TemplateCompact64)))
		if err != nil {
			t.Fatal(err)
		}
		m.Meta[embedder.MetaStrictThreshold] = strict
		var buf bytes.Buffer
		if err := nn.Save(&buf, m); err != nil {
			t.Fatal(err)
		}
		return Load(c, buf.Bytes())
	}
	e, err := load("0.3")
	if err != nil {
		t.Fatal(err)
	}
	if mi := e.Info().Model; mi.StrictThreshold != 0.3 || mi.Threshold != 0.5 {
		t.Errorf("Info: strict %v, threshold %v; want 0.3, 0.5", mi.StrictThreshold, mi.Threshold)
	}
	if got, err := e.threshold(Options{Strict: true}); got != 0.3 || err != nil {
		t.Errorf("Options{Strict: true} asks for %v (%v), want 0.3", got, err)
	}
	if err := checkOptions(Options{Strict: true, Threshold: 0.4}); err == nil {
		t.Error("both a threshold and the strict point: no error")
	}
	if _, err := e.Verify("nobody", grey(100, 100), Options{Strict: true, Threshold: 0.4}); err == nil || !strings.Contains(err.Error(), "give one") {
		t.Errorf("Verify with both a threshold and the strict point: %v", err)
	}
	if _, err := load("4.5"); err == nil || !strings.Contains(err.Error(), "strict") {
		t.Errorf("a strict threshold of 4.5: %v, want an error about it", err)
	}
	plain, err := Load(c, tinyModel(t, face.TemplateCompact64))
	if err != nil || plain.Info().Model.StrictThreshold != 0 {
		t.Fatalf("a model without a strict threshold: %v", err)
	}
	if _, err := plain.Identify(grey(100, 100), Options{Strict: true}); err == nil || !strings.Contains(err.Error(), "no strict point") {
		t.Errorf("Identify at the strict point of a model without one: %v", err)
	}
}
