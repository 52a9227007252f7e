package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/oneshotface/oneshot/dataset"
)

// people makes a list: n people, person i with counts[i % len(counts)] images.
func people(n int, counts ...int) []Person {
	out := make([]Person, n)
	for i := range out {
		out[i] = Person{fmt.Sprintf("P%03d", i), counts[i%len(counts)]}
	}
	return out
}

func TestSplit(t *testing.T) {
	list := people(200, 1, 2, 5, 40)
	c := Config{Every: 4, MaxImages: 10, PerPerson: 3, Seed: 7}
	r, err := Split(list, c)
	if err != nil {
		t.Fatal(err)
	}
	// Every person is in exactly one half, in list order.
	if got := len(r.Train) + len(r.Held); got != len(list) {
		t.Fatalf("%d people in the two halves, want %d", got, len(list))
	}
	held := map[string]bool{}
	for _, p := range r.Held {
		held[p.Name] = true
		if p.Images > c.MaxImages {
			t.Errorf("%s with %d images held out (max %d)", p.Name, p.Images, c.MaxImages)
		}
	}
	for _, p := range r.Train {
		if held[p.Name] {
			t.Errorf("%s both trained on and held out", p.Name)
		}
	}
	// 50 people each of 1, 2 and 5 images: every fourth of the 50 singles
	// and of the 100 eligible multi-image people.
	if want := 50/4 + 100/4; len(r.Held) != want {
		t.Errorf("%d held out, want %d", len(r.Held), want)
	}
	// Pairs: only held-out people; matched pairs of one person and two
	// distinct images; mismatched of two people; as many of each; no
	// pair twice; image numbers within each person's count.
	count := map[string]int{}
	for _, p := range list {
		count[p.Name] = p.Images
	}
	if len(r.Matched) == 0 || len(r.Mismatched) != len(r.Matched) {
		t.Fatalf("%d matched, %d mismatched pairs", len(r.Matched), len(r.Mismatched))
	}
	seen := map[Pair]bool{}
	perPerson := map[string]int{}
	for i, p := range slices.Concat(r.Matched, r.Mismatched) {
		same := i < len(r.Matched)
		for _, im := range []Image{p.A, p.B} {
			if !held[im.Name] {
				t.Errorf("pair %v uses %s, who is trained on", p, im.Name)
			}
			if im.N < 1 || im.N > count[im.Name] {
				t.Errorf("pair %v: image %d of %s, who has %d", p, im.N, im.Name, count[im.Name])
			}
		}
		if same != (p.A.Name == p.B.Name) || (same && p.A.N == p.B.N) {
			t.Errorf("pair %v in the wrong half (matched: %v)", p, same)
		}
		if seen[p] {
			t.Errorf("pair %v twice", p)
		}
		seen[p] = true
		if same {
			perPerson[p.A.Name]++
		}
	}
	for name, n := range perPerson {
		if want := min(c.PerPerson, count[name]*(count[name]-1)/2); n != want {
			t.Errorf("%s: %d matched pairs, want %d", name, n, want)
		}
	}
	// The same seed draws the same pairs; another seed others.
	again, _ := Split(list, c)
	if !slices.Equal(again.Matched, r.Matched) || !slices.Equal(again.Mismatched, r.Mismatched) {
		t.Error("the same seed drew other pairs")
	}
	c.Seed++
	other, _ := Split(list, c)
	if slices.Equal(other.Mismatched, r.Mismatched) {
		t.Error("another seed drew the same mismatched pairs")
	}
}

func TestSplitRefuses(t *testing.T) {
	for _, tc := range []struct {
		list []Person
		c    Config
		want string
	}{
		{people(10, 2), Config{Every: 1, MaxImages: 10, PerPerson: 1}, "at least"},
		{people(10, 1), Config{Every: 2, MaxImages: 10, PerPerson: 1}, "two images"},
		{people(10, 50), Config{Every: 2, MaxImages: 10, PerPerson: 1}, "two images"},
		{people(2, 2), Config{Every: 2, MaxImages: 10, PerPerson: 1}, "two images"},
		{[]Person{{"A", 0}}, Config{Every: 2, MaxImages: 10, PerPerson: 1}, "0 images"},
	} {
		_, err := Split(tc.list, tc.c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Split(%v, %+v): %v, want an error about %q", tc.list, tc.c, err, tc.want)
		}
	}
}

// The files read back through package dataset as cmd/train and cmd/eval
// read them: the people list with every trained person's images, the
// pairs with their halves and ten folds.
func TestFilesReadBack(t *testing.T) {
	r, err := Split(people(300, 1, 3, 6), Config{Every: 3, MaxImages: 10, PerPerson: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var pb, qb strings.Builder
	r.WritePeople(&pb)
	r.WritePairs(&qb)

	got, err := dataset.ReadPeople(strings.NewReader(pb.String()), "root")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(r.Train) || got[0].Name != r.Train[0].Name || len(got[0].Images) != r.Train[0].Images {
		t.Errorf("people list reads back as %d people (first %+v), want %d (first %+v)", len(got), got[0], len(r.Train), r.Train[0])
	}
	pairs, err := dataset.ReadLFWPairs(strings.NewReader(qb.String()), "root")
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 2*len(r.Matched) {
		t.Fatalf("%d pairs read back, want %d", len(pairs), 2*len(r.Matched))
	}
	folds := map[int]int{}
	for i, p := range pairs {
		if p.Same != (i < len(r.Matched)) {
			t.Errorf("pair %d: same %v", i, p.Same)
		}
		folds[p.Fold]++
	}
	if len(folds) != 10 {
		t.Errorf("pairs fall in %d folds, want 10", len(folds))
	}
}
