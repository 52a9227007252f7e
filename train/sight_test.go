package train

import (
	"context"
	"image"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/face"
)

// TestEnlargeInto: a crop enlarged into a wider template lands where the
// pupils say. The source is a ramp (red 4·x, green 4·y at pixel x, y), so
// bilinear sampling reproduces it exactly: wherever a pixel of the larger
// crop maps inside the source, its colour is the ramp at that point;
// wherever it maps wholly outside, it is grey.
func TestEnlargeInto(t *testing.T) {
	from, to := face.TemplateCompact64, face.DlibTemplate(150, 0.25)
	src := from.NewCrop()
	for y := range from.Height {
		for x := range from.Width {
			o := src.PixOffset(x, y)
			src.Pix[o], src.Pix[o+1], src.Pix[o+2], src.Pix[o+3] = uint8(4*x), uint8(4*y), 0, 255
		}
	}
	dst := to.NewCrop()
	enlargeInto(dst, src, to, from)
	k := to.PupilDistance() / from.PupilDistance()
	tx, ty := (to.Left.X+to.Right.X)/2, (to.Left.Y+to.Right.Y)/2
	fx, fy := (from.Left.X+from.Right.X)/2, (from.Left.Y+from.Right.Y)/2
	inside, grey := 0, 0
	for y := range to.Height {
		for x := range to.Width {
			// The centre of dst's pixel (x, y) in src's coordinates.
			sx, sy := (float64(x)+0.5-tx)/k+fx, (float64(y)+0.5-ty)/k+fy
			o := dst.PixOffset(x, y)
			r, g, b := float64(dst.Pix[o]), float64(dst.Pix[o+1]), dst.Pix[o+2]
			switch {
			case sx >= 0.5 && sx <= float64(from.Width)-0.5 && sy >= 0.5 && sy <= float64(from.Height)-0.5:
				inside++
				if math.Abs(r-4*(sx-0.5)) > 1.01 || math.Abs(g-4*(sy-0.5)) > 1.01 || b != 0 {
					t.Fatalf("pixel (%d, %d) maps to (%.2f, %.2f) of the student's crop: colour %v %v %v, want %.1f %.1f 0",
						x, y, sx, sy, r, g, b, 4*(sx-0.5), 4*(sy-0.5))
				}
			case sx < -0.5 || sx > float64(from.Width)+0.5 || sy < -0.5 || sy > float64(from.Height)+0.5:
				grey++
				if dst.Pix[o] != sightGrey.R || dst.Pix[o+1] != sightGrey.G || dst.Pix[o+2] != sightGrey.B {
					t.Fatalf("pixel (%d, %d) lies beyond the student's crop but is %v, not grey", x, y, dst.Pix[o:o+4])
				}
			}
		}
	}
	// The student's crop covers the middle of the teacher's, ~k·64 px a
	// side: both kinds of pixel must be common.
	if inside < 100*100 || grey < 150*150-130*130 {
		t.Errorf("%d pixels inside the student's crop, %d grey: the crop is not where the pupils put it", inside, grey)
	}
}

