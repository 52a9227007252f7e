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
// are rejected within a few trees.
type scanner struct {
	offs  []int32 // per tree, per node: offset of pixel 1, of pixel 2
	ready int     // trees whose offsets are computed for the current size
	dets  []detection
}

// region limits which window centres are scanned: rows r0…r1 and columns
// c0…c1, inclusive, of the scanned image.
type region struct{ r0, r1, c0, c1 int }

// scan runs the cascade over pix (rows×cols, row stride cols) for window
// sizes from minSize to maxSize, growing by scaleStep, moving windows by
// shift of their size, with centres in reg. The detections are returned
// in a slice reused across calls.
func (sc *scanner) scan(fc *faceCascade, pix []uint8, rows, cols int, minSize, maxSize int, shift, scaleStep float64, reg region) []detection {
	sc.dets = sc.dets[:0]
	nodes := 1<<fc.depth - 1
	if need := fc.trees * nodes * 2; cap(sc.offs) < need {
		sc.offs = make([]int32, need)
	}
	sc.offs = sc.offs[:fc.trees*nodes*2]
	for size := minSize; size <= maxSize; {
		sc.ready = 0
		step := int(math.Max(shift*float64(size), 1))
		off := size/2 + 1
		// pigo's grid starts at off; keep it, clipped to the region.
		rlo, rhi := gridStart(off, max(off, reg.r0), step), min(rows-off, reg.r1)
		clo, chi := gridStart(off, max(off, reg.c0), step), min(cols-off, reg.c1)
		for r := rlo; r <= rhi; r += step {
			for c := clo; c <= chi; c += step {
				if q := sc.classify(fc, size, pix, cols, r*cols+c); q > 0 {
					sc.dets = append(sc.dets, detection{row: r, col: c, size: size, q: q})
				}
			}
		}
		size = int(float64(size) + math.Max(2, float64(size)*scaleStep-float64(size)))
	}
	return sc.dets
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
		if t >= sc.ready {
			sc.prepare(fc, size, stride, t)
		}
		o := sc.offs[t*2*nodes : (t+1)*2*nodes]
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

// prepare computes the pixel offsets of trees ready…upto (and a few more)
// for windows of this size. pigo reads pixel ((256·r + code·size) >> 8,
// (256·c + code·size) >> 8); since 256·r is a multiple of 256 that is
// r + (code·size)>>8, a fixed offset from the centre.
func (sc *scanner) prepare(fc *faceCascade, size, stride, upto int) {
	nodes := 1<<fc.depth - 1
	end := min(fc.trees, max(upto+1, 2*sc.ready, 8))
	for t := sc.ready; t < end; t++ {
		code := fc.codes[t*4*nodes : (t+1)*4*nodes]
		o := sc.offs[t*2*nodes : (t+1)*2*nodes]
		for n := 0; n < nodes; n++ {
			r1 := (int(code[4*n+0]) * size) >> 8
			c1 := (int(code[4*n+1]) * size) >> 8
			r2 := (int(code[4*n+2]) * size) >> 8
			c2 := (int(code[4*n+3]) * size) >> 8
			o[2*n] = int32(r1*stride + c1)
			o[2*n+1] = int32(r2*stride + c2)
		}
	}
	sc.ready = end
}
