// Package faceapiref holds the reference descriptors that prove the teacher
// port: 128-d outputs of face-api.js's own FaceRecognitionNet, computed in
// headless Chromium by scripts/faceapi-ref, for inputs this package can
// remake bit for bit from a recipe.
//
// A recipe is either a synthetic pattern computed from a formula in integer
// arithmetic (always available) or an LFW image decoded with Go's
// image/jpeg and cropped (available only where the data set is, see
// DataDir). The driver makes the pixels here and sends them to the browser,
// so both sides see the same bytes.
package faceapiref

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
)

// File is the JSON document testdata/teacher_ref.json.
type File struct {
	// Package is the npm package and version that computed the vectors.
	Package string `json:"package"`
	// Backend is the TensorFlow.js backend and version used.
	Backend string `json:"backend"`
	// Generator says how to make the file again.
	Generator string `json:"generator"`
	Cases     []Case `json:"cases"`
}

// Case is one input and face-api's descriptor for it.
type Case struct {
	Name  string `json:"name"`
	Input Recipe `json:"input"`
	// Descriptor is computeFaceDescriptor's 128-d output (not normalised).
	Descriptor []float32 `json:"descriptor"`
}

// Recipe says how to make an input image: RGB, 0..255 integers, row-major
// HWC. Kind "pattern" uses Pattern, Width, Height and Seed; kind "lfw" uses
// File and optionally Crop.
type Recipe struct {
	Kind    string `json:"kind"`
	Pattern string `json:"pattern,omitempty"`
	Width   int    `json:"width"`
	Height  int    `json:"height"`
	Seed    uint32 `json:"seed,omitempty"`
	// File is the image's path below the LFW folder, e.g.
	// "images/George_W_Bush/George_W_Bush_0001.jpg".
	File string `json:"file,omitempty"`
	// Crop is x, y, width, height of the region kept; nil keeps the whole
	// image. Width and Height then give the crop's (or image's) size.
	Crop *[4]int `json:"crop,omitempty"`
}

// ErrNoData means a recipe needs a data set that is not on this machine.
var ErrNoData = errors.New("faceapiref: data set not found")

// DataDir returns the folder of the shared face data: $ONESHOT_DATA, else
// ../shared/data relative to the module root found from the working
// directory.
func DataDir() string {
	if d := os.Getenv("ONESHOT_DATA"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return filepath.Join("..", "shared", "data")
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "data")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return filepath.Join("..", "shared", "data")
		}
		dir = parent
	}
}

// Pixels makes the recipe's image as float32 RGB values in 0..255 and
// returns it with its width and height. LFW recipes read from
// dataDir/lfw and return an error wrapping ErrNoData when it is absent.
func (r Recipe) Pixels(dataDir string) ([]float32, int, int, error) {
	switch r.Kind {
	case "pattern":
		b, err := Pattern(r.Pattern, r.Width, r.Height, r.Seed)
		if err != nil {
			return nil, 0, 0, err
		}
		return toFloat(b), r.Width, r.Height, nil
	case "lfw":
		b, w, h, err := lfw(filepath.Join(dataDir, "lfw"), r.File, r.Crop)
		if err != nil {
			return nil, 0, 0, err
		}
		if w != r.Width || h != r.Height {
			return nil, 0, 0, fmt.Errorf("faceapiref: %s gives %d×%d, recipe says %d×%d", r.File, w, h, r.Width, r.Height)
		}
		return toFloat(b), w, h, nil
	}
	return nil, 0, 0, fmt.Errorf("faceapiref: unknown recipe kind %q (want pattern or lfw)", r.Kind)
}

// Bytes is Pixels as bytes, for sending to the browser.
func (r Recipe) Bytes(dataDir string) ([]byte, error) {
	p, _, _, err := r.Pixels(dataDir)
	if err != nil {
		return nil, err
	}
	b := make([]byte, len(p))
	for i, v := range p {
		b[i] = byte(v)
	}
	return b, nil
}

