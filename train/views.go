package train

import (
	"context"
	"fmt"
	"image"
	"math/rand/v2"
	"path/filepath"
	"strings"

	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/face"
)

// Views are the teacher's embeddings of Count augmented views of each
// sample, for consistent distillation: view v of sample i is the picture
// View(i, v) describes, seen by the teacher when the targets were made and
// by the student when it trains on that view, so the two always look at
// the same picture. (A student shown a jittered face but pulled towards
// the teacher's embedding of the plain one learns a target that does not
// match its input; Beyer et al., "Knowledge distillation: A good teacher
// is patient and consistent", 2022, measure how much that costs.)
type Views struct {
	Count int // views per sample; view 0 is the plain face
	Range face.JitterRange
	Seed  uint64
	// Composition says which views show a second face, and how.
	Composition
	// Samples is the number of samples the views were made for: a blend's
	// second face is one of them.
	Samples int
	// Crop is the student's crop the views were made for (TeacherViews'
	// student): the jitters' blurs are in its pixels, and with Sight the
	// teacher saw each view through it. A student of another crop of the
	// same field of view — a larger one trained on a smaller one's views —
	// sees the same views with the blurs scaled to its pixels (see
	// View.scaleBlur).
	Crop face.Template
	// Vecs[i*Count+v] is the teacher's embedding of view v of sample i.
	Vecs [][]float32
	// Resumed is how many of Vecs TeacherViews read back from the journal
	// of a run stopped while making their cache (0: none).
	Resumed int
}

// Composition says which views of a set show a second face, and how.
// The zero value composes none: every view is one face, jittered.
type Composition struct {
	// Mix is the probability that a view other than view 0 is a blend of
	// two faces (see View): 0 for none. Blends are inputs no photograph
	// of the training people gives, on which the student learns the
	// teacher's function rather than its answers for ~4 k people —
	// "function matching" in Beyer et al.'s words, mixup in Zhang et al.'s.
	Mix float64
	// Swap is the probability that a view with a second face takes a
	// band of it (see Band) instead of blending the whole: 0 for none.
	// A face with another's eyes, or nose and mouth, is a new face the
	// teacher can label, further from any photograph than a blend that
	// is mostly one face.
	Swap float64
	// Side is the probability that a swap takes a side of the second
	// face — everything left, or right, of a cut near the nose line —
	// instead of a horizontal band: half of one face, half of another.
	// 0 for none.
	Side float64
	// Warp is the probability that a view other than view 0, composed or
	// not, is also reshaped by a Warp: 0 for none. Its draws come from a
	// stream of their own, so the views' other draws are those of the same
	// set without warps.
	Warp float64
	// Glasses is the probability that a view other than view 0 wears
	// glasses (see Glasses), drawn after any warp: 0 for none. Its draws
	// come from a stream of their own, so the views' other draws are
	// those of the same set without glasses.
	Glasses float64
	// Sight has the teacher embed every view as the student sees it: the
	// student's crop enlarged into the teacher's, grey beyond it (see
	// alignSeen), so each target depends on the student's input alone.
	// Its views are other pictures for the teacher, plain ones included.
	Sight bool
}

// Validate refuses probabilities outside 0…1.
func (c Composition) Validate() error {
	for _, p := range []struct {
		name string
		v    float64
	}{{"blend", c.Mix}, {"swap", c.Swap}, {"side", c.Side}, {"warp", c.Warp}, {"glasses", c.Glasses}} {
		if !(p.v >= 0 && p.v <= 1) {
			return fmt.Errorf("train: %s probability %g; want 0…1", p.name, p.v)
		}
	}
	return nil
}

// String is the composition as cache file names spell it: the
// probabilities in effect, e.g. "mix1-swap1-side1", "warp1" or
// "glasses1", and "sight" for the student's sight; "" for none.
func (c Composition) String() string { return c.spell("%s%g", "-") }

