//go:build !js && !wasip1

package face

import (
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func testLandmarks(tb testing.TB) *LandmarkCascades {
	tb.Helper()
	lc, err := LoadLandmarkCascadesFromModule()
	if err != nil {
		tb.Skipf("pigo landmark cascades unavailable: %v", err)
	}
	return lc
}

// orlFirst is the first, frontal picture of ORL's person i and its path;
// the test skips without ORL.
func orlFirst(t *testing.T, dir string, i int) (string, image.Image) {
	t.Helper()
	path := filepath.Join(dir, "orl", fmt.Sprintf("s%d", i), "1.png")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("ORL not found: %v", err)
	}
	defer f.Close()
	img, _, err := DecodePhoto(f)
	if err != nil {
		t.Fatal(err)
	}
	return path, img
}

// On frontal ORL faces the nose tip sits on the face's midline about half
// the pupils' distance below them, and the mouth's corners below it, one
// each side: the cascades are the ones the names say.
func TestLandmarksWhereAFaceHasThem(t *testing.T) {
	dir := dataDir(t)
	d := testCascades(t).NewDetector()
	lc := testLandmarks(t)
	n := 0
	for i := 1; i <= 10; i++ {
		path, img := orlFirst(t, dir, i)
		a, err := d.Analyze(img)
		if err != nil || !a.Eyes.Found {
			continue
		}
		l, err := d.Landmarks(lc, a.Eyes)
		if err != nil {
			t.Fatal(err)
		}
		m, iod := a.Eyes.Mid(), a.Eyes.Distance()
		nx, ny := (l.Nose.X-m.X)/iod, (l.Nose.Y-m.Y)/iod
		if !(nx > -0.25 && nx < 0.25 && ny > 0.3 && ny < 0.8) {
			t.Errorf("%s: nose at (%.2f, %.2f) pupil distances from the pupils' midpoint", path, nx, ny)
		}
		for _, c := range []Point{l.MouthLeft, l.MouthRight} {
			if cy := (c.Y - m.Y) / iod; !(cy > ny+0.15 && cy < 1.5) {
				t.Errorf("%s: a mouth corner %.2f below the eyes, the nose %.2f", path, cy, ny)
			}
		}
		if w := (l.MouthRight.X - l.MouthLeft.X) / iod; !(w > 0.5 && w < 1.3) {
			t.Errorf("%s: the mouth is %.2f pupil distances wide", path, w)
		}
		n++
	}
	if n < 8 {
		t.Fatalf("landmarks measured on %d of 10 faces", n)
	}
}

func TestLandmarksBadInput(t *testing.T) {
	d := testCascades(t).NewDetector()
	lc := testLandmarks(t)
	e := Eyes{Left: Point{X: 10, Y: 10}, Right: Point{X: 30, Y: 10}}
	if _, err := d.Landmarks(lc, e); err == nil {
		t.Error("Landmarks before any Detect gave no error")
	}
	if _, err := d.Landmarks(nil, e); err == nil {
		t.Error("Landmarks without cascades gave no error")
	}
	if _, err := ParseLandmarkCascades([]byte("not a cascade"), nil); err == nil {
		t.Error("garbage parsed as a landmark cascade")
	}
}

// The Detectors of the module's cascades align five-point templates: on
// frontal ORL faces the fitted eyes lie near the pupils (the mean face is
// a frontal one), level as they are, but not on them.
func TestAlignEyesOnFaces(t *testing.T) {
	dir := dataDir(t)
	c, err := LoadCascadesFromModule()
	if err != nil {
		t.Skipf("pigo cascades unavailable: %v", err)
	}
	d := c.NewDetector()
	if d.LandmarkCascades == nil {
		t.Fatal("a Detector of the module's cascades has no landmark cascades")
	}
	five := TemplateCompact64
	five.FivePoint = true
	n, moved := 0, 0
	for i := 1; i <= 10; i++ {
		_, img := orlFirst(t, dir, i)
		a, err := d.Analyze(img)
		if err != nil || !a.Eyes.Found {
			continue
		}
		e, err := d.AlignEyes(a, five)
		if err != nil {
			t.Fatal(err)
		}
		iod := a.Eyes.Distance()
		if !near(e.Left, a.Eyes.Left, 0.2*iod) || !near(e.Right, a.Eyes.Right, 0.2*iod) || math.Abs(e.Roll()-a.Eyes.Roll()) > 10 {
			t.Errorf("s%d: fitted eyes %v, %v far from the pupils %v, %v", i, e.Left, e.Right, a.Eyes.Left, a.Eyes.Right)
		}
		if !near(e.Left, a.Eyes.Left, 0.01*iod) {
			moved++
		}
		n++
	}
	if n < 8 || moved == 0 {
		t.Fatalf("fitted on %d of 10 faces, %d of them away from the pupils", n, moved)
	}
}
