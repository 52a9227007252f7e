package nn

import (
	"errors"
	"fmt"
	"maps"
)

// Ensemble joins two trained embedders that take the same input into one
// model whose output is the unit-length sum of theirs,
//
//	y = (a(x) + b(x)) / ‖a(x) + b(x)‖,
//
// built from layers the engine already has: a Residual whose body is a's
// network and whose shortcut is b's, followed by an L2Normalize. With unit
// outputs the cosine of two such embeddings is, up to their lengths, the
// mean of the four cosines between the members' outputs, so the sum only
// means something when the members map faces into one space: two students
// distilled from the same teacher's embedding do (they are trained to
// agree with it), two networks trained on their own do not, and their sum
// verifies worse than either. Unlike Average (a soup), the members may
// start from different weights, which is what makes them err on different
// faces; the price is both networks' time and size.
//
// Parameters are named "0.body.…" (a's) and "0.shortcut.…" (b's). The
// result has a copy of a's Meta and Input; a and b are left as they are.
// Both networks must be *Sequential with the same Input.
func Ensemble(a, b *Model) (*Model, error) {
	if a == nil || b == nil || a.Net == nil || b.Net == nil {
		return nil, errors.New("nn: ensemble: a member has no network")
	}
	if a.Input != b.Input {
		return nil, fmt.Errorf("nn: ensemble: members take inputs %v and %v; they must take the same", a.Input, b.Input)
	}
	ca, err := a.Clone()
	if err != nil {
		return nil, fmt.Errorf("nn: ensemble: %w", err)
	}
	cb, err := b.Clone()
	if err != nil {
		return nil, fmt.Errorf("nn: ensemble: %w", err)
	}
	sa, okA := ca.Net.(*Sequential)
	sb, okB := cb.Net.(*Sequential)
	if !okA || !okB {
		return nil, fmt.Errorf("nn: ensemble: members' networks are %T and %T; both must be *Sequential", a.Net, b.Net)
	}
	net := NewSequential("", NewResidual("", sa, sb), NewL2Normalize("", 0))
	m := &Model{Net: net, Input: a.Input, Half: a.Half}
	if a.Meta != nil {
		m.Meta = maps.Clone(a.Meta)
	}
	return m, nil
}
