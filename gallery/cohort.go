package gallery

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Cohort is a set of unit embeddings of people unknown to the gallery,
// against which comparisons are normalised.
//
// A raw distance means a little more for some faces than for others: a face
// that many people resemble (an average face, a blurred one, a common pose)
// lies close to many embeddings, and its genuine and impostor distances
// both run small; an unusual face's both run large. One threshold for all
// faces then errs on both. A cohort — embeddings of people who are nobody
// the gallery knows (one picture of each of the embedder's training people)
// — measures this per face: for a unit embedding u, the cosines between u
// and the cohort's faces are impostor scores, and their mean μ(u) and
// standard deviation σ(u) say how crowded u's neighbourhood is.
//
// Adaptive symmetric normalisation (AS-norm; Cumani et al. 2011, Matějka et
// al. 2017) turns the cosine s = a·b of a comparison into
//
//	z = ½·(s − μ(a))/σ(a) + ½·(s − μ(b))/σ(b)
//
// with μ and σ over only the K cohort cosines nearest each face (its
// closest impostors: the ones a threshold has to beat). z counts standard
// deviations above each face's own impostors, so it means the same for a
// crowded face and a lonely one. The gallery reports z back in the units of
// a squared distance, as a typical face would have it:
//
//	d = 2 − 2·(μ₀ + σ₀·z),   clamped to 0…MaxDistance,
//
// where μ₀ and σ₀ are the mean of μ and σ over the cohort's own faces (each
// against the others, computed once when the cohort is made). So a
// normalised distance reads like a raw one, is small for a match and large
// for a mismatch, and uses a threshold of the same size; Score and
// ValidateThreshold apply unchanged.
//
// The cohort belongs to the model that embedded it: it travels in the model
// file (embedder.MetaCohort), and a model's stored threshold is calibrated
// on the normalised distances when it has one.
//
// Make a Cohort with NewCohort or ParseCohort. It is never changed after it
// is made, so it is safe for concurrent use.
type Cohort struct {
	dim, n, k int
	vecs      []float32 // n×dim, row-major: the de-quantised embeddings
	// q and scale are the stored form (MarshalText): vector i is
	// q[i·dim…]·scale[i]/127.
	q     []int8
	scale []float32
	// ref is the typical face's statistics, μ₀ and σ₀.
	ref CohortStats
}

// CohortStats are the mean and standard deviation of a face's K nearest
// cohort cosines.
type CohortStats struct {
	Mean, Std float64
}

// Limits on a cohort, checked by NewCohort and ParseCohort.
const (
	// MaxCohort is the most faces a cohort may hold.
	MaxCohort = 1 << 16
	// minCohortStd is the smallest standard deviation a face's statistics
	// may have: below it the face's impostor cosines are all alike, the
	// z-score would explode, and the cohort is no use for it.
	minCohortStd = 1e-4
)

// cohortMagic starts the binary form of a cohort.
const cohortMagic = "OSCOHRT1"

// NewCohort makes a cohort of the given embeddings (each scaled to unit
// length, then stored as 8-bit values with a scale per vector, as its text
// form keeps them) using the k nearest cohort faces for a face's
// statistics. It needs more than k + 1 vectors of one length, all finite
// and non-zero, and 1 ≤ k. It compares every vector with every other to find
// μ₀ and σ₀: a few seconds for 4,000 vectors of 128 values.
func NewCohort(vecs [][]float32, k int) (*Cohort, error) {
	n := len(vecs)
	if k < 1 {
		return nil, fmt.Errorf("cohort: k is %d: use at least 1 nearest face", k)
	}
	if n < k+2 || n > MaxCohort {
		return nil, fmt.Errorf("cohort: %d faces: need between k+2 = %d and %d", n, k+2, MaxCohort)
	}
	dim := len(vecs[0])
	if dim == 0 || dim > MaxDim {
		return nil, fmt.Errorf("cohort: embeddings of %d values: need 1 to %d", dim, MaxDim)
	}
	c := &Cohort{dim: dim, n: n, k: k, q: make([]int8, n*dim), scale: make([]float32, n)}
	for i, v := range vecs {
		if len(v) != dim {
			return nil, fmt.Errorf("cohort: face %d has %d values, face 0 has %d", i, len(v), dim)
		}
		u, err := Unit(v)
		if err != nil {
			return nil, fmt.Errorf("cohort: face %d: %w", i, err)
		}
		var m float32
		for _, x := range u {
			m = max(m, float32(math.Abs(float64(x))))
		}
		c.scale[i] = m
		for j, x := range u {
			c.q[i*dim+j] = int8(math.Round(float64(x / m * 127)))
		}
	}
	c.dequantise()
	// μ₀, σ₀: every face against the others.
	var sum CohortStats
	scores := make([]float64, n)
	for i := range n {
		u := c.vector(i)
		for j := range n {
			scores[j] = dot64(u, c.vector(j))
		}
		scores[i] = math.Inf(-1) // not its own impostor
		s := topStats(scores, k)
		sum.Mean += s.Mean
		sum.Std += s.Std
	}
	c.ref = CohortStats{Mean: sum.Mean / float64(n), Std: sum.Std / float64(n)}
	if !(c.ref.Std >= minCohortStd) {
		return nil, fmt.Errorf("cohort: the faces' nearest-impostor cosines hardly vary (σ₀ = %.3g): these are not embeddings of different people", c.ref.Std)
	}
	return c, nil
}

