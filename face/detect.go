package face

import (
	"cmp"
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
)

// Point is a position in image (or crop) coordinates, in pixels, with the
// convention of package image: pixel (x, y) covers [x, x+1)×[y, y+1), so
// its centre is (x+0.5, y+0.5).
type Point struct {
	X, Y float64 // rightwards and downwards, in pixels
}

// Face is one face found by Detect: a square around the face, roughly
// from the eyebrows to the chin, and the detector's confidence.
type Face struct {
	// X, Y is the centre of the square, in image coordinates.
	X, Y float64
	// Size is the side of the square, in pixels.
	Size float64
	// Score is the detector's confidence: the sum of the cascade outputs
	// of the raw detections merged into this face. Below 10 is a doubtful
	// face; clear frontal faces score 50 and more.
	Score float32
	// Hits is how many raw detections were merged into this face.
	Hits int
}

// Box returns the face square as an integer rectangle (it may reach
// outside the image).
func (f Face) Box() image.Rectangle {
	h := f.Size / 2
	return image.Rect(int(math.Round(f.X-h)), int(math.Round(f.Y-h)), int(math.Round(f.X+h)), int(math.Round(f.Y+h)))
}

// Params tunes detection and pupil localisation. DefaultParams returns
// values tuned on 640×480 webcam frames and 250×250 LFW images; a zero
// field means its default.
type Params struct {
	// MinFace is the smallest face searched for, as a fraction of the
	// image's shorter side (default 0.1); MinFacePixels is a floor in
	// pixels (default 24). Smaller faces are not found at all, so they
	// neither count as faces nor slow detection down.
	MinFace       float64
	MinFacePixels int
	// Shift is the step of the sliding window as a fraction of its size
	// (pigo's ShiftFactor, default 0.1); ScaleStep is the growth of the
	// window from one scale to the next (pigo's ScaleFactor, default 1.1).
	// Larger values are faster and miss more faces.
	Shift, ScaleStep float64
	// IoU is the intersection over union above which raw detections are
	// merged into one face (default 0.2).
	IoU float64
	// MinScore is the least Score of a reported face (default 3).
	MinScore float32
	// Pad is the width of the grey border added around the image before
	// detection, as a fraction of its shorter side (default 0.25; a
	// negative value means none). The cascade needs a margin around a face,
	// so without it faces that fill the frame (ORL, a face close to the
	// camera) are missed.
	Pad float64
	// Perturbs is how many perturbed starting points the pupil
	// localiser runs per eye; the median of the answers is the pupil
	// (default 31, at most 63).
	Perturbs int
	// CoarseToFine scans the windows on a quarter of the grid first, and
	// the skipped ones only around its hits and around the faces of the
	// previous image of the same size (tracking, for camera frames); when
	// that finds no face it scans every window. About 0.6 of the time when
	// there is a face, for nearly the same faces (see scan.go; cmd/align
	// -rate -frame 1 -coarse measures it). Off, the scan tries every
	// window, exactly as pigo, and the answer for an image does not depend
	// on the images before it.
	CoarseToFine bool
	// RetryFine scans once more, on a finer grid, when the scan finds no
	// face: half the Shift, and a ScaleStep of 1 + (ScaleStep − 1)/2 (0.05
	// and 1.05 for the defaults), about eight times the windows. A face
	// the cascade scores well at a position or size between the default
	// grid's windows is found then: on LFW it found a face in 43 of the 45
	// training images the default scan missed, the right one in all but
	// about two of them (cmd/align -rate, then -shift 0.05 -scalestep 1.05).
	// It costs time only when there is no face, so it suits photographs,
	// where one face is expected and missing it is a failure; DefaultParams
	// turns it on. On camera frames, where an empty frame is common and the
	// next frame comes soon, it is off (NewFrameDetector).
	RetryFine bool
	// RetryBorder is, with RetryFine, the border of one last scan on the
	// finer grid when the finer scan finds nothing either, as a fraction
	// of the picture's shorter side (default 0.5; negative: none; no scan
	// when it is not wider than Pad). A tightly cropped photograph (FIW's
	// faces fill their 128-pixel pictures, forehead and chin cut) holds a
	// face too close to its edges for the cascade, whose window needs the
	// whole face and a margin: in 5,689 pictures of 250 FIW training
	// families the usual border missed 66 faces, this one found 12 of them
	// (cmd/align -rate, 2026-12-07).
	RetryBorder float64
}

