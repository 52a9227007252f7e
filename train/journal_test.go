package train

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/face"
)

// TestJournalKeepsWorkAcrossRuns: what one run appended, the next reads
// back; a record cut short or damaged ends the journal there, what came
// before it is kept; a journal of another key or size starts afresh.
func TestJournalKeepsWorkAcrossRuns(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "c.bin")
	path := cache + ".journal"
	open := func(key string, total int) *journal {
		t.Helper()
		j, err := openJournal(cache, key, total)
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	vec := func(k int) []float32 { return []float32{float32(k), -1, 0.5} }

	j := open("k", 10)
	if j.Len() != 0 {
		t.Fatalf("a new journal holds %d", j.Len())
	}
	for _, k := range []int{0, 3, 5} {
		j.Add(k, vec(k))
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j = open("k", 10)
	if j.Len() != 3 || !slices.Equal(j.Have(3), vec(3)) || j.Have(1) != nil {
		t.Fatalf("read back %d records, record 3 %v, record 1 %v", j.Len(), j.Have(3), j.Have(1))
	}
	j.Close()

	// A record cut short (the process killed while writing) goes; the
	// next record is appended where the good ones end.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{7, 0, 0, 0, 3, 0, 0, 0, 1, 2})
	f.Close()
	j = open("k", 10)
	if j.Len() != 3 {
		t.Fatalf("after a cut record: %d records, want 3", j.Len())
	}
	j.Add(7, vec(7))
	j.Close()
	j = open("k", 10)
	if j.Len() != 4 || !slices.Equal(j.Have(7), vec(7)) {
		t.Fatalf("a record appended after a cut one: %d records, record 7 %v", j.Len(), j.Have(7))
	}
	j.Close()

	// A damaged record ends the journal: the last one's checksum broken.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-5] ^= 1
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	j = open("k", 10)
	if j.Len() != 3 || j.Have(7) != nil {
		t.Fatalf("after a damaged record: %d records, record 7 %v", j.Len(), j.Have(7))
	}
	j.Close()

	for _, other := range []struct {
		key   string
		total int
	}{{"other teacher", 10}, {"k", 11}} {
		j = open(other.key, other.total)
		if j.Len() != 0 {
			t.Errorf("a journal for key %q, %d embeddings, read %d records of another", other.key, other.total, j.Len())
		}
		j.Close()
	}
	j = open("k", 10)
	if err := j.Done(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Done left the journal: %v", err)
	}
	if j, err := openJournal("", "k", 10); j != nil || err != nil || j.Have(0) != nil || j.Len() != 0 {
		t.Error("no cache file must give a journal that holds nothing")
	}
}

// TestTeacherWorkSurvivesAStop: a set of views stopped part way (its
// context cancelled) is finished by the next run, which has the teacher
// embed only the views the first did not, says how many were done, and
// gives the very embeddings an unbroken run gives. Plain targets resume
// alike.
func TestTeacherWorkSurvivesAStop(t *testing.T) {
	samples := synthetic(3, 2, 8)
	teacher := newTeacher(t, embedder.CompactV2)
	teachers := []*embedder.Embedder{teacher}
	const count = 4
	total := len(samples) * count
	r := face.DefaultJitterRange
	whole, err := TeacherViews(context.Background(), teachers, samples, teacher.Template, count, r, 5, Composition{}, "", "k", nil)
	if err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(t.TempDir(), "views.bin")
	ctx, stop := context.WithCancel(context.Background())
	_, err = TeacherViews(ctx, teachers, samples, teacher.Template, count, r, 5, Composition{}, path, "k", func(done, _ int) {
		if done >= total/2 {
			stop()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("the stopped run: %v, want context.Canceled", err)
	}
	var first, last [2]int
	calls := 0
	vw, err := TeacherViews(context.Background(), teachers, samples, teacher.Template, count, r, 5, Composition{}, path, "k", func(done, total int) {
		if calls == 0 {
			first = [2]int{done, total}
		}
		last = [2]int{done, total}
		calls++
	})
	if err != nil {
		t.Fatal(err)
	}
	if first[0] < total/2 || first[0] >= total || first[1] != total || last != [2]int{total, total} {
		t.Errorf("progress of the resumed run from %v to %v, want from at least %d of %d done to all", first, last, total/2, total)
	}
	if vw.Resumed != first[0] {
		t.Errorf("Views.Resumed %d, want the %d views progress first reported done", vw.Resumed, first[0])
	}
	for k := range whole.Vecs {
		if !slices.Equal(vw.Vecs[k], whole.Vecs[k]) {
			t.Fatalf("view %d resumed differs from an unbroken run's", k)
		}
	}
	journals, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*.journal"))
	if len(journals) != 0 {
		t.Errorf("journals left after the cache was written: %v", journals)
	}

	// Plain targets, with mirror images.
	wholeT, err := TeacherTargets(context.Background(), teachers, samples, true, "", "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	tpath := filepath.Join(t.TempDir(), "targets.bin")
	ctx, stop = context.WithCancel(context.Background())
	TeacherTargets(ctx, teachers, samples, true, tpath, "k", func(done, total int) {
		if done >= total/2 {
			stop()
		}
	})
	held := 0
	got, err := TeacherTargets(context.Background(), teachers, samples, true, tpath, "k", func(done, _ int) {
		if held == 0 {
			held = done
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if held == 0 || held >= 2*len(samples) || got.Resumed != held {
		t.Errorf("the resumed targets' first progress says %d of %d done, Targets.Resumed %d", held, 2*len(samples), got.Resumed)
	}
	for i := range samples {
		if !slices.Equal(got.Plain[i], wholeT.Plain[i]) || !slices.Equal(got.Flipped[i], wholeT.Flipped[i]) {
			t.Fatalf("target %d resumed differs from an unbroken run's", i)
		}
	}
}
