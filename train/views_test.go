package train

import (
	"context"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/loss"
)

// TestViewJitter: view 0 is the plain face; the others are reproducible
// draws that differ from view to view and from sample to sample.
func TestViewJitter(t *testing.T) {
	r := face.DefaultJitterRange
	if j := ViewJitter(r, 1, 3, 0); j != (face.Jitter{}) {
		t.Errorf("view 0 = %+v, want the zero Jitter", j)
	}
	if ViewJitter(r, 1, 3, 2) != ViewJitter(r, 1, 3, 2) {
		t.Error("a view's jitter is not reproducible")
	}
	if ViewJitter(r, 1, 3, 2) == ViewJitter(r, 1, 3, 1) || ViewJitter(r, 1, 3, 2) == ViewJitter(r, 1, 4, 2) ||
		ViewJitter(r, 1, 3, 2) == ViewJitter(r, 2, 3, 2) {
		t.Error("views of other samples, numbers or seeds share a jitter")
	}
}

// TestViewsAreConsistent: the teacher's embedding of a view is the
// embedding of exactly the crop the trainer shows the student for that
// view, blends, swapped bands and sides included; the views come back
// from their cache without a teacher, and a cache made with another seed
// or composition is not used.
func TestViewsAreConsistent(t *testing.T) {
	for _, c := range []Composition{{}, {Mix: 0.6}, {Mix: 0.8, Swap: 0.6}, {Mix: 1, Swap: 1, Side: 0.5}, {Warp: 0.7}, {Mix: 0.5, Warp: 0.5}, {Glasses: 0.7}, {Mix: 0.5, Warp: 0.5, Glasses: 0.5}} {
		t.Run(fmt.Sprintf("%+v", c), func(t *testing.T) { testViewsAreConsistent(t, c) })
	}
}