// DefaultParams returns the parameters the package was tuned with.
func DefaultParams() Params {
	return Params{
		MinFace: 0.1, MinFacePixels: 24,
		Shift: 0.1, ScaleStep: 1.1,
		IoU: 0.2, MinScore: 3,
		Pad:       0.25,
		Perturbs:  31,
		RetryFine: true, RetryBorder: 0.5,
	}
}

// withDefaults fills zero fields with their defaults and clamps the rest
// to values that cannot hang or crash the scan.
func (p Params) withDefaults() Params {
	d := DefaultParams()
	switch {
	case !(p.MinFace > 0): // zero, negative or NaN
		p.MinFace = d.MinFace
	case p.MinFace > 1:
		p.MinFace = 1
	}
	if p.MinFacePixels <= 0 {
		p.MinFacePixels = d.MinFacePixels
	}
	p.MinFacePixels = max(p.MinFacePixels, 8)
	if !(p.Shift > 0) {
		p.Shift = d.Shift
	}
	p.Shift = min(p.Shift, 1)
	if !(p.ScaleStep > 1) {
		p.ScaleStep = d.ScaleStep
	}
	p.ScaleStep = min(p.ScaleStep, 4)
	if !(p.IoU > 0 && p.IoU < 1) {
		p.IoU = d.IoU
	}
	if !(p.MinScore > 0) {
		p.MinScore = d.MinScore
	}
	if p.Pad == 0 || math.IsNaN(p.Pad) {
		p.Pad = d.Pad
	}
	p.Pad = min(max(p.Pad, 0), 1)
	if p.RetryBorder == 0 || math.IsNaN(p.RetryBorder) {
		p.RetryBorder = d.RetryBorder
	}
	p.RetryBorder = min(p.RetryBorder, 1)
	if p.Perturbs <= 0 {
		p.Perturbs = d.Perturbs
	}
	p.Perturbs = min(p.Perturbs, len(perturbations))
	return p
}

// Detector runs the face pipeline and owns the buffers it reuses from one
// image to the next (the greyscale copy, the detections, the quality
// crop), so after the first frame of a given size Detect allocates
// nothing and Analyze only x/image/draw's small kernel-weight buffers.
//
// A Detector is not safe for concurrent use. Make one per goroutine:
// Cascades.NewDetector is cheap because the cascades are parsed once and
// shared.
type Detector struct {
	// Params tunes detection; change it freely between calls.
	Params Params
	// Policy sets the quality thresholds Analyze applies.
	Policy Policy
	// LandmarkCascades, when not nil, are the nose and mouth cascades
	// AlignEyes localises a five-point template's landmarks with. The
	// Detectors of cascades loaded from the pigo module have them.
	LandmarkCascades *LandmarkCascades

	c *Cascades

	// grey is the greyscale image with a border of pad pixels on every
	// side; gw×gh is its size. greyImg views it with the image's
	// coordinates (its Rect starts pad pixels before the image's).
	grey        []uint8
	gw, gh, pad int
	imgW, imgH  int
	origin      image.Point // the image's Bounds().Min
	greyImg     image.Gray
	faces       []Face
	used        []bool
	rows, cols  []float32
	qcrop       *image.RGBA
	scan        scanner
	lastValid   bool
}

// usualMaxEyeSpan bounds the distance between the pupils, as a fraction
// of the detected face's side, in practice: on 299 LFW faces it was at
// most 0.456 (0.36 typical). The pupil sanity check allows up to
// maxEyeSpan (0.55) to keep odd localisations as fallbacks.
const usualMaxEyeSpan = 0.5

// SmallestUsefulFace is the side, in pixels, of the smallest detected face
// whose pupils are, in practice, p.MinEyeDistance apart (see
// usualMaxEyeSpan). Smaller faces fail the policy ("face too small"), so a
// caller that only wants usable faces (the engine) can set
// Params.MinFacePixels to it and skip the scan's most numerous windows,
// the smallest ones: 56 instead of 48 pixels on a 640×480 frame, a
// quarter fewer windows. A face that small is still found at the next
// window sizes up, which the scan also tries.
func (p Policy) SmallestUsefulFace() int {
	return int(p.MinEyeDistance / usualMaxEyeSpan)
}