// spell writes each probability in effect — the blend probability, the
// swap probability among blends, the side probability among swaps (none
// after a 0), the warp probability and the glasses probability — with
// format (name, value), joined by sep. Cache file names and cache keys are both spelt here, so
// they always name the same thing.
func (c Composition) spell(format, sep string) string {
	var terms []string
	for _, t := range []struct {
		name string
		p    float64
	}{{"mix", c.Mix}, {"swap", c.Swap}, {"side", c.Side}} {
		if t.p <= 0 {
			break
		}
		terms = append(terms, fmt.Sprintf(format, t.name, t.p))
	}
	if c.Warp > 0 {
		terms = append(terms, fmt.Sprintf(format, "warp", c.Warp))
	}
	if c.Glasses > 0 {
		terms = append(terms, fmt.Sprintf(format, "glasses", c.Glasses))
	}
	if c.Sight {
		terms = append(terms, "sight")
	}
	return strings.Join(terms, sep)
}

// View describes one picture a training step shows: a sample seen
// through Jitter, blended, when Partner ≥ 0, with sample Partner seen
// through PartnerJitter, pixel by pixel, Weight of the first and
// 1 − Weight of the second — or, when Band is not empty, the second
// face inside Band and the first outside it; then reshaped by Warp, and
// last wearing Glasses.
type View struct {
	Jitter        face.Jitter
	Partner       int
	PartnerJitter face.Jitter
	Weight        float64
	Band          Band
	Warp          Warp
	Glasses       Glasses
}

// Band is a horizontal band of the face, from Top to Bottom, in pupil
// distances below the template's eye line (negative above it): −0.5 to
// 0.4 holds brows and eyes, 0.4 to 1.3 nose and mouth, in any template,
// so the teacher's crop and the student's swap the same part of the face.
// A Vertical band runs from Top to Bottom in pupil distances right of the
// point between the eyes (negative left of it), across the whole height:
// −9 to 0.1 is the left half of the face and a little more.
type Band struct {
	Top, Bottom float64
	Vertical    bool
}

// Empty reports whether the band holds no row.
func (b Band) Empty() bool { return !(b.Bottom > b.Top) }

// Band limits of View's swaps, in pupil distances below the eye line:
// a band starts between bandTop and bandTop + bandTopSpan and is
// bandMinHeight to bandMinHeight + bandHeightSpan high; its edges fade
// over bandFeather so no seam is sharper than a face's own edges.
const (
	bandTop, bandTopSpan          = -0.8, 1.6
	bandMinHeight, bandHeightSpan = 0.4, 0.6
	bandFeather                   = 0.1
	// A side's cut is up to sideCutSpan either side of the nose line;
	// the side runs from it to sideFar, beyond any crop's edge.
	sideCutSpan, sideFar = 0.15, 9.0
)

// plainView is a sample seen through j alone.
func plainView(j face.Jitter) View { return View{Jitter: j, Partner: -1, Weight: 1} }

// scaleBlur returns the view with its blurs multiplied by k: the same
// view in a crop k times the size (in pupil distance) of the one its
// blurs were drawn for.
func (v View) scaleBlur(k float64) View {
	v.Jitter.Blur *= k
	v.PartnerJitter.Blur *= k
	return v
}

// Mixed reports whether the view blends in a second face.
func (v View) Mixed() bool { return v.Partner >= 0 }

// Composite reports whether the view is a face no photograph shows: a
// blend, a swap or a warp. Training distils such views but leaves them
// out of triplet mining.
func (v View) Composite() bool { return v.Mixed() || !v.Warp.Empty() }

// Altered reports whether the view is another picture than its jittered
// photograph: composite, or wearing glasses. The teacher embeds such
// views itself; the others it may take from a cache of plain views.
func (v View) Altered() bool { return v.Composite() || !v.Glasses.Empty() }

// MinMixWeight is the least weight a blend gives its own face: every
// blend is mostly the sample it belongs to.
const MinMixWeight = 0.5

