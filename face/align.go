package face

import (
	"errors"
	"fmt"
	"image"
	"math"

	"golang.org/x/image/draw"
	"golang.org/x/image/math/f64"
)

// Template says where the pupils go in an aligned crop: Align finds the
// similarity transform (rotation, uniform scale, shift) that moves the
// image's pupils onto Left and Right and resamples the face into a
// Width×Height crop. Positions are in crop coordinates (pixel (x, y)
// covers [x, x+1)×[y, y+1)).
type Template struct {
	// Name identifies the template in logs and model files.
	Name string
	// Width and Height are the crop's size in pixels.
	Width, Height int
	// Left and Right are where the pupils go: Left on the crop's left
	// (the person's right eye, unless mirrored).
	Left, Right Point
	// FivePoint says where the pupils are taken to be: false, where the
	// pupil localiser found them; true, where a fit of the mean face's
	// pupils, nose tip and mouth corners to the found ones puts them
	// (Detector.AlignEyes, FivePointEyes). A model is used with the
	// alignment it was calibrated with; it does not change the crop's
	// geometry.
	FivePoint bool `json:"five_point,omitempty"`
}

// The 5-point mean face of dlib's get_face_chip_details, in units of the
// face's extent (x from the outer corner of one eye to the other's,
// 0…1): the pupil is taken as the midpoint of the eye's two corners.
var dlibEyeL, dlibEyeR = Point{
	X: (0.1205750620789 + 0.3340850613712) / 2,
	Y: (0.2137274526848 + 0.2290642403242) / 2,
}, Point{
	X: (0.8595674595992 + 0.6460604764104) / 2,
	Y: (0.2134981538014 + 0.2289674387677) / 2,
}

// DlibTemplate is the square template of dlib's
// get_face_chip_details(det, size, padding) for its 5-point landmarks,
// reduced to the pupils: each eye at the midpoint of its corners in dlib's
// mean face, (padding + p)/(1 + 2·padding)·size, both at their mean
// height so the template is level. padding is the margin added on each
// side as a fraction of the face (dlib's face recogniser uses 0.25).
func DlibTemplate(size int, padding float64) Template {
	y := (dlibEyeL.Y + dlibEyeR.Y) / 2
	at := func(v float64) float64 {
		// dlib puts pixel centres at integers; package image at +0.5.
		return (padding+v)/(1+2*padding)*float64(size) + 0.5
	}
	return Template{
		Name:  fmt.Sprintf("dlib-%d-pad%g", size, padding),
		Width: size, Height: size,
		Left:  Point{at(dlibEyeL.X), at(y)},
		Right: Point{at(dlibEyeR.X), at(y)},
	}
}

// Template presets.
var (
	// TemplateDlib150 is the 150×150 chip with 25% padding that dlib's
	// face recognition ResNet (and its face-api.js port, the teacher)
	// expects: the eyes about 52.6 px apart at a height of 47.6 px.
	TemplateDlib150 = DlibTemplate(150, 0.25)
	// TemplateCompact64 is the tighter 64×64 crop of the compact
	// embedder: dlib's geometry with 10% padding, from mid-forehead to
	// just under the chin; the eyes about 28 px apart.
	TemplateCompact64 = DlibTemplate(64, 0.1)
	// TemplateCompact80 is TemplateCompact64 at 80×80.
	TemplateCompact80 = DlibTemplate(80, 0.1)
	// TemplateCompact96 is TemplateCompact64 at 96×96.
	TemplateCompact96 = DlibTemplate(96, 0.1)
)

// Templates names the presets for command lines: dlib150, compact64,
// compact80 and compact96.
var Templates = map[string]Template{
	"dlib150":   TemplateDlib150,
	"compact64": TemplateCompact64,
	"compact80": TemplateCompact80,
	"compact96": TemplateCompact96,
}

// SameView reports whether u shows what t shows, at any size: the pupils
// at the same fractions of the crop's sides (to within a hundredth, the
// half-pixel offset of pixel centres), as TemplateCompact64 and
// TemplateCompact80 do and TemplateDlib150, with its wider padding, does
// not.
func (t Template) SameView(u Template) bool {
	near := func(a, b float64) bool { return math.Abs(a-b) < 0.01 }
	return near(t.Left.X/float64(t.Width), u.Left.X/float64(u.Width)) &&
		near(t.Right.X/float64(t.Width), u.Right.X/float64(u.Width)) &&
		near(t.Left.Y/float64(t.Height), u.Left.Y/float64(u.Height)) &&
		near(t.Right.Y/float64(t.Height), u.Right.Y/float64(u.Height))
}

