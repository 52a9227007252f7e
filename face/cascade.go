package face

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Cascades holds the two parsed pigo cascades the pipeline runs: the face
// finder and the pupil localiser. Parse them once with ParseCascades and
// share the value: it is read-only after parsing and safe for concurrent
// use, and NewDetector on it is cheap, so make one Detector per goroutine.
//
// The cascade files ship inside the github.com/esimov/pigo module, as
// cascade/facefinder and cascade/puploc; this repository commits no copy.
// Native programs read them from the module cache with
// LoadCascadesFromModule; the browser build fetches the two files by URL
// (the Makefile copies them from the module into the web build) and hands
// the bytes to ParseCascades.
type Cascades struct {
	face  *faceCascade
	pupil *pupilCascade
	// landmarks are the nose and mouth cascades, when loaded with the
	// others (LoadCascadesFromModule); nil otherwise.
	landmarks *LandmarkCascades
}

// Limits on cascade headers, far above pigo's own cascades (the face
// finder has 468 trees of depth 6, the pupil localiser 5 stages of 20
// trees of depth 10), so garbage cannot make the parser allocate much.
const (
	maxTreeDepth = 12
	maxTrees     = 1 << 12
)

// ParseCascades parses the bytes of pigo's cascade/facefinder and
// cascade/puploc files. It checks every length before reading, so
// truncated or foreign bytes give an error, never a panic. The slices are
// not retained.
func ParseCascades(facefinder, puploc []byte) (*Cascades, error) {
	f, err := parseFacefinder(facefinder)
	if err != nil {
		return nil, err
	}
	p, err := parsePuploc(puploc)
	if err != nil {
		return nil, err
	}
	return &Cascades{face: f, pupil: p}, nil
}

// faceCascade is pigo's face classifier ("facefinder"): a sequence of
// binary trees of fixed depth. Each inner node compares the brightness of
// two pixels given relative to the window (in 1/256ths of its size); the
// leaf reached adds its prediction to the window's score, and the window
// is rejected as soon as the running score falls to the tree's threshold.
type faceCascade struct {
	depth, trees int
	codes        []int8    // per tree: nodes 1…2^depth−1, 4 each (r1, c1, r2, c2)
	preds        []float32 // per tree: 2^depth leaf predictions
	thresholds   []float32 // per tree
}

// parseFacefinder reads the layout pigo's Unpack reads: 8 bytes it skips,
// tree depth and tree count (uint32), then per tree 4·2^d−4 code bytes,
// 2^d float32 leaf predictions and a float32 threshold.
func parseFacefinder(b []byte) (*faceCascade, error) {
	const what = "face: facefinder cascade"
	if len(b) < 16 {
		return nil, fmt.Errorf("%s is %d bytes, too short to hold a header; pass the bytes of pigo's cascade/facefinder", what, len(b))
	}
	le := binary.LittleEndian
	depth := le.Uint32(b[8:])
	trees := le.Uint32(b[12:])
	if depth == 0 || depth > maxTreeDepth || trees == 0 || trees > maxTrees {
		return nil, fmt.Errorf("%s has tree depth %d and %d trees: not a pigo face cascade (pass cascade/facefinder)", what, depth, trees)
	}
	leaves := 1 << depth
	nodes := leaves - 1
	want := 16 + int(trees)*(4*nodes+4*leaves+4)
	if len(b) < want {
		return nil, fmt.Errorf("%s is %d bytes, its header promises %d: the file is truncated", what, len(b), want)
	}
	n := int(trees)
	c := &faceCascade{
		depth: int(depth), trees: n,
		codes:      make([]int8, 0, n*4*nodes),
		preds:      make([]float32, 0, n*leaves),
		thresholds: make([]float32, 0, n),
	}
	pos := 16
	for t := 0; t < n; t++ {
		for _, v := range b[pos : pos+4*nodes] {
			c.codes = append(c.codes, int8(v))
		}
		pos += 4 * nodes
		for i := 0; i < leaves; i++ {
			c.preds = append(c.preds, math.Float32frombits(le.Uint32(b[pos:])))
			pos += 4
		}
		c.thresholds = append(c.thresholds, math.Float32frombits(le.Uint32(b[pos:])))
		pos += 4
	}
	return c, nil
}