// View returns view v of sample i: none for view 0; otherwise its jitter,
// whether and with what it is blended, its warp and its glasses, drawn by
// generators seeded with Seed, i and v alone, so it can be made again on
// any machine without storing it. With Mix = 0 its jitter is ViewJitter's.
func (vw *Views) View(i, v int) View {
	out := vw.composed(i, v)
	if v == 0 {
		return out
	}
	if vw.Warp > 0 {
		rng := warpRand(vw.Seed, i, v)
		// The same number of draws whatever the outcome.
		warp := rng.Float64() < vw.Warp
		if w := drawWarp(rng); warp {
			out.Warp = w
		}
	}
	if vw.Glasses > 0 {
		rng := glassesRand(vw.Seed, i, v)
		wear := rng.Float64() < vw.Glasses
		if g := drawGlasses(rng); wear {
			out.Glasses = g
		}
	}
	return out
}

// composed is view v of sample i without its warp.
func (vw *Views) composed(i, v int) View {
	if v == 0 {
		return plainView(face.Jitter{})
	}
	rng := viewRand(vw.Seed, i, v)
	out := plainView(vw.Range.Sample(rng))
	if vw.Mix <= 0 || vw.Samples < 2 {
		return out
	}
	// The same number of draws whatever the outcome.
	mix := rng.Float64() < vw.Mix
	partner := rng.IntN(vw.Samples - 1)
	if partner >= i {
		partner++ // never the sample itself
	}
	pj := vw.Range.Sample(rng)
	w := MinMixWeight + (1-MinMixWeight)*rng.Float64()
	if mix {
		out.Partner, out.PartnerJitter, out.Weight = partner, pj, w
	}
	if vw.Swap <= 0 {
		return out // the draws of views made before swaps existed
	}
	swap := rng.Float64() < vw.Swap
	top := bandTop + bandTopSpan*rng.Float64()
	height := bandMinHeight + bandHeightSpan*rng.Float64()
	if mix && swap {
		out.Band, out.Weight = Band{Top: top, Bottom: top + height}, 0
	}
	if vw.Side <= 0 {
		return out // the draws of views made before sides existed
	}
	side := rng.Float64() < vw.Side
	cut := sideCutSpan * (2*rng.Float64() - 1)
	left := rng.IntN(2) == 0
	if mix && swap && side {
		out.Band = Band{Top: cut, Bottom: sideFar, Vertical: true}
		if left {
			out.Band = Band{Top: -sideFar, Bottom: cut, Vertical: true}
		}
	}
	return out
}

// fits reports whether the views are whole for n samples: Count views of
// each, and blends drawn among those same samples.
func (vw *Views) fits(n int) error {
	if vw.Count < 1 || len(vw.Vecs) != vw.Count*n {
		return fmt.Errorf("train: %d view targets for %d samples × %d views", len(vw.Vecs), n, vw.Count)
	}
	if vw.Mix > 0 && vw.Samples != n { // swaps happen only among blends
		return fmt.Errorf("train: views blending faces of %d samples given for %d", vw.Samples, n)
	}
	return nil
}

// viewCount is the number of views of each sample in all sets together.
func viewCount(sets []*Views) int {
	n := 0
	for _, vw := range sets {
		n += vw.Count
	}
	return n
}

// whichView finds view v of a sample numbered across sets, set after set
// (0 … viewCount(sets) − 1): the set it is in and its number there. A
// trainer draws v uniformly, so every view of every set is as likely, and
// with one set v is that set's own number.
func whichView(sets []*Views, v int) (*Views, int) {
	for _, vw := range sets[:len(sets)-1] {
		if v < vw.Count {
			return vw, v
		}
		v -= vw.Count
	}
	return sets[len(sets)-1], v
}

// ViewJitter is the augmentation of view v of sample i without blends:
// none for view 0, otherwise a draw from r by a generator seeded with
// seed, i and v alone.
func ViewJitter(r face.JitterRange, seed uint64, i, v int) face.Jitter {
	if v == 0 {
		return face.Jitter{}
	}
	return r.Sample(viewRand(seed, i, v))
}

// viewRand is the generator of view v of sample i.
func viewRand(seed uint64, i, v int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(i)<<16|uint64(v)))
}

