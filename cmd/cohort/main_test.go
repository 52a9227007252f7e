package main

import (
	"io"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	o, err := parse([]string{"-model", "a", "-out", "b", "-people", "p", "-pairs", "q", "-root", "r", "-k", "7", "-mirror=false"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o != (options{model: "a", out: "b", k: 7, mirror: false, people: "p", pairs: "q", root: "r"}) {
		t.Errorf("parsed %+v", o)
	}
	for _, args := range [][]string{
		{"-out", "b"},
		{"-model", "a"},
		{"-model", "a", "-out", "b", "-k", "0"},
		{"-model", "a", "-out", "b", "extra"},
		{"-model", "a", "-out", "b", "-k", "x"},
	} {
		if _, err := parse(args, io.Discard); err == nil {
			t.Errorf("%s: no error", strings.Join(args, " "))
		}
	}
	o, err = parse([]string{"-model", "a", "-out", "b", "-people", "p", "-pairs", "q", "-root", "r"}, io.Discard)
	if err != nil || o.k != 50 || !o.mirror {
		t.Errorf("defaults: %+v %v, want k 50 and mirroring", o, err)
	}
}

func TestPerson(t *testing.T) {
	if got := person("/data/lfw/images/Tony_Blair/Tony_Blair_0001.jpg"); got != "Tony_Blair" {
		t.Errorf("person = %q", got)
	}
}

func TestNorm(t *testing.T) {
	if n := norm([]float32{3, 4}); n != 5 {
		t.Errorf("norm(3, 4) = %v", n)
	}
}