// dequantise fills c.vecs from c.q and c.scale.
func (c *Cohort) dequantise() {
	c.vecs = make([]float32, c.n*c.dim)
	for i := range c.n {
		s := c.scale[i] / 127
		for j := range c.dim {
			c.vecs[i*c.dim+j] = float32(c.q[i*c.dim+j]) * s
		}
	}
}

// vector returns cohort face i (a view into c.vecs).
func (c *Cohort) vector(i int) []float32 { return c.vecs[i*c.dim : (i+1)*c.dim] }

// Len is the number of faces in the cohort.
func (c *Cohort) Len() int { return c.n }

// Dim is the length of the cohort's embeddings.
func (c *Cohort) Dim() int { return c.dim }

// K is how many nearest cohort faces a face's statistics use.
func (c *Cohort) K() int { return c.k }

// Reference is μ₀ and σ₀: the statistics of a typical face, those a
// normalised score is expressed back in.
func (c *Cohort) Reference() CohortStats { return c.ref }

// Stats returns the statistics of a unit embedding u of c.Dim() values
// against the cohort: the mean and standard deviation of its K largest
// cosines with the cohort's faces.
func (c *Cohort) Stats(u []float32) (CohortStats, error) {
	return c.StatsExcept(u, nil)
}

// StatsExcept is Stats leaving out the cohort faces for which skip(i) is
// true (nil: none). It is for measuring on people who are themselves in the
// cohort (their own faces are not impostors): cmd/cohort calibrates the
// threshold on training people's pairs this way. At least K faces must
// remain.
func (c *Cohort) StatsExcept(u []float32, skip func(i int) bool) (CohortStats, error) {
	if len(u) != c.dim {
		return CohortStats{}, &DimensionError{Got: len(u), Want: c.dim}
	}
	scores := make([]float64, 0, c.n)
	for i := range c.n {
		if skip != nil && skip(i) {
			continue
		}
		scores = append(scores, dot64(u, c.vector(i)))
	}
	if len(scores) < c.k {
		return CohortStats{}, fmt.Errorf("cohort: %d faces left, fewer than k = %d", len(scores), c.k)
	}
	return topStats(scores, c.k), nil
}

// Distance is the normalised squared distance between unit embeddings a
// and b whose statistics are sa and sb (from Stats), as Cohort's comment
// derives it. It is symmetric, falls as a·b rises, and lies in 0…MaxDistance.
func (c *Cohort) Distance(a, b []float32, sa, sb CohortStats) float32 {
	s := dot64(a, b)
	z := 0.5*(s-sa.Mean)/max(sa.Std, minCohortStd) + 0.5*(s-sb.Mean)/max(sb.Std, minCohortStd)
	d := 2 - 2*(c.ref.Mean+c.ref.Std*z)
	return float32(min(max(d, 0), MaxDistance))
}

// topStats returns the mean and standard deviation of the k largest
// values of scores, which it reorders. Values of −Inf are never among
// them when k allows.
func topStats(scores []float64, k int) CohortStats {
	k = min(k, len(scores))
	// The k largest at the front: a partial selection, not a full sort.
	selectLargest(scores, k)
	var m float64
	for _, s := range scores[:k] {
		m += s
	}
	m /= float64(k)
	var v float64
	for _, s := range scores[:k] {
		v += (s - m) * (s - m)
	}
	return CohortStats{Mean: m, Std: math.Sqrt(v / float64(k))}
}

