package face

import (
	"slices"
	"testing"
)

func TestProblemMessages(t *testing.T) {
	if Problem(0).String() != "ok" || Problem(0).Messages() != nil {
		t.Error("the zero Problem is not ok")
	}
	p := TooDark | NoFace | TooBlurry
	want := []string{"no face", "too dark", "too blurry: hold still"}
	if got := p.Messages(); !slices.Equal(got, want) {
		t.Errorf("Messages = %q, want %q", got, want)
	}
	if !p.Has(TooDark|NoFace) || p.Has(TooDark|TooBright) {
		t.Error("Has is wrong")
	}
	for i := 0; Problem(1)<<i < lastProblem; i++ {
		if len((Problem(1) << i).Messages()) != 1 {
			t.Errorf("problem %d has no message", i)
		}
	}
	q := Quality{Faces: 3, Problems: SeveralFaces | FaceTooSmall}
	if got := q.Reasons(); !slices.Equal(got, []string{"3 faces", "face too small: come closer"}) {
		t.Errorf("Reasons = %q", got)
	}
	q.Faces = 2
	if got := q.Reasons(); got[0] != "two faces" {
		t.Errorf("Reasons = %q", got)
	}
}