// alignView makes view vw of sample i in dst, with the template t; scratch
// (a crop of t) holds the second face of a blend. blurScale multiplies the
// jitters' blurs, which are in the student's crop pixels (see
// TeacherViews). The teacher's targets and the student's inputs are both
// made here, so they cannot drift apart.
func alignView(dst, scratch *image.RGBA, samples []Sample, i int, vw View, t face.Template, blurScale float64) error {
	vw = vw.scaleBlur(blurScale)
	j := vw.Jitter
	s := samples[i]
	if err := face.AlignJittered(dst, s.Img, s.Eyes, t, j); err != nil {
		return err
	}
	if !vw.Mixed() {
		warpCrop(dst, vw.Warp, t)
		drawGlassesOn(dst, vw.Glasses, t, j)
		return nil
	}
	if vw.Partner >= len(samples) {
		return fmt.Errorf("train: view blends in sample %d of %d", vw.Partner, len(samples))
	}
	pj := vw.PartnerJitter
	p := samples[vw.Partner]
	if err := face.AlignJittered(scratch, p.Img, p.Eyes, t, pj); err != nil {
		return fmt.Errorf("%s (blended into %s): %w", p.Path, s.Path, err)
	}
	if !vw.Band.Empty() {
		swapBand(dst, scratch, vw.Band, t)
	} else {
		blend(dst, scratch, vw.Weight)
	}
	warpCrop(dst, vw.Warp, t)
	drawGlassesOn(dst, vw.Glasses, t, j)
	return nil
}

// swapBand puts src's part of band b into dst — rows of a horizontal
// band, columns of a vertical one — fading over bandFeather at each edge;
// both are crops of template t, in which b is placed.
func swapBand(dst, src *image.RGBA, b Band, t face.Template) {
	eyeX, eyeY, pd := (t.Left.X+t.Right.X)/2, (t.Left.Y+t.Right.Y)/2, t.PupilDistance()
	origin, n := eyeY, dst.Rect.Dy()
	if b.Vertical {
		origin, n = eyeX, dst.Rect.Dx()
	}
	top, bottom, feather := origin+b.Top*pd, origin+b.Bottom*pd, bandFeather*pd
	// share[k] is src's weight in row (or column) k, 8-bit fixed point:
	// 256 well inside the band, 0 well outside it.
	share := make([]uint32, n)
	for k := range share {
		c := float64(k) + 0.5
		if in := min((c-top)/feather, (bottom-c)/feather) + 0.5; in > 0 {
			share[k] = uint32(min(in, 1)*256 + 0.5)
		}
	}
	for y := 0; y < dst.Rect.Dy(); y++ {
		row := dst.Pix[y*dst.Stride : y*dst.Stride+4*dst.Rect.Dx()]
		from := src.Pix[y*src.Stride:]
		for k, p := range row {
			a := share[y]
			if b.Vertical {
				a = share[k/4]
			}
			row[k] = uint8((uint32(p)*(256-a) + uint32(from[k])*a + 128) >> 8)
		}
	}
}

// blend sets dst to w·dst + (1−w)·src, pixel by pixel, rounded; both are
// crops of one template.
func blend(dst, src *image.RGBA, w float64) {
	a := uint32(w*256 + 0.5) // 8-bit fixed point
	for k, p := range dst.Pix {
		dst.Pix[k] = uint8((uint32(p)*a + uint32(src.Pix[k])*(256-a) + 128) >> 8)
	}
}

// maxViews bounds TeacherViews' count (the view number has 16 bits of
// the generator's stream).
const maxViews = 1 << 16

// MixedCachePath is where TeacherViews caches views composed as c, given
// the path of the cache of views without: the composition
// (Composition.String) before its extension, so none overwrites another;
// cachePath itself when c composes nothing.
func MixedCachePath(cachePath string, c Composition) string {
	if c.String() == "" {
		return cachePath
	}
	ext := filepath.Ext(cachePath)
	return strings.TrimSuffix(cachePath, ext) + "-" + c.String() + ext
}

