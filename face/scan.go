package face

import "math"

// detection is one window the face cascade accepted: its centre (row and
// column, pixel indices of the scanned image), its side and its score.
type detection struct {
	row, col, size int
	q              float32
}

// scanner slides the face cascade over a greyscale image. It computes the
// same answers as pigo's Pigo.RunCascade (the same windows, the same
// integer pixel tests) but faster: for each window size it turns every
// node's pair of relative positions into two fixed offsets into the pixel
// array once, so testing a node in a window is two loads and a compare.
// Offsets are computed tree by tree, on first use, because most windows
// are rejected within a few trees, and kept for the next image of the
// same width (the next camera frame), which scans the same sizes: 5.2 MB
// for the 28 window sizes of a 640×480 frame, recomputing them was a
// third of the scan's time.
type scanner struct {
	cur    *sizeOffsets         // the offsets of the size being scanned
	bySize map[int]*sizeOffsets // by window size, for cached and stride
	cached *faceCascade
	stride int
	dets   []detection
	cands  []candidate // coarse-to-fine: where the second pass looks
	near   []bool      // coarse-to-fine: grid points of one size to try
	tried  int         // windows classified since the last scan began
	// prior holds the faces of the previous image of the same size, as
	// windows of the scanned image, when the caller tracks (a Detector
	// with CoarseToFine): the second pass also looks around them, so a
	// face found once is not lost to the coarse grid in the next frame.
	prior []detection
}

// region limits which window centres are scanned: rows r0…r1 and columns
// c0…c1, inclusive, of the scanned image.
type region struct{ r0, r1, c0, c1 int }

// scan runs the cascade over pix (rows×cols, row stride cols) for window
// sizes from minSize to maxSize, growing by scaleStep, moving windows by
// shift of their size, with centres in reg. The detections are returned
// in a slice reused across calls.
//
// Windows smaller than coarseBelow (0: none) are scanned coarse-to-fine,
// in two passes. The first tries a quarter of the grid points (larger
// windows, far fewer, are all tried). A face makes the cascade fire on a
// patch of windows, so it almost always leaves a hit on that coarse grid;
// the second pass then tries every remaining window around each hit and
// around each sc.prior face, at every size that could be clustered with
// it. Around a face the detections are therefore the exhaustive scan's,
// so its box and pupils are too; a face with no coarse hit at all (a weak
// one, a few windows) is missed unless it is tracked.
func (sc *scanner) scan(fc *faceCascade, pix []uint8, rows, cols int, minSize, maxSize int, shift, scaleStep float64, reg region, coarseBelow int) []detection {
	sc.dets, sc.tried = sc.dets[:0], 0
	if sc.cached != fc || sc.stride != cols || sc.bySize == nil {
		sc.cached, sc.stride, sc.bySize = fc, cols, make(map[int]*sizeOffsets)
	}
	pass := func(try func(g grid)) {
		for size := minSize; size <= maxSize; {
			sc.cur = sc.bySize[size]
			if sc.cur == nil {
				sc.cur = &sizeOffsets{}
				sc.bySize[size] = sc.cur
			}
			step := int(math.Max(shift*float64(size), 1))
			off := size/2 + 1
			// pigo's grid starts at off; keep it, clipped to the region.
			g := grid{size: size, step: step,
				r0: gridStart(off, max(off, reg.r0), step), c0: gridStart(off, max(off, reg.c0), step)}
			rhi, chi := min(rows-off, reg.r1), min(cols-off, reg.c1)
			if g.r0 <= rhi && g.c0 <= chi {
				g.nr, g.nc = (rhi-g.r0)/step+1, (chi-g.c0)/step+1
				try(g)
			}
			size = int(float64(size) + math.Max(2, float64(size)*scaleStep-float64(size)))
		}
	}
	pass(func(g grid) {
		coarse := g.size < coarseBelow
		for i := 0; i < g.nr; i++ {
			for j := 0; j < g.nc; j++ {
				if !coarse || onCoarseGrid(i, j) {
					sc.try(fc, g, pix, cols, i, j)
				}
			}
		}
	})
	if coarseBelow <= minSize {
		return sc.dets
	}
	sc.gatherCandidates()
	if len(sc.cands) == 0 {
		return sc.dets
	}
	pass(func(g grid) {
		if g.size >= coarseBelow {
			return // scanned in full
		}
		if cap(sc.near) < g.nr*g.nc {
			sc.near = make([]bool, g.nr*g.nc)
		}
		near := sc.near[:g.nr*g.nc]
		clear(near)
		any := false
		for _, k := range sc.cands {
			if g.size < k.minSize || g.size > k.maxSize {
				continue
			}
			// Grid points whose centres fall in the candidate's area.
			i0, i1 := max(ceilDiv(k.r0-g.r0, g.step), 0), min(floorDiv(k.r1-g.r0, g.step), g.nr-1)
			j0, j1 := max(ceilDiv(k.c0-g.c0, g.step), 0), min(floorDiv(k.c1-g.c0, g.step), g.nc-1)
			for i := i0; i <= i1; i++ {
				for j := j0; j <= j1; j++ {
					near[i*g.nc+j] = true
					any = true
				}
			}
		}
		if !any {
			return
		}
		for i := 0; i < g.nr; i++ {
			for j := 0; j < g.nc; j++ {
				// The first pass tried the points on the coarse grid.
				if near[i*g.nc+j] && !onCoarseGrid(i, j) {
					sc.try(fc, g, pix, cols, i, j)
				}
			}
		}
	})
	return sc.dets
}

