package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
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

func TestReadFIWPeople(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"F0001/MID1/P00001_face0.jpg", "F0001/MID1/P00002_face1.jpg", "F0002/MID3/P00009_face2.jpg", "F0002/MID3/notes.txt"} {
		path := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	people, err := ReadFIWPeople(strings.NewReader("2\nF0001/MID1\t2\nF0002/MID3\t1\n"), root)
	if err != nil {
		t.Fatal(err)
	}
	if len(people) != 2 || people[0].Name != "F0001/MID1" || len(people[0].Images) != 2 ||
		people[1].Images[0] != filepath.Join(root, "F0002", "MID3", "P00009_face2.jpg") {
		t.Fatalf("got %+v", people)
	}
	for list, why := range map[string]string{
		"1\nF0001/MID1\t3\n": "a count the folder does not hold",
		"1\nF0001/MID9\t1\n": "a missing folder",
		"1\nAnn 2\n":         "an LFW line",
		"1\nF0001/MID1\tx\n": "a count that is not a number",
		"0\n":                "an empty list",
	} {
		if _, err := ReadFIWPeople(strings.NewReader(list), root); err == nil {
			t.Errorf("%s accepted", why)
		}
	}
	for name, fam := range map[string]string{"F0001/MID2": "F0001", "fiw/F0123/MID10": "F0123", "orl/s1": "", "George_W_Bush": ""} {
		if got := FIWFamily(name); got != fam {
			t.Errorf("FIWFamily(%q) = %q, want %q", name, got, fam)
		}
	}
}

func TestORLPairs(t *testing.T) {
	root := t.TempDir()
	if _, err := ORLPairs(root); err == nil {
		t.Fatal("an empty folder gave pairs")
	}
	for p := 1; p <= 40; p++ {
		for k := 1; k <= 10; k++ {
			path := filepath.Join(root, fmt.Sprintf("s%d", p), fmt.Sprintf("%d.png", k))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	pairs, err := ORLPairs(root)
	if err != nil {
		t.Fatal(err)
	}
	person := func(path string) string { return filepath.Base(filepath.Dir(path)) }
	seen := map[[2]string]bool{}
	folds := map[string]int{}
	count := map[[2]int]int{} // fold, same
	for _, p := range pairs {
		if (person(p.A) == person(p.B)) != p.Same {
			t.Fatalf("%+v: label does not match the people", p)
		}
		if p.A == p.B || seen[[2]string{p.A, p.B}] || seen[[2]string{p.B, p.A}] {
			t.Fatalf("%+v: an image with itself or a pair twice", p)
		}
		seen[[2]string{p.A, p.B}] = true
		for _, path := range []string{p.A, p.B} {
			if f, ok := folds[person(path)]; ok && f != p.Fold {
				t.Fatalf("%s is in folds %d and %d", person(path), f, p.Fold)
			}
			folds[person(path)] = p.Fold
		}
		same := 0
		if p.Same {
			same = 1
		}
		count[[2]int{p.Fold, same}]++
	}
	for f := 0; f < 10; f++ {
		if count[[2]int{f, 0}] != 180 || count[[2]int{f, 1}] != 180 {
			t.Errorf("fold %d: %d pairs of one person, %d of two; want 180 each", f, count[[2]int{f, 1}], count[[2]int{f, 0}])
		}
	}
}

func TestFIWPairs(t *testing.T) {
	var people []Person
	for f := 1; f <= 6; f++ {
		for m := 1; m <= 3; m++ {
			name := fmt.Sprintf("F%04d/MID%d", f, m)
			p := Person{Name: name}
			for k := 0; k < 1+(f+m)%3; k++ {
				p.Images = append(p.Images, fmt.Sprintf("%s/P%d.jpg", name, k))
			}
			people = append(people, p)
		}
	}
	for _, kin := range []bool{false, true} {
		pairs, err := FIWPairs(people, 20, kin, 1)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := FIWPairs(people, 20, kin, 1)
		if !slices.Equal(pairs, again) {
			t.Fatal("the same seed drew other pairs")
		}
		if len(pairs) != 40 {
			t.Fatalf("%d pairs, want 40", len(pairs))
		}
		for i, p := range pairs {
			a, b := filepath.Dir(p.A), filepath.Dir(p.B)
			if p.Same != (i < 20) || p.Same != (a == b) || p.Fold != i%20/2 {
				t.Fatalf("pair %d %+v: want 20 of one person then 20 of two, in folds of 2", i, p)
			}
			if !p.Same && (FIWFamily(a) == FIWFamily(b)) != kin {
				t.Fatalf("pair %d %+v: relatives %v, want %v", i, p, !kin, kin)
			}
		}
	}
	if _, err := FIWPairs([]Person{{Name: "Ann", Images: []string{"a", "b"}}}, 1, false, 1); err == nil {
		t.Error("a person who is not a FIW individual was accepted")
	}
	if _, err := FIWPairs(people, 1000, false, 1); err == nil {
		t.Error("more pairs than the people hold were drawn without an error")
	}
}