// Validate reports whether the template can be used.
func (t Template) Validate() error {
	if t.Width <= 0 || t.Height <= 0 || t.Width > MaxSide || t.Height > MaxSide {
		return fmt.Errorf("face: template %q is %d×%d: sides must be 1…%d", t.Name, t.Width, t.Height, MaxSide)
	}
	for _, v := range []float64{t.Left.X, t.Left.Y, t.Right.X, t.Right.Y} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("face: template %q has a non-finite eye position", t.Name)
		}
	}
	if !(t.Right.X-t.Left.X > 1) {
		return fmt.Errorf("face: template %q: its right eye must be more than a pixel right of its left eye", t.Name)
	}
	return nil
}

// PupilDistance is the distance in crop pixels between the template's two
// eye positions: the crop's scale.
func (t Template) PupilDistance() float64 {
	return math.Hypot(t.Right.X-t.Left.X, t.Right.Y-t.Left.Y)
}

// NewCrop allocates a crop of the template's size.
func (t Template) NewCrop() *image.RGBA {
	return image.NewRGBA(image.Rect(0, 0, t.Width, t.Height))
}

// Transform returns the affine map from image coordinates to crop
// coordinates that Align uses for these eyes, jitter included: the
// similarity that puts eyes.Left on t.Left and eyes.Right on t.Right,
// followed by j's rotation, scale and shift about the template's eye
// midpoint, and its mirror. Use it to map other points (a box, landmarks)
// into the crop.
func (t Template) Transform(eyes Eyes, j Jitter) f64.Aff3 {
	// As complex numbers: crop = a·img + b with a = (tR − tL)/(eR − eL).
	ex, ey := eyes.Right.X-eyes.Left.X, eyes.Right.Y-eyes.Left.Y
	tx, ty := t.Right.X-t.Left.X, t.Right.Y-t.Left.Y
	n := ex*ex + ey*ey
	if n == 0 || math.IsNaN(n) || math.IsInf(n, 0) {
		n, ex, ey = 1, tx, ty // degenerate eyes: identity scale
		n = ex*ex + ey*ey
	}
	ar := (tx*ex + ty*ey) / n
	ai := (ty*ex - tx*ey) / n
	br := t.Left.X - (ar*eyes.Left.X - ai*eyes.Left.Y)
	bi := t.Left.Y - (ai*eyes.Left.X + ar*eyes.Left.Y)
	m := f64.Aff3{ar, -ai, br, ai, ar, bi}

	// Jitter about the template's eye midpoint: rotate and scale, shift.
	mx, my := (t.Left.X+t.Right.X)/2, (t.Left.Y+t.Right.Y)/2
	if j.Rotate != 0 || j.Scale != 0 || j.ShiftX != 0 || j.ShiftY != 0 {
		s := 1 + j.Scale
		if !(s > 0.05) {
			s = 0.05
		}
		th := j.Rotate * math.Pi / 180
		c, sn := s*math.Cos(th), s*math.Sin(th)
		d := math.Hypot(tx, ty)
		J := f64.Aff3{
			c, -sn, mx - c*mx + sn*my + j.ShiftX*d,
			sn, c, my - sn*mx - c*my + j.ShiftY*d,
		}
		m = mul(J, m)
	}
	if j.Flip {
		m = mul(f64.Aff3{-1, 0, 2 * mx, 0, 1, 0}, m)
	}
	return m
}

// mul composes affine maps: the result applies b, then a.
func mul(a, b f64.Aff3) f64.Aff3 {
	return f64.Aff3{
		a[0]*b[0] + a[1]*b[3], a[0]*b[1] + a[1]*b[4], a[0]*b[2] + a[1]*b[5] + a[2],
		a[3]*b[0] + a[4]*b[3], a[3]*b[1] + a[4]*b[4], a[3]*b[2] + a[4]*b[5] + a[5],
	}
}

// Align writes into dst the face of src whose pupils are eyes, turned,
// scaled and shifted so the pupils land on the template's positions. It
// resamples with bilinear interpolation (x/image/draw's BiLinear, which
// widens its kernel when shrinking so large faces do not alias). Parts of
// the crop outside src are black, as in dlib's chips.
//
// dst must be t.Width×t.Height: make it once with t.NewCrop and reuse it
// from frame to frame (Align itself allocates only x/image/draw's two
// small kernel-weight buffers). src may be any image; *image.RGBA,
// *image.NRGBA, *image.Gray and *image.YCbCr take fast paths.
func Align(dst *image.RGBA, src image.Image, eyes Eyes, t Template) error {
	return AlignJittered(dst, src, eyes, t, Jitter{})
}

