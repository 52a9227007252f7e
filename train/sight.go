package train

import (
	"image"
	"image/color"

	"golang.org/x/image/draw"
	"golang.org/x/image/math/f64"

	"github.com/oneshotface/oneshot/face"
)

// The student's sight (Composition.Sight).
//
// The teacher normally embeds a view through its own crop: 150×150 pixels
// with a wide margin, hair and ears included, about twice the student's
// pixels per face. Its embedding then carries what the student's 64-pixel
// crop cannot show, and distillation asks the student for it all the same.
// On the faces it trains on the student can meet that demand by
// recognising the person and recalling the rest — memorising — and on a
// new face it cannot; part of every target is noise it can only fit by
// heart. Seen through the student's eyes instead, the teacher is given
// exactly the student's crop, enlarged into its own template and grey
// beyond it, so every target is a function of the student's input alone.
// The teacher still verifies LFW at 0.965 from so little (measured
// 2026-11-28 on a close variant: its own crop greyed beyond the compact
// field of view and resampled to the compact resolution): the information
// is in the crop; what the student has to learn is how the teacher reads it.

// sightGrey fills the teacher's crop beyond the student's field of view:
// mid-grey, which both crops' normalisations map near zero.
var sightGrey = color.RGBA{128, 128, 128, 255}

// alignSeen makes view vw of sample i as the student sees it — its crop
// of template student, made by alignView exactly as training makes it —
// and enlarges that into dst, a crop of template teacher, so that the
// pupils fall where teacher puts them; dst beyond the student's crop is
// grey.
func alignSeen(dst *image.RGBA, samples []Sample, i int, vw View, teacher, student face.Template) error {
	seen, scratch := student.NewCrop(), student.NewCrop()
	if err := alignView(seen, scratch, samples, i, vw, student, 1); err != nil {
		return err
	}
	enlargeInto(dst, seen, teacher, student)
	return nil
}

// enlargeInto draws src, a crop of template from, into dst, a crop of
// template to, scaled by the ratio of their pupil distances and moved so
// that the points between the pupils meet (both templates are level);
// the rest of dst is sightGrey.
func enlargeInto(dst, src *image.RGBA, to, from face.Template) {
	draw.Draw(dst, dst.Rect, image.NewUniform(sightGrey), image.Point{}, draw.Src)
	k := to.PupilDistance() / from.PupilDistance()
	tx, ty := (to.Left.X+to.Right.X)/2, (to.Left.Y+to.Right.Y)/2
	fx, fy := (from.Left.X+from.Right.X)/2, (from.Left.Y+from.Right.Y)/2
	// s2d maps src's coordinates to dst's.
	s2d := f64.Aff3{k, 0, tx - k*fx, 0, k, ty - k*fy}
	draw.BiLinear.Transform(dst, s2d, src, src.Rect, draw.Src, nil)
}