// NewDetector is a Detector using these cascades, with DefaultParams and
// DefaultPolicy, and their landmark cascades when they have them
// (LoadCascadesFromModule).
func (c *Cascades) NewDetector() *Detector {
	return &Detector{Params: DefaultParams(), Policy: DefaultPolicy(), LandmarkCascades: c.landmarks, c: c}
}

// NewFrameDetector is a Detector tuned for live camera frames, where
// detection runs on every frame and only a usable face matters: it
// searches only faces large enough to pass the policy (see
// Policy.SmallestUsefulFace) and scans coarse-to-fine (see
// Params.CoarseToFine). On the benchmark's 640×480 frame (one large face)
// that is about 0.6 of the default scan's time (BenchmarkDetect640x480Frame
// against BenchmarkDetect640x480). It does not scan a frame with no face
// again on a finer grid (Params.RetryFine): the next frame comes soon. The
// engine uses it; training and evaluation keep the exhaustive default.
func (c *Cascades) NewFrameDetector() *Detector {
	d := c.NewDetector()
	d.Params.MinFacePixels = d.Policy.SmallestUsefulFace()
	d.Params.CoarseToFine = true
	d.Params.RetryFine = false
	return d
}

// NewDetector parses the bytes of pigo's cascade/facefinder and
// cascade/puploc files and returns a Detector on them. To make several
// Detectors, parse once with ParseCascades and call Cascades.NewDetector.
func NewDetector(facefinder, puploc []byte) (*Detector, error) {
	c, err := ParseCascades(facefinder, puploc)
	if err != nil {
		return nil, err
	}
	return c.NewDetector(), nil
}

// Detect finds the faces in img and returns them best first: the best is
// a large, confident face near the middle of the picture. It
// returns an empty slice, not an error, when there is no face; callers
// that need exactly one person check len(faces).
//
// The returned slice is owned by the Detector and overwritten by its next
// call; copy it to keep it. Detect also remembers the image's greyscale
// form for Eyes.
func (d *Detector) Detect(img image.Image) ([]Face, error) {
	if d == nil || d.c == nil {
		return nil, fmt.Errorf("face: Detector has no cascades; make it with NewDetector or Cascades.NewDetector")
	}
	if err := checkImage(img); err != nil {
		d.lastValid = false
		return nil, err
	}
	p := d.Params.withDefaults()
	prevW, prevH := d.gw, d.gh
	d.toGrey(img, p.Pad)
	if !p.CoarseToFine || d.gw != prevW || d.gh != prevH {
		d.scan.prior = d.scan.prior[:0] // nothing to track
	}

	short := min(d.imgW, d.imgH)
	minSize := max(p.MinFacePixels, int(p.MinFace*float64(short)))
	maxSize := min(d.gw, d.gh) - 2
	d.faces = d.faces[:0]
	if minSize > maxSize {
		return d.faces, nil
	}
	// Only windows centred on the image itself: a face centred in the
	// border is mostly outside the picture.
	reg := d.imageRegion()
	coarseBelow := 0
	if p.CoarseToFine {
		coarseBelow = int(coarseFraction * float64(short))
	}
	dets := d.scan.scan(d.c.face, d.grey, d.gh, d.gw, minSize, maxSize, p.Shift, p.ScaleStep, reg, coarseBelow)
	d.cluster(dets, p)
	if coarseBelow > 0 && len(d.faces) == 0 {
		// Nothing found coarse-to-fine: a weak face may hide between the
		// coarse windows, so look at every window. This costs time only
		// when there is no face, or a hard one.
		dets = d.scan.scan(d.c.face, d.grey, d.gh, d.gw, minSize, maxSize, p.Shift, p.ScaleStep, reg, 0)
		d.cluster(dets, p)
	}
	if p.RetryFine && len(d.faces) == 0 {
		// Nothing on the usual grid: a face may sit between its windows.
		dets = d.scan.scan(d.c.face, d.grey, d.gh, d.gw, minSize, maxSize, p.Shift/2, 1+(p.ScaleStep-1)/2, reg, 0)
		d.cluster(dets, p)
	}
	if p.RetryFine && len(d.faces) == 0 && p.RetryBorder > p.Pad {
		// Still nothing: the face may fill the picture, cut by its edges,
		// too close to them for the cascade's window (RetryBorder).
		d.toGrey(img, p.RetryBorder)
		reg = d.imageRegion()
		dets = d.scan.scan(d.c.face, d.grey, d.gh, d.gw, minSize, min(d.gw, d.gh)-2, p.Shift/2, 1+(p.ScaleStep-1)/2, reg, 0)
		d.cluster(dets, p)
	}
	if p.CoarseToFine {
		// Track: the next frame's second pass also looks where these are.
		d.scan.prior = d.scan.prior[:0]
		for _, f := range d.faces {
			d.scan.prior = append(d.scan.prior, detection{
				row:  int(math.Round(f.Y + float64(d.pad-d.origin.Y) - 0.5)),
				col:  int(math.Round(f.X + float64(d.pad-d.origin.X) - 0.5)),
				size: int(math.Round(f.Size)),
			})
		}
	}
	return d.faces, nil
}

