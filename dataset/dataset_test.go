package dataset

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestReadLFWPairsView1Folds(t *testing.T) {
	var b strings.Builder
	b.WriteString("20\n")
	for i := 0; i < 20; i++ {
		b.WriteString("Ann_Lee 1 2\n")
	}
	for i := 0; i < 20; i++ {
		b.WriteString("Ann_Lee 1 Bo_Chu 3\n")
	}
	pairs, err := ReadLFWPairs(strings.NewReader(b.String()), "/r")
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 40 {
		t.Fatalf("got %d pairs", len(pairs))
	}
	if pairs[0].A != filepath.Join("/r", "Ann_Lee", "Ann_Lee_0001.jpg") || !pairs[0].Same {
		t.Errorf("first pair %+v", pairs[0])
	}
	if pairs[20].B != filepath.Join("/r", "Bo_Chu", "Bo_Chu_0003.jpg") || pairs[20].Same {
		t.Errorf("first mismatched pair %+v", pairs[20])
	}
	// Each fold holds 2 matched + 2 mismatched pairs.
	count := map[int][2]int{}
	for _, p := range pairs {
		c := count[p.Fold]
		if p.Same {
			c[0]++
		} else {
			c[1]++
		}
		count[p.Fold] = c
	}
	if len(count) != 10 {
		t.Fatalf("want 10 folds, got %d", len(count))
	}
	for f, c := range count {
		if c != [2]int{2, 2} {
			t.Errorf("fold %d has %v matched/mismatched, want 2/2", f, c)
		}
	}
}

func TestReadLFWPairsView2(t *testing.T) {
	in := "2 1\nA 1 2\nA 1 B 1\nC 1 2\nC 2 D 1\n"
	pairs, err := ReadLFWPairs(strings.NewReader(in), "r")
	if err != nil {
		t.Fatal(err)
	}
	if pairs[1].Fold != 0 || pairs[2].Fold != 1 {
		t.Errorf("folds %d %d, want 0 1", pairs[1].Fold, pairs[2].Fold)
	}
}

func TestReadPairsErrors(t *testing.T) {
	for _, in := range []string{"", "x\n", "2\nA 1 2\n", "1\nA 1\nB 1 C 1\n", "1\nA one 2\nA 1 B 1\n", "-1\n"} {
		if _, err := ReadLFWPairs(strings.NewReader(in), "r"); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
	for _, in := range []string{"", "a b\n", "a b 2\n"} {
		if _, err := ReadPlainPairs(strings.NewReader(in), "r"); err == nil {
			t.Errorf("plain %q: no error", in)
		}
	}
}

func TestReadPlainPairs(t *testing.T) {
	in := "# comment\na.jpg b.jpg 1\nc.jpg d.jpg 0 # trailing\n"
	pairs, err := ReadPlainPairs(strings.NewReader(in), "root")
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 2 || !pairs[0].Same || pairs[1].Same || pairs[1].A != filepath.Join("root", "c.jpg") {
		t.Fatalf("got %+v", pairs)
	}
}

func TestReadPeople(t *testing.T) {
	people, err := ReadPeople(strings.NewReader("2\nAnn 2\nBo 1\n"), "r")
	if err != nil {
		t.Fatal(err)
	}
	if len(people) != 2 || len(people[0].Images) != 2 || people[0].Images[1] != filepath.Join("r", "Ann", "Ann_0002.jpg") {
		t.Fatalf("got %+v", people)
	}
	if _, err := ReadPeople(strings.NewReader("1\nAnn x\n"), "r"); err == nil {
		t.Error("bad count accepted")
	}
}

// TestRealLFWLists reads the real lists when the data is present.
func TestRealLFWLists(t *testing.T) {
	root, err := Root()
	if err != nil {
		t.Skip("skipping: ", err)
	}
	lfw := filepath.Join(root, "lfw")
	pairs, err := ReadPairsFile(filepath.Join(lfw, "pairsDevTest.txt"), filepath.Join(lfw, "images"), "lfw")
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 1000 {
		t.Errorf("pairsDevTest has %d pairs, want 1000", len(pairs))
	}
	train, err := ReadPeopleFile(filepath.Join(lfw, "peopleDevTrain.txt"), filepath.Join(lfw, "images"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range train {
		n += len(p.Images)
	}
	if len(train) != 4038 || n != 9525 {
		t.Errorf("peopleDevTrain: %d people, %d images; want 4038, 9525", len(train), n)
	}
}
