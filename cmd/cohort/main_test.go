package main

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/oneshotface/oneshot/dataset"
)

func TestParse(t *testing.T) {
	o, err := parse([]string{"-model", "a", "-out", "b", "-people", "p", "-pairs", "q", "-root", "r", "-k", "7", "-faces", "3000", "-mirror=false", "-half", "-int8", "-fiw", "f", "-fiw-pairs", "30", "-cohort=false", "-composites", "9", "-five-point"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o != (options{model: "a", out: "b", k: 7, faces: 3000, mirror: false, half: true, int8: true, people: "p", pairs: "q", root: "r", fiw: "f", fiwPairs: 30, cohort: false, composites: 9, fivePoint: true, fivePointSet: true}) {
		t.Errorf("parsed %+v", o)
	}
	for _, args := range [][]string{
		{"-out", "b"},
		{"-model", "a"},
		{"-model", "a", "-out", "b", "-k", "0"},
		{"-model", "a", "-out", "b", "extra"},
		{"-model", "a", "-out", "b", "-k", "x"},
		{"-model", "a", "-out", "b", "-faces", "-1"},
		{"-model", "a", "-out", "b", "-faces", "20"}, // fewer than k's 50
		{"-model", "a", "-out", "b", "-fiw-pairs", "0"},
		{"-model", "a", "-out", "b", "-fiw-cohort", "-cohort=false"},
		{"-model", "a", "-out", "b", "-fiw-cohort", "-fiw", "none"},
		{"-model", "a", "-out", "b", "-fiw-composite", "1"},
		{"-model", "a", "-out", "b", "-fiw-composite", "4", "-composites", "0"},
		{"-model", "a", "-out", "b", "-fiw-composite", "4", "-cohort=false"},
		{"-model", "a", "-out", "b", "-fiw-composite", "4", "-fiw", "none"},
	} {
		if _, err := parse(args, io.Discard); err == nil {
			t.Errorf("%s: no error", strings.Join(args, " "))
		}
	}
	o, err = parse([]string{"-model", "a", "-out", "b", "-people", "p", "-pairs", "q", "-root", "r", "-fiw", "none"}, io.Discard)
	if err != nil || o.k != 50 || o.faces != 0 || !o.mirror || o.half || o.int8 || !o.cohort || o.fiw != "" || o.fiwPairs != 1100 || o.composite != 0 || o.fivePointSet {
		t.Errorf("defaults: %+v %v, want k 50, mirroring, a cohort, float32 weights, no FIW people (-fiw none), 1100 FIW pairs, no composites and the model's own alignment", o, err)
	}
}

func TestPerson(t *testing.T) {
	for path, want := range map[string]string{
		"/data/lfw/images/Tony_Blair/Tony_Blair_0001.jpg": "/data/lfw/images/Tony_Blair",
		"/data/fiw/images/F0001/MID1/P00001_face0.jpg":    "/data/fiw/images/F0001/MID1",
		"/data/fiw/images/F0002/MID1/P00003_face1.jpg":    "/data/fiw/images/F0002/MID1", // MID1 of another family: another person
	} {
		if got := person(path); got != want {
			t.Errorf("person(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestNorm(t *testing.T) {
	if n := norm([]float32{3, 4}); n != 5 {
		t.Errorf("norm(3, 4) = %v", n)
	}
}

// TestBlend: every blended face is the sum of two different people's faces
// and names both; every person takes part in exactly two blends.
func TestBlend(t *testing.T) {
	vecs := [][]float32{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}, {1, 1, 0, 0}}
	names := [][]string{{"a"}, {"b"}, {"c"}, {"d"}, {"e"}}
	out, outNames := blend(vecs, names)
	if len(out) != len(vecs) || len(outNames) != len(vecs) {
		t.Fatalf("%d faces and %d names from 5", len(out), len(outNames))
	}
	uses := map[string]int{}
	for i, v := range out {
		if len(outNames[i]) != 2 || outNames[i][0] != names[i][0] || outNames[i][1] == outNames[i][0] {
			t.Fatalf("blend %d names %v", i, outNames[i])
		}
		j := slices.IndexFunc(names, func(n []string) bool { return n[0] == outNames[i][1] })
		for k := range v {
			if v[k] != vecs[i][k]+vecs[j][k] {
				t.Fatalf("blend %d is %v, not face %d + face %d", i, v, i, j)
			}
		}
		for _, n := range outNames[i] {
			uses[n]++
		}
	}
	for _, n := range names {
		if uses[n[0]] != 2 {
			t.Errorf("%s takes part in %d blends, want 2", n[0], uses[n[0]])
		}
	}
}

// TestInterleave: LFW's and FIW's people take turns, then the longer list
// goes on, so a cohort cut short holds both sets.
func TestInterleave(t *testing.T) {
	p := func(names ...string) []dataset.Person {
		var out []dataset.Person
		for _, n := range names {
			out = append(out, dataset.Person{Name: n})
		}
		return out
	}
	got := interleave(p("l1", "l2", "l3"), p("f1"))
	var names []string
	for _, q := range got {
		names = append(names, q.Name)
	}
	if want := []string{"l1", "f1", "l2", "l3"}; !slices.Equal(names, want) {
		t.Fatalf("interleave gave %v, want %v", names, want)
	}
}