// imageRegion is the picture itself inside the padded buffer: the cells a
// window may be centred on.
func (d *Detector) imageRegion() region {
	return region{r0: d.pad, r1: d.pad + d.imgH - 1, c0: d.pad, c1: d.pad + d.imgW - 1}
}

// cluster merges overlapping raw detections into faces: the strongest
// unmerged detection absorbs every unmerged one overlapping it by more
// than p.IoU; the face is their average square and summed score. Faces
// mostly inside a better one (a fragment of the same face) are dropped.
func (d *Detector) cluster(dets []detection, p Params) {
	slices.SortFunc(dets, func(a, b detection) int { return cmp.Compare(b.q, a.q) })
	if cap(d.used) < len(dets) {
		d.used = make([]bool, len(dets))
	}
	used := d.used[:len(dets)]
	clear(used)
	// The scan's (row, col) are pixel indices in the padded buffer.
	offX := float64(d.pad-d.origin.X) - 0.5
	offY := float64(d.pad-d.origin.Y) - 0.5
	for i, a := range dets {
		if used[i] {
			continue
		}
		var r, c, s float64
		var q float32
		n := 0
		for j := i; j < len(dets); j++ {
			if used[j] || iou(a, dets[j]) <= p.IoU {
				continue
			}
			used[j] = true
			b := dets[j]
			r += float64(b.row)
			c += float64(b.col)
			s += float64(b.size)
			q += b.q
			n++
		}
		if q < p.MinScore {
			continue
		}
		fn := float64(n)
		d.faces = append(d.faces, Face{X: c/fn - offX, Y: r/fn - offY, Size: s / fn, Score: q, Hits: n})
	}
	faces := d.faces
	cx := float64(d.origin.X) + float64(d.imgW)/2
	cy := float64(d.origin.Y) + float64(d.imgH)/2
	half := float64(min(d.imgW, d.imgH)) / 2
	rank := func(f Face) float64 { return rank(f, cx, cy, half) }
	slices.SortFunc(faces, func(a, b Face) int { return cmp.Compare(rank(b), rank(a)) })
	kept := faces[:0]
	for _, f := range faces {
		inside := false
		for _, k := range kept {
			if overlap(f, k) > 0.5 {
				inside = true
				break
			}
		}
		if !inside {
			kept = append(kept, f)
		}
	}
	d.faces = kept
}

// rank orders faces for choosing the best. The person in front of a
// camera, or the subject of a portrait, is a large, confident face near
// the middle of the picture: rank is the face's size times the square root
// of its score, divided by 1 + 4r², where r is its distance from the
// image centre (cx, cy) in units of half the shorter side. (On LFW this
// picks the labelled, central face in 99.7% of images; score alone, 98.6%.)
func rank(f Face, cx, cy, half float64) float64 {
	r := math.Hypot(f.X-cx, f.Y-cy) / half
	return f.Size * math.Sqrt(float64(f.Score)) / (1 + 4*r*r)
}

// iou is the intersection over union of two square detections.
func iou(a, b detection) float64 {
	r1, c1, s1 := float64(a.row), float64(a.col), float64(a.size)
	r2, c2, s2 := float64(b.row), float64(b.col), float64(b.size)
	or := math.Max(0, math.Min(r1+s1/2, r2+s2/2)-math.Max(r1-s1/2, r2-s2/2))
	oc := math.Max(0, math.Min(c1+s1/2, c2+s2/2)-math.Max(c1-s1/2, c2-s2/2))
	inter := or * oc
	return inter / (s1*s1 + s2*s2 - inter)
}

