package train

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/face"
)

// TestViewJitter: view 0 is the plain face; the others are reproducible
// draws that differ from view to view and from sample to sample.
func TestViewJitter(t *testing.T) {
	r := face.DefaultJitterRange
	if j := ViewJitter(r, 1, 3, 0); j != (face.Jitter{}) {
		t.Errorf("view 0 = %+v, want the zero Jitter", j)
	}
	if ViewJitter(r, 1, 3, 2) != ViewJitter(r, 1, 3, 2) {
		t.Error("a view's jitter is not reproducible")
	}
	if ViewJitter(r, 1, 3, 2) == ViewJitter(r, 1, 3, 1) || ViewJitter(r, 1, 3, 2) == ViewJitter(r, 1, 4, 2) ||
		ViewJitter(r, 1, 3, 2) == ViewJitter(r, 2, 3, 2) {
		t.Error("views of other samples, numbers or seeds share a jitter")
	}
}

// TestViewsAreConsistent: the teacher's embedding of a view is the
// embedding of exactly the crop the trainer shows the student for that
// view, the views come back from their cache without a teacher, and a
// cache made with another seed is not used.
func TestViewsAreConsistent(t *testing.T) {
	samples := synthetic(3, 2, 8)
	m, err := embedder.NewCompact(9)
	if err != nil {
		t.Fatal(err)
	}
	teacher, err := embedder.New(m) // same template as the student: blur unscaled
	if err != nil {
		t.Fatal(err)
	}
	const count = 4
	path := filepath.Join(t.TempDir(), "views.bin")
	ctx := context.Background()
	calls := 0
	vw, err := TeacherViews(ctx, []*embedder.Embedder{teacher}, samples, teacher.Template, count, face.DefaultJitterRange, 5, path, "k",
		func(done, total int) {
			calls++
			if total != len(samples)*count || done > total {
				t.Errorf("progress %d of %d, want a total of %d", done, total, len(samples)*count)
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(vw.Vecs) != len(samples)*count || calls == 0 {
		t.Fatalf("%d view embeddings (%d progress calls), want %d", len(vw.Vecs), calls, len(samples)*count)
	}

	targets := randomTargets(len(samples), 3)
	targets.Views = vw
	tr := newTrainer(t, samples, targets, tinyConfig())
	var idx, views []int
	var jit []face.Jitter
	for i := range samples {
		for v := range count {
			idx, views, jit = append(idx, i), append(views, v), append(jit, vw.Jitter(i, v))
		}
	}
	if err := tr.alignBatch(idx, jit); err != nil {
		t.Fatal(err)
	}
	seen, err := teacher.EmbedCrops(tr.crops[:len(idx)])
	if err != nil {
		t.Fatal(err)
	}
	for k := range idx {
		want := tr.target(idx, jit, views, k)
		for c := range want {
			if d := math.Abs(float64(seen[k][c] - want[c])); d > 1e-5 {
				t.Fatalf("sample %d view %d: the student's crop embeds to %g at %d, the view's target is %g",
					idx[k], views[k], seen[k][c], c, want[c])
			}
		}
	}
	if d := seen[0][0] - seen[1][0]; d == 0 {
		t.Error("view 0 and view 1 of a face embed alike: the views are not jittered")
	}

	// From the cache: no teacher needed, same values.
	again, err := TeacherViews(ctx, nil, samples, teacher.Template, count, face.DefaultJitterRange, 5, path, "k", nil)
	if err != nil {
		t.Fatalf("views from their cache: %v", err)
	}
	if again.Vecs[5][7] != vw.Vecs[5][7] {
		t.Error("views from their cache differ")
	}
	if _, err := TeacherViews(ctx, nil, samples, teacher.Template, count, face.DefaultJitterRange, 6, path, "k", nil); err == nil {
		t.Error("a cache of views made with another seed was used")
	}
	if _, err := TeacherViews(ctx, nil, samples, teacher.Template, 0, face.DefaultJitterRange, 5, path, "k", nil); err == nil {
		t.Error("0 views accepted")
	}

	// Training on view targets runs; a wrong number of them is refused.
	if _, err := tr.RunEpoch(ctx, 0, nil); err != nil {
		t.Fatalf("an epoch on view targets: %v", err)
	}
	targets.Views = &Views{Count: count, Vecs: vw.Vecs[1:]}
	m2, _ := embedder.NewCompact(1)
	if _, err := NewTrainer(m2, embedder.CompactTemplate, embedder.CompactNorm, samples, targets, tinyConfig()); err == nil {
		t.Error("NewTrainer accepted fewer view targets than samples × views")
	}
}