// grid is one window size's grid of nr×nc window centres: point (i, j) is
// row r0 + i·step, column c0 + j·step.
type grid struct {
	size, step, r0, c0, nr, nc int
}

// candidate is an area where the coarse pass found a face: window centres
// in rows r0…r1 and columns c0…c1, sizes minSize…maxSize.
type candidate struct {
	r0, r1, c0, c1, minSize, maxSize int
}

// The coarse pass tries the grid points of onCoarseGrid for windows
// smaller than coarseFraction of the image's shorter side (larger ones,
// which only a face bigger than the picture would fill, are few and all
// tried). candidateReach and candidateScale bound where the second pass
// looks around a coarse hit of side s: window centres within
// candidateReach·s of its centre, sides within a factor candidateScale of
// s (two squares overlap by more than the clustering's IoU, 0.2, only if
// their sides differ by less than a factor √5 ≈ 2.24).
//
// Measured while choosing them (TestCoarseToFine's 220 LFW, ORL and
// webcam-frame images; cmd/align -rate [-frame 1] on LFW, as is or pasted
// into 640×480 frames; BenchmarkDetect640x480Frame, native, medians of
// three runs on a quiet machine, against 7.3–8.6 ms exhaustive):
//   - every other row and column, every size (the choice): the exhaustive
//     scan's box and pupils on 217–218 of 220 images (the rest: no coarse
//     hit at all); face and pupils in 98.45% of LFW images against
//     99.32%, 97.63% of LFW frames; 4.5–4.6 ms. Every third row and
//     column lost 5% of the faces; a reach of 0.25 instead of 0.5 agreed
//     on 213 of 220.
//   - the same only below a quarter of the image (larger faces found
//     exactly): 220 of 220, 98.87% in LFW frames (99.31% exhaustive), but
//     5.4–6.0 ms; below half the image 5.1–5.5 ms.
//   - a checkerboard (half the points) below a quarter: 99.24% in LFW
//     frames, 6.0–7.6 ms.
//
// The cheapest scan was chosen because a face it misses costs little:
// the Detector scans every window when coarse-to-fine found no face
// (98.45% → 99.32% in LFW images, 97.63% → 99.32% in LFW frames: the
// exhaustive figures), and once a face is found it is tracked from frame
// to frame (scanner.prior).
const (
	coarseFraction = 1.0
	candidateReach = 0.5
	candidateScale = 2.25
)

// gatherCandidates groups the coarse pass's hits (sc.dets) and the faces
// of the previous image (sc.prior) into the areas the second pass scans
// in full: each joins the first candidate whose area holds its centre and
// whose sizes hold its size, or starts one.
func (sc *scanner) gatherCandidates() {
	sc.cands = sc.cands[:0]
	for _, set := range [2][]detection{sc.dets, sc.prior} {
		for _, d := range set {
			sc.addCandidate(d)
		}
	}
}