// overlap is the intersection of two face squares over the smaller one.
func overlap(a, b Face) float64 {
	ox := math.Max(0, math.Min(a.X+a.Size/2, b.X+b.Size/2)-math.Max(a.X-a.Size/2, b.X-b.Size/2))
	oy := math.Max(0, math.Min(a.Y+a.Size/2, b.Y+b.Size/2)-math.Max(a.Y-a.Size/2, b.Y-b.Size/2))
	s := math.Min(a.Size, b.Size)
	return ox * oy / (s * s)
}

// toGrey writes the luma of img (0.299 R + 0.587 G + 0.114 B) into the
// padded greyscale buffer, then fills the border.
func (d *Detector) toGrey(img image.Image, padFrac float64) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	pad := int(math.Round(padFrac * float64(min(w, h))))
	gw, gh := w+2*pad, h+2*pad
	if cap(d.grey) < gw*gh {
		d.grey = make([]uint8, gw*gh)
	}
	d.grey = d.grey[:gw*gh]
	d.gw, d.gh, d.pad, d.imgW, d.imgH, d.origin = gw, gh, pad, w, h, b.Min
	d.greyImg = image.Gray{Pix: d.grey, Stride: gw, Rect: image.Rect(-pad, -pad, w+pad, h+pad).Add(b.Min)}
	d.lastValid = true

	for y := 0; y < h; y++ {
		row := d.grey[(y+pad)*gw+pad : (y+pad)*gw+pad+w]
		greyRow(row, img, b.Min.X, b.Min.Y+y)
	}
	d.fillBorder()
}

// greyRow converts one row of img, starting at (x0, y), into dst.
func greyRow(dst []uint8, img image.Image, x0, y int) {
	switch m := img.(type) {
	case *image.RGBA:
		i := m.PixOffset(x0, y)
		src := m.Pix[i : i+4*len(dst)]
		for x := range dst {
			s := src[4*x : 4*x+3 : 4*x+3]
			dst[x] = luma(s[0], s[1], s[2])
		}
	case *image.NRGBA:
		i := m.PixOffset(x0, y)
		src := m.Pix[i : i+4*len(dst)]
		for x := range dst {
			s := src[4*x : 4*x+3 : 4*x+3]
			dst[x] = luma(s[0], s[1], s[2])
		}
	case *image.Gray:
		i := m.PixOffset(x0, y)
		copy(dst, m.Pix[i:i+len(dst)])
	case *image.YCbCr:
		// JPEG's Y is full-range BT.601 luma, the same weights.
		i := m.YOffset(x0, y)
		copy(dst, m.Y[i:i+len(dst)])
	default:
		for x := range dst {
			dst[x] = color.GrayModel.Convert(img.At(x0+x, y)).(color.Gray).Y
		}
	}
}

func luma(r, g, b uint8) uint8 {
	return uint8((19595*uint32(r) + 38470*uint32(g) + 7471*uint32(b) + 1<<15) >> 16)
}

// fillBorder fills the pad around the image with a flat grey: the mean of
// the image's outermost pixels. A flat border gives the cascade its margin
// without inventing edges (replicating the edge pixels draws streaks the
// cascade can mistake for structure).
func (d *Detector) fillBorder() {
	pad, gw, gh, w, h := d.pad, d.gw, d.gh, d.imgW, d.imgH
	if pad == 0 {
		return
	}
	g := d.grey
	var sum, n int
	for x := 0; x < w; x++ {
		sum += int(g[pad*gw+pad+x]) + int(g[(pad+h-1)*gw+pad+x])
		n += 2
	}
	for y := 0; y < h; y++ {
		sum += int(g[(pad+y)*gw+pad]) + int(g[(pad+y)*gw+pad+w-1])
		n += 2
	}
	v := uint8(sum / n)
	for y := 0; y < gh; y++ {
		row := g[y*gw : (y+1)*gw]
		if y < pad || y >= pad+h {
			for x := range row {
				row[x] = v
			}
			continue
		}
		for x := 0; x < pad; x++ {
			row[x] = v
			row[gw-1-x] = v
		}
	}
}
