package engine

import (
	"fmt"
	"image"
	"slices"

	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/gallery"
)

// KeptTemplate is the geometry of the face crops the gallery keeps for
// every enrolled frame, whichever model embedded it: dlib's 150×150 chip
// with 25% padding, the view of the accurate model. It shows more around
// the face, and at a finer scale, than the compact model's 64×64 crop, so
// the crop of either model can be cut from it again (recrop): that is how
// everyone enrolled is re-embedded when the page switches between the two
// models, in either direction.
//
// The crops are aligned by the pupils, whatever the model: a model of a
// five-point template (face.Template.FivePoint) finds the nose and mouth in
// a kept crop again when it re-embeds it.
//
// The price is the gallery's size: 90 KB of pixels a frame instead of 16 KB.
var KeptTemplate = face.TemplateDlib150

// ErrEnrollAgain is wrapped by the error of an embedding that cannot be made
// from a person's kept crops: they were kept in a geometry that does not
// show what the model reads (a gallery saved before crops were kept in
// KeptTemplate holds the compact model's tight 64-pixel crops, from which
// the accurate model's wider view cannot be made). A model switch keeps
// such a person listed, crops and all, in the "enroll again" state
// (Info.EnrollAgain); Verify of them returns an error wrapping it, Identify
// passes them by, and a later switch to a model that can use their crops
// restores them. It is gallery.ErrEnrollAgain.
var ErrEnrollAgain = gallery.ErrEnrollAgain

// maxUpscale is how much finer than its source a recropped crop may be: a
// crop cut from a coarser one is a blurred picture, which the model would
// embed as a worse one.
const maxUpscale = 1.05

// cropTemplate names the geometry of a kept crop from its size: a crop of
// KeptTemplate's size is one; any other is taken to be a crop of fallback
// (the template of the model that enrolled it, as galleries kept before
// KeptTemplate existed) when it has fallback's size, else of the preset of
// its size (face.Templates: the compact model's 64-pixel crop). ok is false
// when no template has the crop's size.
func cropTemplate(crop *image.RGBA, fallback face.Template) (t face.Template, ok bool) {
	w, h := crop.Bounds().Dx(), crop.Bounds().Dy()
	for _, t := range append([]face.Template{KeptTemplate, fallback}, presets()...) {
		if t.Width == w && t.Height == h {
			return t, true
		}
	}
	return face.Template{}, false
}

// presets are face.Templates in a fixed order.
func presets() []face.Template {
	names := make([]string, 0, len(face.Templates))
	for n := range face.Templates {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]face.Template, len(names))
	for i, n := range names {
		out[i] = face.Templates[n]
	}
	return out
}

// covers reports whether a crop of template to can be cut from a crop of
// template from: every pixel of to lies inside from (to within half a
// pixel), at a scale no more than maxUpscale finer.
func covers(from, to face.Template) bool {
	if sameGeometry(from, to) {
		return true
	}
	// s is from's pixels per to's pixel; both templates are level, so a
	// point p of to is from's eye midpoint plus s·(p − to's eye midpoint).
	s := from.PupilDistance() / to.PupilDistance()
	if s*maxUpscale < 1 {
		return false
	}
	fx, fy := (from.Left.X+from.Right.X)/2, (from.Left.Y+from.Right.Y)/2
	tx, ty := (to.Left.X+to.Right.X)/2, (to.Left.Y+to.Right.Y)/2
	inside := func(x, y float64) bool {
		sx, sy := fx+s*(x-tx), fy+s*(y-ty)
		return sx >= -0.5 && sy >= -0.5 && sx <= float64(from.Width)+0.5 && sy <= float64(from.Height)+0.5
	}
	return inside(0, 0) && inside(float64(to.Width), float64(to.Height))
}

// recrop cuts a crop of template to from src, a crop of template from
// aligned by its pupils (as the gallery keeps them): src itself when the
// geometries are the same and to aligns by the pupils too, a resampled
// copy when from covers to, and an error wrapping ErrEnrollAgain when it
// does not. For a five-point template det localises the face's nose and
// mouth in src (face.Detector.FivePointEyesIn), so the crop is cut as a
// live frame's would be.
func recrop(det *face.Detector, src *image.RGBA, from, to face.Template) (*image.RGBA, error) {
	if sameGeometry(from, to) && !to.FivePoint {
		return src, nil
	}
	if !covers(from, to) {
		return nil, fmt.Errorf("%w: the face was kept as a %d×%d crop of template %q, which does not show the %d×%d view of template %q this model reads",
			ErrEnrollAgain, from.Width, from.Height, from.Name, to.Width, to.Height, to.Name)
	}
	dst := to.NewCrop()
	b := src.Bounds()
	eyes := face.Eyes{
		Left:  face.Point{X: from.Left.X + float64(b.Min.X), Y: from.Left.Y + float64(b.Min.Y)},
		Right: face.Point{X: from.Right.X + float64(b.Min.X), Y: from.Right.Y + float64(b.Min.Y)},
		Found: true,
	}
	if to.FivePoint {
		var err error
		if eyes, err = det.FivePointEyesIn(src, eyes); err != nil {
			return nil, err
		}
	}
	if err := face.Align(dst, src, eyes, to); err != nil {
		return nil, err
	}
	return dst, nil
}

// keptEmbedder returns the function that embeds a kept crop with model m:
// the crop is recut to m's template first (cropTemplate, with fallback the
// template of the model that made the gallery; det for a five-point one,
// see recrop) and embedded to a unit vector. It is the gallery.EmbedFunc
// of every re-embedding.
func keptEmbedder(det *face.Detector, m loadedModel, fallback face.Template) func(*image.RGBA) ([]float32, error) {
	return func(crop *image.RGBA) ([]float32, error) {
		from, ok := cropTemplate(crop, fallback)
		if !ok {
			b := crop.Bounds()
			return nil, fmt.Errorf("%w: the face was kept as a %d×%d crop of no known template", ErrEnrollAgain, b.Dx(), b.Dy())
		}
		c, err := recrop(det, crop, from, m.emb.Template)
		if err != nil {
			return nil, err
		}
		return m.emb.EmbedCrop(c)
	}
}
