package gallery

import (
	"encoding/base64"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// randomUnits returns n random unit vectors of dim values.
func randomUnits(r *rand.Rand, n, dim int) [][]float32 {
	out := make([][]float32, n)
	for i := range out {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		u, err := Unit(v)
		if err != nil {
			panic(err)
		}
		out[i] = u
	}
	return out
}

// testCohort is a cohort of 200 random 16-value faces, k 10.
func testCohort(t testing.TB) *Cohort {
	t.Helper()
	c, err := NewCohort(randomUnits(rand.New(rand.NewPCG(1, 2)), 200, 16), 10)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSelectLargest(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := range 300 {
		n := 1 + r.IntN(60)
		s := make([]float64, n)
		for i := range s {
			s[i] = float64(r.IntN(8)) // many ties
			if trial%3 == 0 {
				s[i] = r.Float64()
			}
		}
		if trial%5 == 0 {
			slices.Sort(s) // sorted input
		}
		k := 1 + r.IntN(n)
		want := slices.Clone(s)
		slices.SortFunc(want, func(a, b float64) int { return -cmpFloat(a, b) })
		selectLargest(s, k)
		got := slices.Clone(s[:k])
		slices.SortFunc(got, func(a, b float64) int { return -cmpFloat(a, b) })
		if !slices.Equal(got, want[:k]) {
			t.Fatalf("trial %d, k %d: the k largest are %v, want %v", trial, k, got, want[:k])
		}
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestCohortStats(t *testing.T) {
	c := testCohort(t)
	u := randomUnits(rand.New(rand.NewPCG(5, 6)), 1, 16)[0]
	got, err := c.Stats(u)
	if err != nil {
		t.Fatal(err)
	}
	// The mean and deviation of the 10 largest cosines, by a full sort.
	var s []float64
	for i := range c.Len() {
		s = append(s, dot64(u, c.vector(i)))
	}
	slices.Sort(s)
	top := s[len(s)-10:]
	var m, v float64
	for _, x := range top {
		m += x / 10
	}
	for _, x := range top {
		v += (x - m) * (x - m) / 10
	}
	if math.Abs(got.Mean-m) > 1e-12 || math.Abs(got.Std-math.Sqrt(v)) > 1e-12 {
		t.Fatalf("Stats = %+v, want mean %v std %v", got, m, math.Sqrt(v))
	}
	// Leaving out the faces that gave the largest cosines lowers the mean.
	skipTop := func(i int) bool { return dot64(u, c.vector(i)) >= top[5] }
	ex, err := c.StatsExcept(u, skipTop)
	if err != nil {
		t.Fatal(err)
	}
	if !(ex.Mean < got.Mean) {
		t.Errorf("leaving out the nearest faces: mean %v, not below %v", ex.Mean, got.Mean)
	}
	if _, err := c.StatsExcept(u, func(i int) bool { return i >= 5 }); err == nil {
		t.Error("statistics over 5 faces with k 10: no error")
	}
	var de *DimensionError
	if _, err := c.Stats(u[:8]); !errors.As(err, &de) {
		t.Errorf("an 8-value face against a 16-value cohort: %v, want a DimensionError", err)
	}
}

func TestCohortDistance(t *testing.T) {
	c := testCohort(t)
	ref := c.Reference()
	if !(ref.Mean > 0 && ref.Mean < 1 && ref.Std > 0) {
		t.Fatalf("reference statistics %+v: the nearest impostors of random faces should have small positive cosines", ref)
	}
	a, b := angle(16, 0), angle(16, 1)
	// A face as crowded as the typical one keeps its raw distance.
	if got, want := c.Distance(a, b, ref, ref), dist(a, b); math.Abs(float64(got-want)) > 1e-5 {
		t.Errorf("typical faces: normalised distance %v, raw %v: should be equal", got, want)
	}
	// Symmetric, falling with the cosine, within 0…MaxDistance.
	sa := CohortStats{Mean: ref.Mean + 0.1, Std: ref.Std * 2}
	sb := CohortStats{Mean: ref.Mean - 0.05, Std: ref.Std / 2}
	prev := float32(-1)
	for th := 0.0; th <= math.Pi; th += 0.05 {
		v := angle(16, th)
		d := c.Distance(a, v, sa, sb)
		if d2 := c.Distance(v, a, sb, sa); d2 != d {
			t.Fatalf("θ %.2f: not symmetric: %v and %v", th, d, d2)
		}
		if d < 0 || d > MaxDistance || d < prev {
			t.Fatalf("θ %.2f: distance %v after %v: out of range or not growing with the angle", th, d, prev)
		}
		prev = d
	}
	// A crowded face (its impostors near) needs a higher cosine to match:
	// the same cosine is a larger distance for it than for a lonely face.
	crowded := CohortStats{Mean: ref.Mean + 0.2, Std: ref.Std}
	lonely := CohortStats{Mean: ref.Mean - 0.2, Std: ref.Std}
	v := angle(16, 0.8)
	if dc, dl := c.Distance(a, v, crowded, ref), c.Distance(a, v, lonely, ref); !(dc > dl) {
		t.Errorf("same cosine: crowded face distance %v, lonely face %v: want crowded larger", dc, dl)
	}
}

func TestCohortTextRoundTrip(t *testing.T) {
	c := testCohort(t)
	text, err := c.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseCohort(string(text))
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != c.Len() || d.Dim() != c.Dim() || d.K() != c.K() || d.Reference() != c.Reference() ||
		!slices.Equal(d.vecs, c.vecs) {
		t.Fatal("the cohort read back differs from the one written")
	}
	// 8-bit storage stays within half a step of the unit vectors given.
	orig := randomUnits(rand.New(rand.NewPCG(1, 2)), 200, 16)
	for i, v := range orig {
		for j, x := range v {
			if e := math.Abs(float64(x - c.vector(i)[j])); e > float64(c.scale[i])/127/2+1e-7 {
				t.Fatalf("face %d value %d: stored %v for %v", i, j, c.vector(i)[j], x)
			}
		}
	}
}

func TestNewCohortRefuses(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	good := randomUnits(r, 20, 4)
	same := make([][]float32, 20)
	for i := range same {
		same[i] = []float32{1, 0, 0, 0}
	}
	cases := map[string]struct {
		vecs [][]float32
		k    int
	}{
		"k 0":            {good, 0},
		"too few faces":  {good[:11], 10},
		"lengths differ": {append(slices.Clone(good[:19]), []float32{1, 0}), 3},
		"a zero face":    {append(slices.Clone(good[:19]), []float32{0, 0, 0, 0}), 3},
		"a NaN":          {append(slices.Clone(good[:19]), []float32{float32(math.NaN()), 0, 0, 1}), 3},
		"one face":       {same, 3},
		"empty faces":    {[][]float32{{}, {}, {}, {}, {}}, 1},
	}
	for name, c := range cases {
		if _, err := NewCohort(c.vecs, c.k); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestParseCohortRefuses(t *testing.T) {
	text, err := testCohort(t).MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(string(text))
	enc := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	edit := func(at int, v ...byte) string {
		b := slices.Clone(raw)
		copy(b[at:], v)
		return enc(b)
	}
	head := len(cohortMagic) + 12 + 16
	cases := map[string]string{
		"not base64":       "%%%",
		"empty":            "",
		"wrong magic":      edit(0, 'X'),
		"truncated":        enc(raw[:len(raw)-1]),
		"trailing byte":    enc(append(slices.Clone(raw), 0)),
		"k too large":      edit(len(cohortMagic)+8, 255, 0, 0, 0),
		"k 0":              edit(len(cohortMagic)+8, 0, 0, 0, 0),
		"NaN reference":    edit(len(cohortMagic)+12, 1, 0, 0, 0, 0, 0, 0xf8, 0x7f),
		"zero scale":       edit(head, 0, 0, 0, 0),
		"zero face":        enc(append(raw[:len(raw)-16], make([]byte, 16)...)),
		"huge face count":  edit(len(cohortMagic), 255, 255, 255, 255),
		"huge face length": edit(len(cohortMagic)+4, 255, 255, 255, 255),
	}
	for name, s := range cases {
		if c, err := ParseCohort(s); err == nil || c != nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := ParseCohort(string(text)); err != nil {
		t.Fatalf("the unedited text: %v", err)
	}
}

// FuzzParseCohort feeds arbitrary text to the cohort reader. It must never
// panic, and a cohort it accepts must write text that reads back to the
// same cohort.
//
//	go test -run XXX -fuzz FuzzParseCohort -fuzztime 60s ./gallery/
func FuzzParseCohort(f *testing.F) {
	c, err := NewCohort(randomUnits(rand.New(rand.NewPCG(1, 1)), 5, 3), 2)
	if err != nil {
		f.Fatal(err)
	}
	text, _ := c.MarshalText()
	f.Add(string(text))
	f.Add("")
	f.Add(base64.StdEncoding.EncodeToString([]byte(cohortMagic)))
	f.Add(strings.Repeat("A", 64))
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCohort(s)
		if err != nil {
			return
		}
		text, err := c.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		d, err := ParseCohort(string(text))
		if err != nil {
			t.Fatalf("a cohort read from text writes text it refuses: %v", err)
		}
		if !slices.Equal(c.vecs, d.vecs) || c.Reference() != d.Reference() || c.K() != d.K() {
			t.Fatal("the round trip changed the cohort")
		}
		u := make([]float32, c.Dim())
		u[0] = 1
		if _, err := c.Stats(u); err != nil {
			t.Fatal(err)
		}
	})
}

func TestVerifyWithCohort(t *testing.T) {
	c := testCohort(t)
	g := newGallery(t, Config{Threshold: 1, Cohort: c})
	r := rand.New(rand.NewPCG(9, 10))
	faces := randomUnits(r, 3, 16)
	enroll(t, g, "alice", faces[0])
	enroll(t, g, "bob", faces[1])
	probe := faces[2]

	v, err := g.Verify("alice", probe, 0)
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := c.Stats(probe)
	st, _ := c.Stats(faces[0])
	if want := c.Distance(probe, faces[0], sp, st); v.Distance != want {
		t.Fatalf("Verify's distance %v, want the normalised %v", v.Distance, want)
	}
	if v.Distance == dist(probe, faces[0]) {
		t.Fatal("Verify's distance is the raw one")
	}
	cands, _, err := g.Identify(probe, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, cand := range cands {
		if cand.ID == "alice" && cand.Distance != v.Distance {
			t.Errorf("Identify says %v for alice, Verify %v", cand.Distance, v.Distance)
		}
	}
	// A person enrolled again gets their new template's statistics, not
	// the cached ones of the old.
	if err := g.Remove("alice"); err != nil {
		t.Fatal(err)
	}
	enroll(t, g, "alice", faces[1])
	v2, err := g.Verify("alice", probe, 0)
	if err != nil {
		t.Fatal(err)
	}
	s1, _ := c.Stats(faces[1])
	if want := c.Distance(probe, faces[1], sp, s1); v2.Distance != want {
		t.Fatalf("after enrolling again: %v, want %v", v2.Distance, want)
	}
	// Without the cohort, raw distances again.
	if err := g.SetCohort(nil); err != nil {
		t.Fatal(err)
	}
	if v, _ := g.Verify("alice", probe, 0); v.Distance != dist(probe, faces[1]) {
		t.Errorf("after SetCohort(nil): %v, want the raw %v", v.Distance, dist(probe, faces[1]))
	}
	// A cohort of another embedding length is refused, by New and SetCohort.
	other, err := NewCohort(randomUnits(r, 20, 8), 3)
	if err != nil {
		t.Fatal(err)
	}
	var de *DimensionError
	if err := g.SetCohort(other); !errors.As(err, &de) {
		t.Errorf("SetCohort of 8-value faces on a 16-value gallery: %v", err)
	}
	if _, err := New(Config{Dim: 16, Cohort: other}); err == nil {
		t.Error("New with a cohort of another length: no error")
	}
	// A gallery that learnt its length from enrollments checks probes
	// against the cohort's: no panic, an error.
	h := newGallery(t, Config{Threshold: 1, Cohort: other})
	enroll(t, h, "carol", faces[0])
	if _, err := h.Verify("carol", probe, 0); !errors.As(err, &de) {
		t.Errorf("16-value faces against an 8-value cohort: %v, want a DimensionError", err)
	}
}

// BenchmarkVerifyWithCohort is one Verify against a person with a cohort
// of the shipped model's size (4,021 faces of 128 values, k 50): the
// probe's statistics are the added cost (the template's are cached).
func BenchmarkVerifyWithCohort(b *testing.B) {
	r := rand.New(rand.NewPCG(11, 12))
	c, err := NewCohort(randomUnits(r, 4021, 128), 50)
	if err != nil {
		b.Fatal(err)
	}
	g := newGallery(b, Config{Threshold: 1, Cohort: c})
	faces := randomUnits(r, 2, 128)
	enroll(b, g, "alice", faces[0])
	for b.Loop() {
		if _, err := g.Verify("alice", faces[1], 0); err != nil {
			b.Fatal(err)
		}
	}
}