// AlignJittered is Align with a training augmentation: j's rotation, scale,
// shift and mirror are folded into the one resampling, and its brightness,
// contrast, gamma and blur are then applied to the crop. The zero Jitter is
// plain Align.
func AlignJittered(dst *image.RGBA, src image.Image, eyes Eyes, t Template, j Jitter) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if dst == nil {
		return errors.New("face: Align: dst is nil; make it with Template.NewCrop")
	}
	if b := dst.Bounds(); b.Dx() != t.Width || b.Dy() != t.Height {
		return fmt.Errorf("face: Align: dst is %d×%d, template %q wants %d×%d", b.Dx(), b.Dy(), t.Name, t.Width, t.Height)
	}
	if err := checkImage(src); err != nil {
		return err
	}
	for _, v := range []float64{eyes.Left.X, eyes.Left.Y, eyes.Right.X, eyes.Right.Y} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errors.New("face: Align: eye position is not a finite number")
		}
	}
	if eyes.Distance() < 1e-3 {
		return errors.New("face: Align: the two eyes are at the same place")
	}
	if err := j.validate(); err != nil {
		return err
	}
	m := t.Transform(eyes, j)
	// The resampling kernel widens with the shrink factor; refuse absurd
	// ones (a face hundreds of times larger than the crop) rather than
	// allocate and loop without end.
	if shrink := 1 / math.Sqrt(math.Abs(m[0]*m[4]-m[1]*m[3])); !(shrink <= maxShrink) {
		return fmt.Errorf("face: Align: eyes %.0f px apart shrink the face %.3g times into template %q; at most %d is allowed", eyes.Distance(), shrink, t.Name, maxShrink)
	}
	// dst may not start at (0, 0): shift crop coordinates onto its bounds.
	o := dst.Bounds().Min
	m[2] += float64(o.X)
	m[5] += float64(o.Y)
	clearRGBA(dst)
	draw.BiLinear.Transform(dst, m, src, src.Bounds(), draw.Src, nil)
	j.applyPixels(dst)
	return nil
}

// maxShrink is the largest factor by which Align shrinks a face: a face
// filling a MaxSide image into a 32-pixel crop.
const maxShrink = MaxSide / 32

// clearRGBA makes every pixel opaque black.
func clearRGBA(m *image.RGBA) {
	b := m.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		i := m.PixOffset(b.Min.X, y)
		row := m.Pix[i : i+4*b.Dx()]
		for x := 0; x < len(row); x += 4 {
			row[x], row[x+1], row[x+2], row[x+3] = 0, 0, 0, 255
		}
	}
}

// Normalization maps the 0…255 values of a crop's R, G and B channels to
// the numbers an embedder takes: v = (p − Mean[c]) · Scale[c].
type Normalization struct {
	// Mean is subtracted from R, G and B (0…255), then the difference is
	// multiplied by Scale.
	Mean, Scale [3]float32
}

// Normalization presets.
var (
	// NormUnit maps 0…255 to 0…1.
	NormUnit = Normalization{Scale: [3]float32{1. / 255, 1. / 255, 1. / 255}}
	// NormSigned maps 0…255 to −1…1.
	NormSigned = Normalization{
		Mean:  [3]float32{127.5, 127.5, 127.5},
		Scale: [3]float32{1 / 127.5, 1 / 127.5, 1 / 127.5},
	}
	// NormDlib is dlib's face recogniser's input normalisation (its
	// input_rgb_image_sized), which face-api.js's FaceRecognitionNet
	// repeats: subtract the mean RGB of its training set, divide by 256.
	NormDlib = Normalization{
		Mean:  [3]float32{122.782, 117.001, 104.298},
		Scale: [3]float32{1. / 256, 1. / 256, 1. / 256},
	}
)

// Tensor writes crop into dst as height×width×3 float32 values, RGB, row
// by row (HWC), normalised by n. dst must have exactly 3·width·height
// elements; Tensor allocates nothing, so one buffer serves every frame.
func Tensor(dst []float32, crop *image.RGBA, n Normalization) error {
	if crop == nil {
		return errors.New("face: Tensor: crop is nil")
	}
	b := crop.Bounds()
	w, h := b.Dx(), b.Dy()
	if want := 3 * w * h; len(dst) != want {
		return fmt.Errorf("face: Tensor: dst has %d elements, a %d×%d crop needs 3×%d×%d = %d", len(dst), w, h, w, h, want)
	}
	m0, m1, m2 := n.Mean[0], n.Mean[1], n.Mean[2]
	s0, s1, s2 := n.Scale[0], n.Scale[1], n.Scale[2]
	k := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		i := crop.PixOffset(b.Min.X, y)
		row := crop.Pix[i : i+4*w]
		out := dst[k : k+3*w]
		for x := 0; x < w; x++ {
			out[3*x+0] = (float32(row[4*x+0]) - m0) * s0
			out[3*x+1] = (float32(row[4*x+1]) - m1) * s1
			out[3*x+2] = (float32(row[4*x+2]) - m2) * s2
		}
		k += 3 * w
	}
	return nil
}