// TestViewsThroughTheStudentsSight: with Composition.Sight the target of
// every view — plain, jittered, blended or warped — is the teacher's
// embedding of the very crop the trainer feeds the student, enlarged into
// the teacher's template; such views are cached apart and never take
// plain views from a cache made without the student's sight.
func TestViewsThroughTheStudentsSight(t *testing.T) {
	samples := synthetic(3, 2, 8)
	// A teacher with a wider crop than the student's, as dlib's is.
	arch := embedder.CompactV2At80
	arch.Name, arch.Template = "teacher-80-wide", face.DlibTemplate(80, 0.25)
	teacher := newTeacher(t, arch)
	student := embedder.CompactTemplate
	const count = 4
	ctx, dir := context.Background(), t.TempDir()
	plain := filepath.Join(dir, "views.bin")
	teachers, r := []*embedder.Embedder{teacher}, face.DefaultJitterRange
	own, err := TeacherViews(ctx, teachers, samples, student, count, r, 5, Composition{}, plain, "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	comp := Composition{Mix: 0.5, Warp: 0.5, Sight: true}
	embedded := 0
	vw, err := TeacherViews(ctx, teachers, samples, student, count, r, 5, comp, plain, "k", func(done, total int) { embedded = total })
	if err != nil {
		t.Fatal(err)
	}
	if embedded != len(samples)*count {
		t.Errorf("the teacher embedded %d views through the student's sight, want all %d (plain ones included)", embedded, len(samples)*count)
	}
	if MixedCachePath(plain, comp) == MixedCachePath(plain, Composition{Mix: 0.5, Warp: 0.5}) {
		t.Error("views through the student's sight share a cache file with views through the teacher's")
	}
	if own.Vecs[0][0] == vw.Vecs[0][0] && own.Vecs[0][1] == vw.Vecs[0][1] {
		t.Error("the plain view's target is the same through the student's sight as through the teacher's own crop")
	}

	targets := randomTargets(len(samples), 3)
	targets.Views = []*Views{vw}
	tr := newTrainer(t, samples, targets, tinyConfig())
	var idx, views []int
	var pics []View
	composite := 0
	for i := range samples {
		for v := range count {
			idx, views, pics = append(idx, i), append(views, v), append(pics, vw.View(i, v))
			if pics[len(pics)-1].Composite() {
				composite++
			}
		}
	}
	if composite == 0 {
		t.Fatal("no blended or warped view to check")
	}
	embedsToTargetsSeen(t, tr, teacher, idx, pics, views, func(crop *image.RGBA) *image.RGBA {
		enlarged := teacher.Template.NewCrop()
		enlargeInto(enlarged, crop, teacher.Template, student)
		return enlarged
	})
	if again, err := TeacherViews(ctx, nil, samples, student, count, r, 5, comp, plain, "k", nil); err != nil || again.Vecs[5][7] != vw.Vecs[5][7] {
		t.Errorf("views through the student's sight not read back from their cache (%v)", err)
	}
	if _, err := TeacherViews(ctx, nil, samples, face.TemplateCompact80, count, r, 5, comp, plain, "k", nil); err == nil {
		t.Error("views seen through one student's crop were read back for a student with another template")
	}
}

// TestViewsOfASmallerCropSeenFiner: a student trained on views made for a
// smaller crop of the same field of view (Views.Crop; cmd/train
// -sight-crop) sees each view as drawn, its blurs — drawn in the smaller
// crop's pixels — scaled to its own; views made for its own crop are
// seen unchanged.
func TestViewsOfASmallerCropSeenFiner(t *testing.T) {
	samples := synthetic(3, 2, 8)
	const count = 4
	for _, tc := range []struct {
		crop face.Template
		k    float64
	}{
		{face.DlibTemplate(32, 0.1), 2}, // half the student's 64 px
		{embedder.CompactTemplate, 1},
	} {
		vw := &Views{Count: count, Range: face.DefaultJitterRange, Seed: 5, Composition: Composition{Mix: 0.5},
			Samples: len(samples), Crop: tc.crop, Vecs: randomTargets(len(samples)*count, 6).Plain}
		targets := randomTargets(len(samples), 3)
		targets.Views = []*Views{vw}
		tr := newTrainer(t, samples, targets, tinyConfig())
		idx := make([]int, 400)
		for i := range idx {
			idx[i] = i % len(samples)
		}
		pics, views := tr.pick(rand.New(rand.NewPCG(1, 2)), idx)
		blurred := 0
		for i, got := range pics {
			want := vw.View(idx[i], views[i])
			if want.Jitter.Blur > 0 || want.PartnerJitter.Blur > 0 {
				blurred++
			}
			want.Jitter.Blur *= tc.k
			want.PartnerJitter.Blur *= tc.k
			if got != want {
				t.Fatalf("crop %s: view %d of sample %d picked as %+v, want %+v", tc.crop.Name, views[i], idx[i], got, want)
			}
		}
		if blurred == 0 {
			t.Fatal("no blurred view picked: nothing checked")
		}
	}
}