func toFloat(b []byte) []float32 {
	f := make([]float32, len(b))
	for i, v := range b {
		f[i] = float32(v)
	}
	return f
}

// Patterns lists the synthetic patterns Pattern knows.
var Patterns = []string{"gradient", "checker", "noise", "face"}

// Pattern makes a w×h RGB image (3 bytes a pixel, row-major) from a formula
// in integer arithmetic only, so any language makes the same bytes:
//
//   - gradient: R = 255x/(w-1), G = 255y/(h-1), B = 255(x+y)/(w+h-2);
//   - checker: 10-pixel squares of 230/30 in R (inverted in G), B = xy mod 256;
//   - noise: xorshift32 bytes from seed (seed 0 means 1);
//   - face: a cartoon face (skin ellipse, eyes, brows, nose, mouth) on grey,
//     scaled to w×h, with ±8 of xorshift32 texture.
func Pattern(name string, w, h int, seed uint32) ([]byte, error) {
	if w < 2 || h < 2 || w > 4096 || h > 4096 {
		return nil, fmt.Errorf("faceapiref: pattern size %d×%d out of range 2..4096", w, h)
	}
	b := make([]byte, w*h*3)
	rng := seed
	if rng == 0 {
		rng = 1
	}
	next := func() uint32 {
		rng ^= rng << 13
		rng ^= rng >> 17
		rng ^= rng << 5
		return rng
	}
	switch name {
	case "gradient":
		for y := range h {
			for x := range w {
				i := (y*w + x) * 3
				b[i] = byte(255 * x / (w - 1))
				b[i+1] = byte(255 * y / (h - 1))
				b[i+2] = byte(255 * (x + y) / (w + h - 2))
			}
		}
	case "checker":
		for y := range h {
			for x := range w {
				i := (y*w + x) * 3
				v := 30
				if (x/10+y/10)%2 == 1 {
					v = 230
				}
				b[i] = byte(v)
				b[i+1] = byte(260 - v)
				b[i+2] = byte(x * y % 256)
			}
		}
	case "noise":
		for i := range b {
			b[i] = byte(next() >> 24)
		}
	case "face":
		face(b, w, h, next)
	default:
		return nil, fmt.Errorf("faceapiref: unknown pattern %q (know %v)", name, Patterns)
	}
	return b, nil
}

// face paints the cartoon face. Geometry is on a 1000×1000 grid mapped onto
// w×h; (X, Y) below are grid coordinates of the pixel's corner.
func face(b []byte, w, h int, next func() uint32) {
	inEllipse := func(X, Y, cx, cy, rx, ry int) bool {
		dx, dy := X-cx, Y-cy
		return dx*dx*ry*ry+dy*dy*rx*rx <= rx*rx*ry*ry
	}
	for y := range h {
		for x := range w {
			X, Y := 1000*x/w, 1000*y/h
			r, g, bl := 96, 104, 112 // background
			switch {
			case inEllipse(X, Y, 360, 420, 55, 35) || inEllipse(X, Y, 640, 420, 55, 35):
				r, g, bl = 245, 245, 240 // eye whites
				if inEllipse(X, Y, 360, 420, 22, 22) || inEllipse(X, Y, 640, 420, 22, 22) {
					r, g, bl = 40, 30, 25 // pupils
				}
			case (Y >= 335 && Y < 355) && ((X >= 290 && X < 430) || (X >= 570 && X < 710)):
				r, g, bl = 70, 50, 40 // brows
			case inEllipse(X, Y, 500, 730, 120, 35):
				r, g, bl = 170, 70, 70 // mouth
			case X >= 480 && X < 520 && Y >= 450 && Y < 620:
				r, g, bl = 200, 140, 115 // nose
			case inEllipse(X, Y, 500, 520, 330, 430):
				r, g, bl = 224, 172, 140 // skin
			}
			n := int(next()>>28) - 8 // -8..7
			i := (y*w + x) * 3
			b[i] = clamp(r + n)
			b[i+1] = clamp(g + n)
			b[i+2] = clamp(bl + n)
		}
	}
}

