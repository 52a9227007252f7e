//go:build !js

package prepare

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/face"
)

func newDetector(t *testing.T) func() *face.Detector {
	t.Helper()
	c, err := face.LoadCascadesFromModule()
	if err != nil {
		t.Fatal(err)
	}
	return c.NewDetector
}

// TestSamplesCountsWhatItDrops: a picture without a face, a file that is
// not a picture and a missing file are dropped and counted, and with no
// face left Samples says so.
func TestSamplesCountsWhatItDrops(t *testing.T) {
	dir := t.TempDir()
	grey := filepath.Join(dir, "grey.png")
	img := image.NewRGBA(image.Rect(0, 0, 96, 96))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.RGBA{128, 128, 128, 255}), image.Point{}, draw.Src)
	f, err := os.Create(grey)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("not a picture\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	people := []dataset.Person{
		{Name: "A", Images: []string{grey, text}},
		{Name: "B", Images: []string{filepath.Join(dir, "missing.jpg")}},
	}
	var last [2]int
	samples, st, err := Samples(context.Background(), people, newDetector(t), face.TemplateCompact64, 2, func(done, total int) { last = [2]int{done, total} })
	if err == nil || !strings.Contains(err.Error(), "no usable face among 3 images") {
		t.Errorf("error %v, want one saying no usable face among 3 images", err)
	}
	if samples != nil {
		t.Errorf("%d samples, want none", len(samples))
	}
	if want := (Stats{Images: 3, NoFace: 1, Unreadable: 2}); st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	if last != [2]int{3, 3} {
		t.Errorf("last progress %v, want 3 of 3", last)
	}
}

// TestSamplesCancelled: a cancelled context stops the work and is the
// error.
func TestSamplesCancelled(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := range 200 {
		paths = append(paths, filepath.Join(dir, fmt.Sprintf("missing%d.jpg", i)))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := Samples(ctx, []dataset.Person{{Name: "A", Images: paths}}, newDetector(t), face.TemplateCompact64, 2, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

// TestSamplesLFW prepares two LFW people's first pictures: each kept face
// is labelled with its person's index, in the order given, and the stats
// add up.
func TestSamplesLFW(t *testing.T) {
	root, err := dataset.Root()
	if err != nil {
		t.Skip(err)
	}
	images := filepath.Join(root, "lfw", "images")
	var people []dataset.Person
	for _, name := range []string{"Tony_Blair", "George_W_Bush"} {
		p := dataset.Person{Name: name}
		for n := 1; n <= 3; n++ {
			p.Images = append(p.Images, dataset.LFWImage(images, name, n))
		}
		people = append(people, p)
	}
	if _, err := os.Stat(people[0].Images[0]); err != nil {
		t.Skipf("LFW images not found: %v", err)
	}
	samples, st, err := Samples(context.Background(), people, newDetector(t), face.TemplateCompact64, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Images != 6 || st.Kept != len(samples) || st.Kept+st.NoFace+st.Unreadable != st.Images {
		t.Errorf("stats %+v for %d samples of 6 images do not add up", st, len(samples))
	}
	if st.Kept < 5 || st.Unreadable != 0 {
		t.Errorf("stats %+v: want a face in at least 5 of 6 LFW pictures and none unreadable", st)
	}
	var order []string
	fallback := 0
	for _, s := range samples {
		want := slices.IndexFunc(people, func(p dataset.Person) bool { return slices.Contains(p.Images, s.Path) })
		if s.Label != want {
			t.Errorf("%s: label %d, want %d", s.Path, s.Label, want)
		}
		if s.Img == nil || s.Img.Bounds().Dx() != 250 || s.Img.Bounds().Dy() != 250 {
			t.Errorf("%s: image %v, want LFW's 250×250 picture", s.Path, s.Img.Bounds())
		}
		if !s.Eyes.Found {
			fallback++
		}
		order = append(order, s.Path)
	}
	if fallback != st.FallbackEyes {
		t.Errorf("%d samples with estimated eyes, stats say %d", fallback, st.FallbackEyes)
	}
	all := append(slices.Clone(people[0].Images), people[1].Images...)
	if !slices.IsSortedFunc(order, func(a, b string) int { return slices.Index(all, a) - slices.Index(all, b) }) {
		t.Errorf("samples in the order %v, want the order given", order)
	}
}

// TestSamplesFivePoint: for a five-point template a sample's eyes are the
// five-point fit, not the pupils (which a pupils' template keeps), and a
// detector without landmark cascades is refused before any work.
func TestSamplesFivePoint(t *testing.T) {
	root, err := dataset.Root()
	if err != nil {
		t.Skip(err)
	}
	images := filepath.Join(root, "lfw", "images")
	people := []dataset.Person{{Name: "Tony_Blair", Images: []string{dataset.LFWImage(images, "Tony_Blair", 1), dataset.LFWImage(images, "Tony_Blair", 2)}}}
	if _, err := os.Stat(people[0].Images[0]); err != nil {
		t.Skipf("LFW images not found: %v", err)
	}
	five := face.TemplateCompact64
	five.FivePoint = true
	byPupils, _, err := Samples(context.Background(), people, newDetector(t), face.TemplateCompact64, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	byFive, _, err := Samples(context.Background(), people, newDetector(t), five, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(byFive) != len(byPupils) || len(byFive) == 0 {
		t.Fatalf("%d samples aligned by five points, %d by the pupils", len(byFive), len(byPupils))
	}
	for i := range byFive {
		p, f := byPupils[i].Eyes, byFive[i].Eyes
		if f.Found && f.Left == p.Left && f.Right == p.Right {
			t.Errorf("%s: five-point eyes %v %v are the pupils", byFive[i].Path, f.Left, f.Right)
		}
		if d := math.Hypot(f.Left.X-p.Left.X, f.Left.Y-p.Left.Y); d > 0.3*p.Distance() {
			t.Errorf("%s: five-point left eye %.1f px from the pupil", byFive[i].Path, d)
		}
	}

	bare := func() *face.Detector { d := newDetector(t)(); d.LandmarkCascades = nil; return d }
	if _, _, err := Samples(context.Background(), people, bare, five, 1, nil); !errors.Is(err, face.ErrNoLandmarkCascades) {
		t.Errorf("five-point template without landmark cascades: %v, want face.ErrNoLandmarkCascades", err)
	}
}
