package gallery

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"unicode/utf8"
)

// EmbedFunc embeds one aligned crop, as embedder.Embedder.EmbedCrop does:
// pass that method value (e.EmbedCrop) where an EmbedFunc is wanted.
type EmbedFunc func(crop *image.RGBA) ([]float32, error)

// Reembed replaces every kept frame's embedding with embed's output for
// the frame's crop, and recomputes every template: what to do after the
// embedder has changed (fine-tuning, a new model), so that nobody has to
// enroll again. The model fingerprint is left as it is; ReembedAs changes
// it with the embeddings.
//
// It is all or nothing: if embed fails for any crop, or returns an
// embedding that is not finite, all zeros, or of another length than the
// others, the error names the person and frame and the gallery keeps its
// old embeddings. The one exception is an error wrapping ErrEnrollAgain
// (embed cannot use that person's crops): the person is then kept, crops
// and all, in the "enroll again" state (Person.EnrollAgain, EnrollAgain),
// and a later re-embedding by a model that can use the crops restores them. The new embeddings may have another length than the old
// ones (the gallery's Dim follows them), unless Config.Dim fixed it.
//
// embed is called with a copy of each crop, one at a time, while the
// gallery is locked: it must not call the gallery's methods.
func (g *Gallery) Reembed(embed EmbedFunc) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.reembed(g.model, embed)
}

// ReembedAs is Reembed that also sets the gallery's model fingerprint to
// model, in the same step: the embeddings and the fingerprint of the model
// that made them change together or not at all.
func (g *Gallery) ReembedAs(model string, embed EmbedFunc) error {
	if err := validateModel(model); err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.reembed(model, embed)
}

// reembed does Reembed's work. Callers hold g.mu for writing.
func (g *Gallery) reembed(model string, embed EmbedFunc) error {
	if embed == nil {
		return fmt.Errorf("re-embedding: the embed function is nil")
	}
	people := make(map[string]*person, len(g.people))
	dim := 0
people:
	for _, id := range g.sortedIDs() {
		old := g.people[id]
		frames := make([]frame, len(old.frames))
		for i, f := range old.frames {
			v, err := embed(f.image())
			if errors.Is(err, ErrEnrollAgain) {
				// Keep the crops, drop the embeddings: they are another model's.
				again := make([]frame, len(old.frames))
				for k, f := range old.frames {
					again[k] = frame{w: f.w, h: f.h, pix: f.pix}
				}
				people[id] = &person{id: id, enrolled: old.enrolled, frames: again, again: reason(err)}
				continue people
			}
			if err != nil {
				return fmt.Errorf("re-embedding %q, frame %d of %d: %w (the gallery is unchanged)", id, i+1, len(old.frames), err)
			}
			if len(v) > MaxDim {
				return fmt.Errorf("re-embedding %q, frame %d of %d: embedding has %d values, the limit is %d (the gallery is unchanged)", id, i+1, len(old.frames), len(v), MaxDim)
			}
			if dim == 0 {
				dim = len(v)
			}
			want := dim
			if g.fixedDim {
				want = g.dim
			}
			if len(v) != want {
				return fmt.Errorf("re-embedding %q, frame %d of %d: %w (the gallery is unchanged)", id, i+1, len(old.frames), &DimensionError{Got: len(v), Want: want})
			}
			u, err := Unit(v)
			if err != nil {
				return fmt.Errorf("re-embedding %q, frame %d of %d: %w (the gallery is unchanged)", id, i+1, len(old.frames), err)
			}
			frames[i] = frame{emb: u, w: f.w, h: f.h, pix: f.pix}
		}
		p, err := newPerson(id, old.enrolled, frames)
		if err != nil {
			return fmt.Errorf("re-embedding %q: %w (the gallery is unchanged)", id, err)
		}
		people[id] = p
	}
	if dim != 0 && encodedSize(people, model, dim) > MaxFileBytes {
		return fmt.Errorf("re-embedding: %d-value embeddings would make the gallery larger than %d bytes (the gallery is unchanged)", dim, MaxFileBytes)
	}
	g.people = people
	if dim != 0 {
		g.dim = dim
	}
	g.model = model
	return nil
}

// maxReason is the most bytes of an "enroll again" reason a gallery keeps.
const maxReason = 1000

// reason is err's message as the reason a person must enroll again, cut to
// maxReason bytes on a character boundary.
func reason(err error) string {
	s := strings.ToValidUTF8(err.Error(), "?")
	if len(s) <= maxReason {
		return s
	}
	cut := maxReason
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