func clamp(v int) byte {
	return byte(min(255, max(0, v)))
}

// lfw decodes lfwDir/file with image/jpeg and returns its RGB bytes,
// cropped to crop when not nil.
func lfw(lfwDir, file string, crop *[4]int) ([]byte, int, int, error) {
	if !filepath.IsLocal(file) {
		return nil, 0, 0, fmt.Errorf("faceapiref: LFW file %q is not a path inside the data set", file)
	}
	if _, err := os.Stat(lfwDir); err != nil {
		return nil, 0, 0, fmt.Errorf("%w: %s (set ONESHOT_DATA to the folder holding lfw/)", ErrNoData, lfwDir)
	}
	f, err := os.Open(filepath.Join(lfwDir, file))
	if err != nil {
		return nil, 0, 0, err
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("faceapiref: decoding %s: %w", file, err)
	}
	r := img.Bounds()
	if crop != nil {
		c := image.Rect(r.Min.X+crop[0], r.Min.Y+crop[1], r.Min.X+crop[0]+crop[2], r.Min.Y+crop[1]+crop[3])
		if !c.In(r) || c.Empty() {
			return nil, 0, 0, fmt.Errorf("faceapiref: crop %v outside %s (%v)", *crop, file, r)
		}
		r = c
	}
	w, h := r.Dx(), r.Dy()
	out := make([]byte, 0, w*h*3)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			out = append(out, byte(cr>>8), byte(cg>>8), byte(cb>>8))
		}
	}
	return out, w, h, nil
}

// Read parses a reference file.
func Read(r io.Reader) (*File, error) {
	var f File
	if err := json.NewDecoder(r).Decode(&f); err != nil {
		return nil, fmt.Errorf("faceapiref: reference file is not valid JSON: %w", err)
	}
	for _, c := range f.Cases {
		if len(c.Descriptor) != 128 {
			return nil, fmt.Errorf("faceapiref: case %q has %d descriptor values, want 128", c.Name, len(c.Descriptor))
		}
	}
	return &f, nil
}

// ReadFile parses the reference file at path.
func ReadFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f)
}

// Cases is the set of inputs scripts/faceapi-ref computes descriptors for.
// The LFW ones are used only where the data set is present.
func Cases() []Case {
	lfw := func(name, file string, crop *[4]int, w, h int) Case {
		return Case{Name: name, Input: Recipe{Kind: "lfw", File: file, Crop: crop, Width: w, Height: h}}
	}
	pat := func(name, p string, w, h int, seed uint32) Case {
		return Case{Name: name, Input: Recipe{Kind: "pattern", Pattern: p, Width: w, Height: h, Seed: seed}}
	}
	center := &[4]int{50, 50, 150, 150}
	return []Case{
		pat("gradient-150", "gradient", 150, 150, 0),
		pat("checker-150", "checker", 150, 150, 0),
		pat("noise-150", "noise", 150, 150, 7),
		pat("face-150", "face", 150, 150, 11),
		// not 150×150: exercise padToSquare and resizeBilinear
		pat("face-120x200", "face", 120, 200, 12),
		pat("noise-97x64", "noise", 97, 64, 13),
		lfw("lfw-bush-1", "images/George_W_Bush/George_W_Bush_0001.jpg", center, 150, 150),
		lfw("lfw-bush-2", "images/George_W_Bush/George_W_Bush_0002.jpg", center, 150, 150),
		lfw("lfw-powell-1", "images/Colin_Powell/Colin_Powell_0001.jpg", center, 150, 150),
		lfw("lfw-powell-2-full", "images/Colin_Powell/Colin_Powell_0002.jpg", nil, 250, 250),
	}
}