// addCandidate adds the area around d (see candidateReach) to sc.cands.
func (sc *scanner) addCandidate(d detection) {
	reach := int(math.Ceil(candidateReach * float64(d.size)))
	lo := int(float64(d.size) / candidateScale)
	hi := int(math.Ceil(float64(d.size) * candidateScale))
	k := candidate{d.row - reach, d.row + reach, d.col - reach, d.col + reach, lo, hi}
	for i := range sc.cands {
		c := &sc.cands[i]
		if d.row >= c.r0 && d.row <= c.r1 && d.col >= c.c0 && d.col <= c.c1 && d.size >= c.minSize && d.size <= c.maxSize {
			c.r0, c.r1, c.c0, c.c1 = min(c.r0, k.r0), max(c.r1, k.r1), min(c.c0, k.c0), max(c.c1, k.c1)
			c.minSize, c.maxSize = min(c.minSize, k.minSize), max(c.maxSize, k.maxSize)
			return
		}
	}
	sc.cands = append(sc.cands, k)
}

// onCoarseGrid tells whether the coarse pass tries grid point (i, j):
// every other row and column, a quarter of the points (see the constants
// above for the alternatives measured).
func onCoarseGrid(i, j int) bool { return i%2 == 0 && j%2 == 0 }

// ceilDiv and floorDiv divide rounding towards +∞ and −∞ (b > 0).
func ceilDiv(a, b int) int { return -floorDiv(-a, b) }
func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// try classifies the window of grid point (i, j) and records it if the
// cascade accepts it.
func (sc *scanner) try(fc *faceCascade, g grid, pix []uint8, cols, i, j int) {
	sc.tried++
	r, c := g.r0+i*g.step, g.c0+j*g.step
	if q := sc.classify(fc, g.size, pix, cols, r*cols+c); q > 0 {
		sc.dets = append(sc.dets, detection{row: r, col: c, size: g.size, q: q})
	}
}

// gridStart is the first point of the grid start + k·step at or after lo.
func gridStart(start, lo, step int) int {
	if lo <= start {
		return start
	}
	return start + (lo-start+step-1)/step*step
}

// classify returns the cascade's score for the window of the given size
// centred on pixel index base, or −1 if the window is rejected.
func (sc *scanner) classify(fc *faceCascade, size int, pix []uint8, stride, base int) float32 {
	depth := fc.depth
	leaves := 1 << depth
	nodes := leaves - 1
	var out float32
	for t := 0; t < fc.trees; t++ {
		if t >= sc.cur.ready {
			sc.cur.prepare(fc, size, stride, t)
		}
		o := sc.cur.offs[t*2*nodes : (t+1)*2*nodes]
		idx := 1
		for range depth {
			k := 2 * (idx - 1)
			// Right child when p1 <= p2, written without a branch: the
			// comparison is a coin toss the CPU cannot predict.
			diff := int(pix[base+int(o[k+1])]) - int(pix[base+int(o[k])])
			idx = 2*idx + 1 + diff>>63
		}
		out += fc.preds[t*leaves+idx-leaves]
		if out <= fc.thresholds[t] {
			return -1
		}
	}
	return out - fc.thresholds[fc.trees-1]
}

// sizeOffsets holds, for one window size, each node's two pixel offsets
// from the window's centre (per tree, per node: pixel 1, pixel 2) for the
// first ready trees.
type sizeOffsets struct {
	offs  []int32
	ready int
}

// prepare computes the pixel offsets of trees ready…upto (and a few more)
// for windows of this size. pigo reads pixel ((256·r + code·size) >> 8,
// (256·c + code·size) >> 8); since 256·r is a multiple of 256 that is
// r + (code·size)>>8, a fixed offset from the centre.
func (so *sizeOffsets) prepare(fc *faceCascade, size, stride, upto int) {
	nodes := 1<<fc.depth - 1
	end := min(fc.trees, max(upto+1, 2*so.ready, 8))
	for t := so.ready; t < end; t++ {
		code := fc.codes[t*4*nodes : (t+1)*4*nodes]
		for n := 0; n < nodes; n++ {
			r1 := (int(code[4*n+0]) * size) >> 8
			c1 := (int(code[4*n+1]) * size) >> 8
			r2 := (int(code[4*n+2]) * size) >> 8
			c2 := (int(code[4*n+3]) * size) >> 8
			so.offs = append(so.offs, int32(r1*stride+c1), int32(r2*stride+c2))
		}
	}
	so.ready = end
}