func testViewsAreConsistent(t *testing.T, comp Composition) {
	mix, swap, side := comp.Mix, comp.Swap, comp.Side
	samples := synthetic(3, 2, 8)
	teacher := newTeacher(t, embedder.CompactV2) // same template as the student: blur unscaled
	const count = 4
	path := filepath.Join(t.TempDir(), "views.bin")
	ctx := context.Background()
	calls := 0
	vw, err := TeacherViews(ctx, []*embedder.Embedder{teacher}, samples, teacher.Template, count, face.DefaultJitterRange, 5, comp, path, "k",
		func(done, total int) {
			calls++
			if total != len(samples)*count || done > total {
				t.Errorf("progress %d of %d, want a total of %d", done, total, len(samples)*count)
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(vw.Vecs) != len(samples)*count || calls == 0 {
		t.Fatalf("%d view embeddings (%d progress calls), want %d", len(vw.Vecs), calls, len(samples)*count)
	}

	targets := randomTargets(len(samples), 3)
	targets.Views = []*Views{vw}
	tr := newTrainer(t, samples, targets, tinyConfig())
	var idx, views []int
	var pics []View
	mixed, swapped, sides, warped, glassed := 0, 0, 0, 0, 0
	for i := range samples {
		for v := range count {
			idx, views, pics = append(idx, i), append(views, v), append(pics, vw.View(i, v))
			p := pics[len(pics)-1]
			if p.Mixed() {
				mixed++
			}
			if !p.Band.Empty() {
				swapped++
			}
			if p.Band.Vertical {
				sides++
			}
			if !p.Warp.Empty() {
				warped++
			}
			if !p.Glasses.Empty() {
				glassed++
			}
		}
	}
	if (mix > 0) != (mixed > 0) || (swap > 0) != (swapped > 0) || swapped == mixed && swap < 1 && swap > 0 ||
		(side > 0) != (sides > 0) || sides == swapped && side < 1 && side > 0 {
		t.Fatalf("%+v made %d blends, %d swaps, %d sides of %d views", comp, mixed, swapped, sides, len(pics))
	}
	if (comp.Warp > 0) != (warped > 0) {
		t.Fatalf("%+v made %d warps of %d views", comp, warped, len(pics))
	}
	if (comp.Glasses > 0) != (glassed > 0) {
		t.Fatalf("%+v put glasses on %d of %d views", comp, glassed, len(pics))
	}
	seen := embedsToTargets(t, tr, teacher, idx, pics, views)
	if d := seen[0][0] - seen[1][0]; d == 0 {
		t.Error("view 0 and view 1 of a face embed alike: the views are not jittered")
	}
	// A blend is not its own face's jittered view alone.
	for k, p := range pics {
		if !p.Mixed() {
			continue
		}
		c := teacher.Template.NewCrop()
		s := samples[idx[k]]
		if err := face.AlignJittered(c, s.Img, s.Eyes, teacher.Template, p.Jitter); err != nil {
			t.Fatal(err)
		}
		alone, err := teacher.EmbedCrops([]*image.RGBA{c})
		if err != nil {
			t.Fatal(err)
		}
		if slices.Equal(alone[0], seen[k]) {
			t.Errorf("sample %d view %d blends in sample %d but embeds as its own face alone", idx[k], views[k], p.Partner)
		}
		break
	}

	// From the cache: no teacher needed, same values.
	again, err := TeacherViews(ctx, nil, samples, teacher.Template, count, face.DefaultJitterRange, 5, comp, path, "k", nil)
	if err != nil {
		t.Fatalf("views from their cache: %v", err)
	}
	if again.Vecs[5][7] != vw.Vecs[5][7] {
		t.Error("views from their cache differ")
	}
	cached := func(seed uint64, c Composition) error {
		_, err := TeacherViews(ctx, nil, samples, teacher.Template, count, face.DefaultJitterRange, seed, c, path, "k", nil)
		return err
	}
	if cached(6, comp) == nil {
		t.Error("a cache of views made with another seed was used")
	}
	stronger, err := face.DefaultJitterRange.Scaled(2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TeacherViews(ctx, nil, samples, teacher.Template, count, stronger, 5, comp, path, "k", nil); err == nil {
		t.Error("a cache of views made with another jitter range was used")
	}
	if cached(5, Composition{Mix: 0.3, Swap: swap, Side: side}) == nil {
		t.Error("a cache of views made with another blend probability was used")
	}
	if swap > 0 && cached(5, Composition{Mix: mix, Side: side}) == nil {
		t.Error("a cache of views made with another swap probability was used")
	}
	if side > 0 && cached(5, Composition{Mix: mix, Swap: swap}) == nil {
		t.Error("a cache of views made with another side probability was used")
	}
	if comp.Warp > 0 && cached(5, Composition{Mix: mix, Swap: swap, Side: side}) == nil {
		t.Error("a cache of views made with another warp probability was used")
	}
	for _, bad := range []Composition{{Mix: mix, Swap: -0.1}, {Mix: 1.5, Swap: swap}, {Mix: mix, Swap: swap, Side: math.NaN()}, {Mix: mix, Warp: 2}} {
		if err := cached(5, bad); err == nil || !strings.Contains(err.Error(), "probability") {
			t.Errorf("composition %+v: error %v, want a refused probability", bad, err)
		}
	}
	if _, err := TeacherViews(ctx, nil, samples, teacher.Template, 0, face.DefaultJitterRange, 5, comp, path, "k", nil); err == nil {
		t.Error("0 views accepted")
	}

	// Training on view targets runs; a wrong number of them is refused.
	if _, err := tr.RunEpoch(ctx, 0, nil); err != nil {
		t.Fatalf("an epoch on view targets: %v", err)
	}
	targets.Views = []*Views{vw, {Count: count, Composition: Composition{Mix: 0.5}, Samples: len(samples) + 1, Vecs: vw.Vecs}}
	m1, _ := embedder.NewCompact(1)
	if _, err := NewTrainer(m1, embedder.CompactTemplate, embedder.CompactNorm, samples, targets, tinyConfig()); err == nil {
		t.Error("NewTrainer accepted views blending faces of other samples")
	}
	targets.Views = []*Views{{Count: count, Vecs: vw.Vecs[1:]}}
	m2, _ := embedder.NewCompact(1)
	if _, err := NewTrainer(m2, embedder.CompactTemplate, embedder.CompactNorm, samples, targets, tinyConfig()); err == nil {
		t.Error("NewTrainer accepted fewer view targets than samples × views")
	}
}

// newTeacher is a fresh model of architecture a (seed 9) as an embedder,
// standing in for the teacher.
func newTeacher(t *testing.T, a embedder.CompactArch) *embedder.Embedder {
	t.Helper()
	m, err := a.New(9)
	if err != nil {
		t.Fatal(err)
	}
	teacher, err := embedder.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return teacher
}

// embedsToTargets checks consistency: the trainer's crop of each sample
// idx[k] seen as pics[k] (view views[k], numbered across the sets), run
// through the teacher, embeds within 1e-5 to the target the trainer pulls
// it towards. It returns the teacher's embeddings of the crops.
func embedsToTargets(t *testing.T, tr *Trainer, teacher *embedder.Embedder, idx []int, pics []View, views []int) [][]float32 {
	t.Helper()
	return embedsToTargetsSeen(t, tr, teacher, idx, pics, views, nil)
}

// embedsToTargetsSeen is embedsToTargets with the teacher given see(crop)
// instead of each crop itself (nil: the crop).
func embedsToTargetsSeen(t *testing.T, tr *Trainer, teacher *embedder.Embedder, idx []int, pics []View, views []int, see func(*image.RGBA) *image.RGBA) [][]float32 {
	t.Helper()
	if err := tr.alignBatch(idx, pics); err != nil {
		t.Fatal(err)
	}
	crops := slices.Clone(tr.crops[:len(idx)])
	if see != nil {
		for k := range crops {
			crops[k] = see(crops[k])
		}
	}
	seen, err := teacher.EmbedCrops(crops)
	if err != nil {
		t.Fatal(err)
	}
	for k := range idx {
		want := tr.target(idx, pics, views, k)
		for c := range want {
			if d := math.Abs(float64(seen[k][c] - want[c])); d > 1e-5 {
				t.Fatalf("sample %d view %d (%+v): the student's crop embeds to %g at %d, the view's target is %g",
					idx[k], views[k], pics[k], seen[k][c], c, want[c])
			}
		}
	}
	return seen
}

// TestBlendsReuseViews: views with blends made on top of the cache of
// views without ask the teacher for the blends only, and equal the views
// made from nothing.
func TestBlendsReuseViews(t *testing.T) {
	samples := synthetic(3, 2, 8)
	teacher := newTeacher(t, embedder.CompactV2)
	const count, mix = 5, 0.5
	ctx, dir := context.Background(), t.TempDir()
	r, tmpl, teachers := face.DefaultJitterRange, teacher.Template, []*embedder.Embedder{teacher}
	blended := Composition{Mix: mix}
	fresh, err := TeacherViews(ctx, teachers, samples, tmpl, count, r, 5, blended, "", "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "views.bin")
	if _, err := TeacherViews(ctx, teachers, samples, tmpl, count, r, 5, Composition{}, plain, "k", nil); err != nil {
		t.Fatal(err)
	}
	blends := 0
	for i := range samples {
		for v := range count {
			if fresh.View(i, v).Mixed() {
				blends++
			}
		}
	}
	embedded := 0
	reused, err := TeacherViews(ctx, teachers, samples, tmpl, count, r, 5, blended, plain, "k", func(done, total int) { embedded = total })
	if err != nil {
		t.Fatal(err)
	}
	if blends == 0 || embedded != blends {
		t.Errorf("the teacher embedded %d views on top of the cache; there are %d blends", embedded, blends)
	}
	for k := range fresh.Vecs {
		for c := range fresh.Vecs[k] {
			if d := math.Abs(float64(fresh.Vecs[k][c] - reused.Vecs[k][c])); d > 1e-5 {
				t.Fatalf("view %d: %g made from nothing, %g on top of the cache", k, fresh.Vecs[k][c], reused.Vecs[k][c])
			}
		}
	}
	if _, err := TeacherViews(ctx, nil, samples, tmpl, count, r, 5, blended, plain, "k", nil); err != nil {
		t.Errorf("views with blends not read back from %s: %v", MixedCachePath(plain, blended), err)
	}
}

// TestViewBlends: blending leaves a view's own jitter as it was without
// blends (so caches of unblended views stay valid), blends about the
// asked fraction of views with another sample, mostly the view's own
// face, and never view 0.
func TestViewBlends(t *testing.T) {
	r := face.DefaultJitterRange
	vw := &Views{Count: 10, Range: r, Seed: 3, Composition: Composition{Mix: 0.5}, Samples: 50}
	plain := &Views{Count: 10, Range: r, Seed: 3, Samples: 50}
	mixed, total := 0, 0
	for i := range vw.Samples {
		for v := range vw.Count {
			got := vw.View(i, v)
			if got.Jitter != ViewJitter(r, 3, i, v) || plain.View(i, v) != plainView(got.Jitter) {
				t.Fatalf("sample %d view %d: jitter %+v with blends, %+v without", i, v, got.Jitter, ViewJitter(r, 3, i, v))
			}
			if got != vw.View(i, v) {
				t.Fatalf("sample %d view %d is not reproducible", i, v)
			}
			if !got.Mixed() {
				continue
			}
			if v == 0 || got.Partner == i || got.Partner < 0 || got.Partner >= vw.Samples || got.Weight < MinMixWeight || got.Weight > 1 {
				t.Fatalf("sample %d view %d: blend %+v", i, v, got)
			}
			mixed++
		}
		total += vw.Count - 1
	}
	if f := float64(mixed) / float64(total); f < 0.4 || f > 0.6 {
		t.Errorf("%d of %d views blended (%.2f), want about 0.5", mixed, total, f)
	}
}

// TestViewSwaps: swaps leave a view's jitter, partner and whether it has
// one as they are without swaps (so caches of blends stay valid), take
// about the asked fraction of the views with a partner, never view 0,
// and put bands within their limits.
func TestViewSwaps(t *testing.T) {
	r := face.DefaultJitterRange
	vw := &Views{Count: 10, Range: r, Seed: 3, Composition: Composition{Mix: 0.8, Swap: 0.5}, Samples: 50}
	blends := &Views{Count: 10, Range: r, Seed: 3, Composition: Composition{Mix: 0.8}, Samples: 50}
	swapped, mixed := 0, 0
	for i := range vw.Samples {
		for v := range vw.Count {
			got, b := vw.View(i, v), blends.View(i, v)
			if got.Jitter != b.Jitter || got.Partner != b.Partner || got.PartnerJitter != b.PartnerJitter {
				t.Fatalf("sample %d view %d: %+v with swaps, %+v without", i, v, got, b)
			}
			if got.Mixed() {
				mixed++
			}
			if got.Band.Empty() {
				if got.Weight != b.Weight {
					t.Fatalf("sample %d view %d: blend weight %g with swaps, %g without", i, v, got.Weight, b.Weight)
				}
				continue
			}
			swapped++
			h := got.Band.Bottom - got.Band.Top
			if v == 0 || !got.Mixed() || got.Band.Top < bandTop || got.Band.Top > bandTop+bandTopSpan ||
				h < bandMinHeight || h > bandMinHeight+bandHeightSpan {
				t.Fatalf("sample %d view %d: swap %+v", i, v, got)
			}
		}
	}
	if f := float64(swapped) / float64(mixed); f < 0.4 || f > 0.6 {
		t.Errorf("%d of %d blends swap a band (%.2f), want about 0.5", swapped, mixed, f)
	}
}

// TestViewSides: sides leave every draw of a view as it was with swaps
// alone (so caches of swaps stay valid) but the band; take about the
// asked fraction of swaps; and run from a cut near the nose line to
// beyond the crop, on either side.
func TestViewSides(t *testing.T) {
	r := face.DefaultJitterRange
	vw := &Views{Count: 10, Range: r, Seed: 3, Composition: Composition{Mix: 1, Swap: 0.8, Side: 0.5}, Samples: 50}
	swaps := &Views{Count: 10, Range: r, Seed: 3, Composition: Composition{Mix: 1, Swap: 0.8}, Samples: 50}
	sides, swapped, left := 0, 0, 0
	for i := range vw.Samples {
		for v := range vw.Count {
			got, s := vw.View(i, v), swaps.View(i, v)
			if got.Jitter != s.Jitter || got.Partner != s.Partner || got.PartnerJitter != s.PartnerJitter || got.Weight != s.Weight {
				t.Fatalf("sample %d view %d: %+v with sides, %+v without", i, v, got, s)
			}
			if s.Band.Empty() != got.Band.Empty() {
				t.Fatalf("sample %d view %d: band %+v with sides, %+v without", i, v, got.Band, s.Band)
			}
			if !s.Band.Empty() {
				swapped++
			}
			if !got.Band.Vertical {
				if got.Band != s.Band {
					t.Fatalf("sample %d view %d: horizontal band %+v with sides, %+v without", i, v, got.Band, s.Band)
				}
				continue
			}
			sides++
			b := got.Band
			switch {
			case b.Top == -sideFar && math.Abs(b.Bottom) <= sideCutSpan:
				left++
			case b.Bottom == sideFar && math.Abs(b.Top) <= sideCutSpan:
			default:
				t.Fatalf("sample %d view %d: side %+v", i, v, b)
			}
		}
	}
	if f := float64(sides) / float64(swapped); f < 0.4 || f > 0.6 {
		t.Errorf("%d of %d swaps take a side (%.2f), want about 0.5", sides, swapped, f)
	}
	if f := float64(left) / float64(sides); f < 0.35 || f > 0.65 {
		t.Errorf("%d of %d sides are left ones (%.2f), want about half", left, sides, f)
	}
}

// TestComposition: cache names and keys of compositions made before
// sides existed are kept, and probabilities outside 0…1 are refused.
func TestComposition(t *testing.T) {
	for _, c := range []struct {
		comp Composition
		want string
	}{
		{Composition{Mix: 0.5}, "views-seed2-mix0.5.bin"},
		{Composition{Mix: 1, Swap: 1}, "views-seed6-mix1-swap1.bin"},
		{Composition{Mix: 1, Swap: 1, Side: 1}, "views-seed6-mix1-swap1-side1.bin"},
	} {
		seed := "seed2"
		if c.comp.Swap > 0 {
			seed = "seed6"
		}
		if got := filepath.Base(MixedCachePath("cache/views-"+seed+".bin", c.comp)); got != c.want {
			t.Errorf("MixedCachePath(%+v) = %s, want %s", c.comp, got, c.want)
		}
	}
	if got := MixedCachePath("cache/views-seed1.bin", Composition{}); got != "cache/views-seed1.bin" {
		t.Errorf("MixedCachePath of no composition = %s, want the plain cache", got)
	}
	for _, c := range []struct {
		comp Composition
		want string
	}{
		{Composition{}, ""},
		{Composition{Swap: 1, Side: 1}, ""}, // no blends, so no swaps
		{Composition{Mix: 0.5}, "mix 0.5"},
		{Composition{Mix: 1, Swap: 1}, "mix 1 swap 1"},
		{Composition{Mix: 1, Side: 1}, "mix 1"}, // no swaps, so no sides
		{Composition{Mix: 1, Swap: 1, Side: 0.5}, "mix 1 swap 1 side 0.5"},
	} {
		if got := c.comp.spell("%s %g", " "); got != c.want {
			t.Errorf("cache key terms of %+v = %q, want %q", c.comp, got, c.want)
		}
	}
	if err := (Composition{Mix: 1, Swap: 1, Side: 1}).Validate(); err != nil {
		t.Errorf("a valid composition refused: %v", err)
	}
	for _, bad := range []Composition{{Mix: -0.1}, {Mix: 1, Swap: 2}, {Mix: 1, Swap: 1, Side: math.Inf(1)}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("composition %+v accepted", bad)
		}
	}
}

// TestSwapBand: rows well inside a band are the second face's, rows
// well outside the first's, and the edge rows between the two; the
// same for the columns of a side.
func TestSwapBand(t *testing.T) {
	tmpl := embedder.CompactTemplate
	dst, src := tmpl.NewCrop(), tmpl.NewCrop()
	for k := range dst.Pix {
		dst.Pix[k], src.Pix[k] = 200, 0
	}
	b := Band{Top: 0, Bottom: 1} // from the eye line one pupil distance down
	swapBand(dst, src, b, tmpl)
	eyeY, pd := (tmpl.Left.Y+tmpl.Right.Y)/2, tmpl.PupilDistance()
	at := func(y float64) uint8 { return dst.Pix[int(y)*dst.Stride+4*(tmpl.Width/2)] }
	if v := at(eyeY + 0.5*pd); v != 0 {
		t.Errorf("mid-band row is %d, want the second face's 0", v)
	}
	if v := at(eyeY - 0.5*pd); v != 200 {
		t.Errorf("row above the band is %d, want the first face's 200", v)
	}
	if v := at(eyeY + 1.5*pd); v != 200 {
		t.Errorf("row below the band is %d, want the first face's 200", v)
	}
	if v := at(eyeY); v == 0 || v == 200 {
		t.Errorf("edge row is %d, want a fade between 0 and 200", v)
	}

	// A side: columns right of the nose line are the second face's, in
	// every row, and columns left of it the first's.
	for k := range dst.Pix {
		dst.Pix[k] = 200
	}
	swapBand(dst, src, Band{Top: 0, Bottom: sideFar, Vertical: true}, tmpl)
	eyeX := (tmpl.Left.X + tmpl.Right.X) / 2
	for _, y := range []int{0, tmpl.Height / 2, tmpl.Height - 1} {
		px := func(x float64) uint8 { return dst.Pix[y*dst.Stride+4*int(x)] }
		if v := px(eyeX + 0.5*pd); v != 0 {
			t.Errorf("row %d right of the cut is %d, want the second face's 0", y, v)
		}
		if v := px(float64(tmpl.Width - 1)); v != 0 {
			t.Errorf("row %d at the right edge is %d, want the second face's 0", y, v)
		}
		if v := px(eyeX - 0.5*pd); v != 200 {
			t.Errorf("row %d left of the cut is %d, want the first face's 200", y, v)
		}
		if v := px(eyeX); v == 0 || v == 200 {
			t.Errorf("row %d at the cut is %d, want a fade between 0 and 200", y, v)
		}
	}
}

// TestMineUnmixed: triplets are mined among the faces that are not
// composite (blends, warps), and name rows of the whole batch.
func TestMineUnmixed(t *testing.T) {
	emb := [][]float32{{1, 0}, {0, 1}, {0.9, 0.1}, {0.1, 0.9}, {1, 0}, {0, 1}}
	labels := []int{0, 1, 0, 1, 0, 1}
	pics := make([]View, len(emb))
	for k := range pics {
		pics[k] = plainView(face.Jitter{})
	}
	pics[2].Partner = 1                          // row 2 is a blend
	pics[3].Warp[0] = Bump{Radius: 0.5, DX: 0.1} // row 3 a warped face
	trips, err := mineUnmixed(loss.BatchHard, emb, labels, pics, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	if len(trips) == 0 {
		t.Fatal("no triplets mined")
	}
	for _, tr := range trips {
		for _, k := range []int{tr.A, tr.P, tr.N} {
			if k == 2 || k == 3 {
				t.Fatalf("triplet %+v uses a blend or a warped face", tr)
			}
		}
		if labels[tr.A] != labels[tr.P] || labels[tr.A] == labels[tr.N] {
			t.Fatalf("triplet %+v does not name rows of the batch: labels %d %d %d", tr, labels[tr.A], labels[tr.P], labels[tr.N])
		}
	}
	if trips, err := mineUnmixed(loss.BatchHard, emb[:3], labels[:3], []View{pics[0], pics[2], pics[3]}, 0.2); err != nil || len(trips) != 0 {
		t.Errorf("one unblended face: %d triplets, %v; want none and no error", len(trips), err)
	}
}

// TestStepLeavesBlendsOutOfMining: a training step on blends alone
// distils them and mines no triplet; the same faces unblended are mined.
func TestStepLeavesBlendsOutOfMining(t *testing.T) {
	samples := synthetic(4, 2, 8)
	cfg := tinyConfig()
	cfg.Margin = 3.9 // every triplet active: squared distances of unit vectors are at most 4
	tr := newTrainer(t, samples, randomTargets(len(samples), 3), cfg)
	idx := make([]int, len(samples))
	plain, blends := make([]View, len(samples)), make([]View, len(samples))
	for i := range idx {
		idx[i] = i
		plain[i] = plainView(face.Jitter{})
		blends[i] = View{Partner: (i + 2) % len(samples), Weight: 0.8}
	}
	_, distill, triplet, _, active, err := tr.step(idx, blends, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if distill == 0 || triplet != 0 || active != 0 {
		t.Errorf("a batch of blends: distillation %g, triplet loss %g, %g active; want distillation only", distill, triplet, active)
	}
	if _, _, triplet, _, active, err = tr.step(idx, plain, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if triplet == 0 || active == 0 {
		t.Errorf("the same faces unblended: triplet loss %g, %g active; want mined triplets", triplet, active)
	}
}

// TestViewSets: with several sets of views a trainer draws from all of
// them, and every view it shows, whatever its set, embeds through the
// teacher to the target it is pulled towards.
func TestViewSets(t *testing.T) {
	samples := synthetic(3, 2, 8)
	teacher := newTeacher(t, embedder.CompactV2)
	ctx := context.Background()
	var sets []*Views
	for _, s := range []struct {
		count int
		seed  uint64
		mix   float64
	}{{4, 5, 0}, {3, 6, 0.6}} {
		vw, err := TeacherViews(ctx, []*embedder.Embedder{teacher}, samples, teacher.Template, s.count, face.DefaultJitterRange, s.seed, Composition{Mix: s.mix}, "", "k", nil)
		if err != nil {
			t.Fatal(err)
		}
		sets = append(sets, vw)
	}
	for _, c := range []struct{ v, set, in int }{{0, 0, 0}, {3, 0, 3}, {4, 1, 0}, {6, 1, 2}} {
		if vw, in := whichView(sets, c.v); vw != sets[c.set] || in != c.in {
			t.Errorf("view %d across the sets is view %d of set %p, want view %d of set %d", c.v, in, vw, c.in, c.set)
		}
	}
	if n := viewCount(sets); n != 7 {
		t.Fatalf("viewCount = %d, want 7", n)
	}

	targets := randomTargets(len(samples), 3)
	targets.Views = sets
	tr := newTrainer(t, samples, targets, tinyConfig())
	var idx []int
	for range 4 {
		for i := range samples {
			idx = append(idx, i)
		}
	}
	pics, views := tr.pick(rand.New(rand.NewPCG(1, 2)), idx)
	inSecond := 0
	for k := range idx {
		vw, v := whichView(sets, views[k])
		if pics[k] != vw.View(idx[k], v) {
			t.Fatalf("face %d is shown as %+v, not as view %d of its set", k, pics[k], views[k])
		}
		if vw == sets[1] {
			inSecond++
		}
	}
	if inSecond == 0 || inSecond == len(idx) {
		t.Fatalf("%d of %d faces drawn from the second set: not drawing from both", inSecond, len(idx))
	}
	embedsToTargets(t, tr, teacher, idx, pics, views)
	if _, err := tr.RunEpoch(ctx, 0, nil); err != nil {
		t.Fatalf("an epoch on two sets of views: %v", err)
	}
}
