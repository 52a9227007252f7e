package face

import (
	"image"
	"image/color"
	"image/draw"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// dataDir returns the shared face data folder: $ONESHOT_DATA, else
// ../shared/data relative to the module root. It skips the test or
// benchmark, with a message saying why, when the folder is absent.
func dataDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("ONESHOT_DATA")
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			tb.Skipf("face data: %v; set ONESHOT_DATA to the shared data folder", err)
		}
		dir = filepath.Join(root, "..", "shared", "data")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		tb.Skipf("face data not found at %s (set ONESHOT_DATA to the folder holding lfw/ and orl/); skipping", dir)
	}
	return dir
}

// moduleRoot walks up from the working directory to the folder of go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}

// imagesUnder lists the JPEG and PNG files under dir, sorted; it skips
// when there are none.
func imagesUnder(tb testing.TB, dir string) []string {
	tb.Helper()
	var paths []string
	filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			switch strings.ToLower(filepath.Ext(p)) {
			case ".jpg", ".jpeg", ".png":
				paths = append(paths, p)
			}
		}
		return nil
	})
	if len(paths) == 0 {
		tb.Skipf("no images under %s; skipping", dir)
	}
	slices.Sort(paths)
	return paths
}

// sample returns n paths spread evenly over paths.
func sample(paths []string, n int) []string {
	if n >= len(paths) {
		return paths
	}
	out := make([]string, n)
	for i := range out {
		out[i] = paths[i*len(paths)/n]
	}
	return out
}

func decodeFile(tb testing.TB, path string) image.Image {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	img, err := Decode(f)
	if err != nil {
		tb.Fatal(err)
	}
	return img
}

func testDetector(tb testing.TB) *Detector {
	tb.Helper()
	return testCascades(tb).NewDetector()
}

// webcamFrame pastes img onto a plain grey 640×480 frame at (x, y), as a
// stand-in for a camera frame.
func webcamFrame(img image.Image, x, y int) *image.RGBA {
	frame := image.NewRGBA(image.Rect(0, 0, 640, 480))
	draw.Draw(frame, frame.Bounds(), image.NewUniform(color.Gray{Y: 128}), image.Point{}, draw.Src)
	b := img.Bounds()
	draw.Draw(frame, b.Sub(b.Min).Add(image.Pt(x, y)), img, b.Min, draw.Src)
	return frame
}