// pupilCascade is pigo's pupil localisation cascade ("puploc"): stages of
// regression trees that move an estimate of the pupil (row, column, scale)
// closer to the truth; the scale shrinks by a constant factor per stage.
type pupilCascade struct {
	stages, trees, depth int
	shrink               float32
	codes                []int8    // per tree: 2^depth−1 nodes of 4 coordinates (r1, c1, r2, c2)
	preds                []float32 // per tree: 2^depth leaves of (Δrow, Δcol)
}

// parsePuploc parses the puploc layout: stages, scale multiplier (float32),
// trees per stage, tree depth; then per tree 4·2^d−4 code bytes and 2^d
// leaves of two float32.
func parsePuploc(b []byte) (*pupilCascade, error) {
	const what = "face: puploc cascade"
	if len(b) < 16 {
		return nil, fmt.Errorf("%s is %d bytes, too short to hold a header; pass the bytes of pigo's cascade/puploc", what, len(b))
	}
	le := binary.LittleEndian
	stages := le.Uint32(b[0:])
	shrink := math.Float32frombits(le.Uint32(b[4:]))
	trees := le.Uint32(b[8:])
	depth := le.Uint32(b[12:])
	if stages == 0 || stages > 64 || trees == 0 || trees > maxTrees || depth == 0 || depth > maxTreeDepth ||
		!(shrink > 0 && shrink <= 1) || uint64(stages)*uint64(trees) > maxTrees {
		return nil, fmt.Errorf("%s header (%d stages, %d trees, depth %d, scale %g) is not a pigo pupil cascade (pass cascade/puploc)", what, stages, trees, depth, shrink)
	}
	leaves := 1 << depth
	n := int(stages) * int(trees)
	want := 16 + n*(4*leaves-4+8*leaves)
	if len(b) < want {
		return nil, fmt.Errorf("%s is %d bytes, its header promises %d: the file is truncated", what, len(b), want)
	}
	c := &pupilCascade{
		stages: int(stages), trees: int(trees), depth: int(depth), shrink: shrink,
		codes: make([]int8, 0, n*(4*leaves-4)),
		preds: make([]float32, 0, n*2*leaves),
	}
	pos := 16
	for t := 0; t < n; t++ {
		for _, v := range b[pos : pos+4*leaves-4] {
			c.codes = append(c.codes, int8(v))
		}
		pos += 4*leaves - 4
		for i := 0; i < 2*leaves; i++ {
			c.preds = append(c.preds, math.Float32frombits(le.Uint32(b[pos:])))
			pos += 4
		}
	}
	return c, nil
}

// locate runs the cascade from one start estimate, as pigo's
// PuplocCascade.classifyRegion does (integer pixel tests, clamped to the
// image), and returns the refined row, column and scale. flip mirrors the
// trees left-right, so the same cascade serves the other eye.
func (c *pupilCascade) locate(r, col, s float32, pix []uint8, rows, cols, stride int, flip bool) (float32, float32, float32) {
	nodes := 1<<c.depth - 1
	leaves := 1 << c.depth
	root, leaf := 0, 0
	sign := int32(1)
	fsign := float32(1)
	if flip {
		sign, fsign = -1, -1
	}
	for st := 0; st < c.stages; st++ {
		var dr, dc float32
		ir, ic := int32(r)*256, int32(col)*256
		is := int32(math.Round(float64(s)))
		for t := 0; t < c.trees; t++ {
			code := c.codes[root : root+4*nodes]
			idx := 0
			for k := 0; k < c.depth; k++ {
				r1 := clampi((ir+int32(code[4*idx+0])*is)>>8, rows-1)
				c1 := clampi((ic+sign*int32(code[4*idx+1])*is)>>8, cols-1)
				r2 := clampi((ir+int32(code[4*idx+2])*is)>>8, rows-1)
				c2 := clampi((ic+sign*int32(code[4*idx+3])*is)>>8, cols-1)
				idx = 2*idx + 1
				if pix[r1*stride+c1] > pix[r2*stride+c2] {
					idx++
				}
			}
			p := leaf + 2*(idx-nodes)
			dr += c.preds[p]
			dc += fsign * c.preds[p+1]
			root += 4 * nodes
			leaf += 2 * leaves
		}
		r += dr * s
		col += dc * s
		s *= c.shrink
	}
	return r, col, s
}

// clampi clamps v to [0, hi] and returns it as an int.
func clampi(v int32, hi int) int {
	if v < 0 {
		return 0
	}
	if int(v) > hi {
		return hi
	}
	return int(v)
}