// TeacherViews returns the teacher's embeddings of count views of every
// sample (see Views): view 0 is the plain face, the others jittered from r
// with seed and composed with another face as c says (see Composition).
// student
// is the template of the crops the student will see: a jitter's blur is
// in crop pixels, so the teacher's is scaled by the ratio of the two
// templates' pupil distances to blur the face alike. The embeddings are
// read from MixedCachePath(cachePath, c) (named for the samples' views,
// SamplesCachePath) when it holds them for the same samples, teacher key,
// count, range, seed and composition, and otherwise computed and written
// there. A view that is not altered (neither a blend nor a warp nor in
// glasses) is the same picture with or without compositions, so views
// with them take those from the cache of views without, when it is there,
// and the teacher embeds only the altered views — unless c.Sight has the
// teacher look through the student's crop, which makes every view a
// picture of its own. While the cache is being made, a journal beside it
// keeps each view's embedding as it is done, so a run stopped part way
// resumes where it stopped: progress is first called with the views
// already done, and Views.Resumed counts them.
func TeacherViews(ctx context.Context, teachers []*embedder.Embedder, samples []Sample, student face.Template, count int, r face.JitterRange, seed uint64, c Composition, cachePath, key string, progress func(done, total int)) (*Views, error) {
	if count < 1 || count > maxViews {
		return nil, fmt.Errorf("train: %d views per face; want 1…%d", count, maxViews)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := student.Validate(); err != nil {
		return nil, err
	}
	vw := &Views{Count: count, Range: r, Seed: seed, Composition: c, Samples: len(samples), Crop: student}
	plainKey := fmt.Sprintf("%s+views %d %d %v", key, count, seed, r)
	key, path := plainKey, cachePath
	if terms := c.spell("%s %g", " "); terms != "" {
		key += " " + terms // e.g. " mix 1 swap 1"
	}
	if c.Sight {
		// The teacher's pictures are the student's crops.
		key += fmt.Sprintf(" student %s %dx%d %v %v", student.Name, student.Width, student.Height, student.Left, student.Right)
	}
	if cachePath != "" {
		path = MixedCachePath(cachePath, c)
	}
	// The cache holds one entry per view, named path#view.
	named := make([]Sample, len(samples)*count)
	for k := range named {
		named[k] = Sample{Path: fmt.Sprintf("%s#%d", samples[k/count].Path, k%count)}
	}
	if path != "" {
		if t, err := readTargets(path, key, named); err == nil {
			vw.Vecs = t.Plain
			return vw, nil
		}
	}
	vw.Vecs = make([][]float32, len(named))
	var todo []int // views the teacher has to embed
	if (c.Mix > 0 || c.Warp > 0 || c.Glasses > 0) && !c.Sight && cachePath != "" {
		if t, err := readTargets(cachePath, plainKey, named); err == nil {
			copy(vw.Vecs, t.Plain)
		}
	}
	var jr *journal // the teacher's work so far, if a run stopped making this cache
	if path != "" {
		var err error
		if jr, err = openJournal(SamplesCachePath(path, named), key, len(named)); err != nil {
			return nil, err
		}
		defer jr.Close()
	}
	vw.Resumed = jr.Len()
	for k := range named {
		if v := jr.Have(k); v != nil {
			vw.Vecs[k] = v
		} else if vw.Vecs[k] == nil || vw.View(k/count, k%count).Altered() {
			todo = append(todo, k)
		}
	}
	err := teach(ctx, teachers, todo, vw.Vecs, jr, func(te *embedder.Embedder, k int) (*image.RGBA, string, error) {
		i, v := k/count, k%count
		c, view := te.Template.NewCrop(), vw.View(i, v)
		if vw.Sight {
			return c, samples[i].Path, alignSeen(c, samples, i, view, te.Template, student)
		}
		var scratch *image.RGBA
		if view.Mixed() {
			scratch = te.Template.NewCrop()
		}
		blurScale := te.Template.PupilDistance() / student.PupilDistance()
		return c, samples[i].Path, alignView(c, scratch, samples, i, view, te.Template, blurScale)
	}, progress)
	if err != nil {
		return nil, err
	}
	if path != "" {
		if err := writeTargets(path, key, named, &Targets{Plain: vw.Vecs}); err != nil {
			return nil, err
		}
		if err := jr.Done(); err != nil {
			return nil, err
		}
	}
	return vw, nil
}
