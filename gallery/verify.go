package gallery

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Verdict is the answer of Verify: does the face match the person?
type Verdict struct {
	// Match is true when Distance ≤ Threshold.
	Match bool
	// Distance is the squared distance from the face's embedding to the
	// person's template, 0…MaxDistance; with a cohort, the normalised one
	// (see Cohort), on the same scale.
	Distance float32
	// Threshold is the threshold the verdict used.
	Threshold float32
	// Score is Distance as a 0–100 similarity, 50 at the threshold (see
	// the package comment and Score).
	Score float32
}

// Candidate is one person in the ranking Identify returns.
type Candidate struct {
	// ID names the person.
	ID string
	// Distance is the squared distance from the face's embedding to the
	// person's template (normalised with a cohort, as Verdict.Distance).
	Distance float32
	// Score is Distance as a 0–100 similarity, 50 at the threshold.
	Score float32
	// Match is true when Distance ≤ the threshold used.
	Match bool
}

// Score maps a squared distance d between unit vectors to a 0–100
// similarity a person can read, given the threshold τ: 100 at d = 0,
// falling linearly to 50 at d = τ, then linearly to 0 at d = MaxDistance.
// It is monotone (a smaller distance never scores lower), clamped to 0…100,
// and 50 or more exactly when d ≤ τ. τ must satisfy ValidateThreshold.
func Score(d, threshold float32) float32 {
	dd, t := float64(d), float64(threshold)
	var s float64
	if dd <= t {
		s = 100 - 50*dd/t
	} else {
		s = 50 * (MaxDistance - dd) / (MaxDistance - t)
	}
	return float32(min(max(s, 0), 100))
}

// Verify compares a face's embedding with the template of the person
// enrolled as id. threshold 0 means the gallery's default; otherwise it
// must satisfy ValidateThreshold. The embedding is scaled to unit length
// before it is compared.
func (g *Gallery) Verify(id string, emb []float32, threshold float32) (Verdict, error) {
	if err := ValidateID(id); err != nil {
		return Verdict{}, err
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	t, err := g.resolveThreshold(threshold)
	if err != nil {
		return Verdict{}, err
	}
	p, ok := g.people[id]
	if !ok {
		return Verdict{}, notEnrolled(id)
	}
	if p.again != "" {
		return Verdict{}, fmt.Errorf("%w: %q must enroll again: %s", ErrEnrollAgain, id, p.again)
	}
	u, err := g.probe(emb)
	if err != nil {
		return Verdict{}, err
	}
	distTo, err := g.comparer(u)
	if err != nil {
		return Verdict{}, err
	}
	d := distTo(p)
	return Verdict{Match: d <= t, Distance: d, Threshold: t, Score: Score(d, t)}, nil
}

// Identify ranks the enrolled people by the distance of their templates to
// a face's embedding, nearest first, and returns the k nearest (every
// person when k is 0). unknown is true when nobody is within the threshold
// (an empty gallery included): the face is of nobody enrolled. threshold 0
// means the gallery's default. People at equal distances are ranked by id.
func (g *Gallery) Identify(emb []float32, threshold float32, k int) (cands []Candidate, unknown bool, err error) {
	if k < 0 {
		return nil, false, fmt.Errorf("k is %d: ask for a positive number of candidates, or 0 for all", k)
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	t, err := g.resolveThreshold(threshold)
	if err != nil {
		return nil, false, err
	}
	u, err := g.probe(emb)
	if err != nil {
		return nil, false, err
	}
	distTo, err := g.comparer(u)
	if err != nil {
		return nil, false, err
	}
	cands = make([]Candidate, 0, len(g.people))
	for id, p := range g.people {
		if p.again != "" {
			continue // nothing to compare with until they enroll again
		}
		d := distTo(p)
		cands = append(cands, Candidate{ID: id, Distance: d, Score: Score(d, t), Match: d <= t})
	}
	slices.SortFunc(cands, func(a, b Candidate) int {
		return cmp.Or(cmp.Compare(a.Distance, b.Distance), cmp.Compare(a.ID, b.ID))
	})
	if k > 0 && k < len(cands) {
		cands = cands[:k:k]
	}
	return cands, len(cands) == 0 || !cands[0].Match, nil
}

// comparer returns the function that gives the distance from the unit
// probe u to a person's template: the raw squared distance, or with a
// cohort the normalised one (u's statistics computed once here, the
// templates' cached). Callers hold g.mu for reading.
func (g *Gallery) comparer(u []float32) (func(p *person) float32, error) {
	c := g.cohort
	if c == nil {
		return func(p *person) float32 { return dist(u, p.template) }, nil
	}
	su, err := c.Stats(u)
	if err != nil {
		return nil, err
	}
	return func(p *person) float32 { return c.Distance(u, p.template, su, g.templateStats(c, p)) }, nil
}

// templateStats returns the cohort statistics of p's template, computing
// them on first use. Callers hold g.mu for reading; c is g.cohort.
func (g *Gallery) templateStats(c *Cohort, p *person) CohortStats {
	g.statsMu.Lock()
	defer g.statsMu.Unlock()
	if s, ok := g.stats[p]; ok {
		return s
	}
	if g.stats == nil || len(g.stats) > 2*len(g.people)+16 {
		g.stats = map[*person]CohortStats{} // forget replaced people
	}
	s, err := c.Stats(p.template)
	if err != nil {
		// Not reached: comparer checked the probe against the cohort, and
		// templates have the probe's length (probe checks it).
		panic("gallery: " + err.Error())
	}
	g.stats[p] = s
	return s
}

// resolveThreshold returns the threshold a call uses. Callers hold g.mu.
func (g *Gallery) resolveThreshold(t float32) (float32, error) {
	if t == 0 {
		if g.threshold == 0 {
			return 0, errors.New("no threshold: the gallery has no default (its model has no calibrated threshold), so pass one")
		}
		return g.threshold, nil
	}
	if err := ValidateThreshold(t); err != nil {
		return 0, err
	}
	return t, nil
}

// probe checks a face's embedding against the gallery and returns it at
// unit length. Callers hold g.mu.
func (g *Gallery) probe(emb []float32) ([]float32, error) {
	if g.dim != 0 && len(emb) != g.dim {
		return nil, &DimensionError{Got: len(emb), Want: g.dim}
	}
	if len(emb) > MaxDim {
		return nil, fmt.Errorf("embedding has %d values, the limit is %d", len(emb), MaxDim)
	}
	return Unit(emb)
}