// selectLargest moves the k largest values of s to s[:k], in no order
// (quickselect, expected linear time).
func selectLargest(s []float64, k int) {
	lo, hi := 0, len(s)-1
	for lo < hi {
		// Median of three as the pivot keeps sorted input linear.
		mid := lo + (hi-lo)/2
		p := median3(s[lo], s[mid], s[hi])
		i, j := lo, hi
		for i <= j {
			for s[i] > p {
				i++
			}
			for s[j] < p {
				j--
			}
			if i <= j {
				s[i], s[j] = s[j], s[i]
				i++
				j--
			}
		}
		// s[lo..j] ≥ p ≥ s[i..hi]
		switch {
		case k-1 <= j:
			hi = j
		case k-1 >= i:
			lo = i
		default:
			return
		}
	}
}

func median3(a, b, c float64) float64 {
	if a > b {
		a, b = b, a
	}
	if b > c {
		b = c
	}
	return max(a, b)
}

// dot64 is a·b accumulated in float64.
func dot64(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// MarshalText returns the cohort's stored form as base64 text (for a model
// file's metadata): the magic "OSCOHRT1", then little-endian uint32 n, dim,
// k, float64 μ₀, σ₀, n float32 scales and n×dim int8 values.
func (c *Cohort) MarshalText() ([]byte, error) {
	b := make([]byte, 0, len(cohortMagic)+12+16+4*c.n+c.n*c.dim)
	b = append(b, cohortMagic...)
	b = binary.LittleEndian.AppendUint32(b, uint32(c.n))
	b = binary.LittleEndian.AppendUint32(b, uint32(c.dim))
	b = binary.LittleEndian.AppendUint32(b, uint32(c.k))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(c.ref.Mean))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(c.ref.Std))
	for _, s := range c.scale {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(s))
	}
	for _, q := range c.q {
		b = append(b, byte(q))
	}
	return base64.StdEncoding.AppendEncode(nil, b), nil
}

// ParseCohort reads a cohort's text form (MarshalText). Damaged or foreign
// text gives an error, never a panic, and nothing much larger than the text
// is allocated.
func ParseCohort(text string) (*Cohort, error) {
	b, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return nil, fmt.Errorf("cohort: not base64: %w", err)
	}
	const head = len(cohortMagic) + 12 + 16
	if len(b) < head || string(b[:len(cohortMagic)]) != cohortMagic {
		return nil, errors.New("cohort: not a cohort (wrong magic or too short)")
	}
	le := binary.LittleEndian
	p := b[len(cohortMagic):]
	n, dim, k := int(le.Uint32(p)), int(le.Uint32(p[4:])), int(le.Uint32(p[8:]))
	ref := CohortStats{Mean: math.Float64frombits(le.Uint64(p[12:])), Std: math.Float64frombits(le.Uint64(p[20:]))}
	if n < 2 || n > MaxCohort || dim < 1 || dim > MaxDim || k < 1 || k+2 > n {
		return nil, fmt.Errorf("cohort: impossible sizes (%d faces of %d values, k %d)", n, dim, k)
	}
	if want := head + 4*n + n*dim; len(b) != want {
		return nil, fmt.Errorf("cohort: %d bytes, want %d for %d faces of %d values", len(b), want, n, dim)
	}
	if !(math.Abs(ref.Mean) <= 1) || !(ref.Std >= minCohortStd && ref.Std <= 2) {
		return nil, fmt.Errorf("cohort: impossible reference statistics (mean %v, std %v)", ref.Mean, ref.Std)
	}
	c := &Cohort{dim: dim, n: n, k: k, ref: ref, scale: make([]float32, n), q: make([]int8, n*dim)}
	p = b[head:]
	for i := range n {
		s := math.Float32frombits(le.Uint32(p[4*i:]))
		if !(s > 0 && s <= 1) {
			return nil, fmt.Errorf("cohort: face %d has scale %v, not in (0, 1]", i, s)
		}
		c.scale[i] = s
	}
	p = p[4*n:]
	for i := range c.q {
		c.q[i] = int8(p[i])
	}
	c.dequantise()
	for i := range n {
		if slices.IndexFunc(c.vector(i), func(x float32) bool { return x != 0 }) < 0 {
			return nil, fmt.Errorf("cohort: face %d is all zeros", i)
		}
	}
	return c, nil
}
