package main

import (
	"testing"

	"github.com/oneshotface/oneshot/dataset"
)

func TestPickSpreadsEvenly(t *testing.T) {
	var people []dataset.Person
	for i := range 10 {
		people = append(people, dataset.Person{Name: string(rune('a' + i))})
	}
	got := pick(people, 3)
	if len(got) != 3 || got[0].Name != "a" || got[1].Name != "d" || got[2].Name != "g" {
		t.Fatalf("pick 3 of 10: %v", got)
	}
	if len(pick(people, 20)) != 10 {
		t.Fatal("asking for more people than there are should give them all")
	}
}

func TestReachLineCountsPeopleShortOfEachThreshold(t *testing.T) {
	got := reachLine([]float64{0.05, 0.09, 0.2})
	want := "1 of 3 short of 0.06, 1 of 3 short of 0.08, 2 of 3 short of 0.10, 2 of 3 short of 0.12, 2 of 3 short of 0.15"
	if got != want {
		t.Fatalf("reachLine = %q, want %q", got, want)
	}
}

func TestQuantiles(t *testing.T) {
	mx, p95 := quantiles([]float64{0.3, 0.1, 0.2})
	if mx != 0.3 || p95 != 0.2 {
		t.Fatalf("max %v, 95th %v", mx, p95)
	}
	if mx, p := quantiles(nil); mx != 0 || p != 0 {
		t.Fatal("no values should give zeros")
	}
}
