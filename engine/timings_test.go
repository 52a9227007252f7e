//go:build !js

package engine

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/oneshotface/oneshot/face"
)

// checkTimings asserts that every stage is a finite non-negative number,
// that the total covers the stages (up to the microsecond rounding of each)
// and that the stages that ran (ran) are positive and the others 0.
func checkTimings(t *testing.T, call string, tm Timings, ran ...string) {
	t.Helper()
	stages := map[string]float64{
		"detect": tm.Detect, "pupils": tm.Pupils, "quality": tm.Quality,
		"align": tm.Align, "embed": tm.Embed, "total": tm.Total,
	}
	want := map[string]bool{"total": true}
	for _, s := range ran {
		want[s] = true
	}
	var sum float64
	for name, v := range stages {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			t.Errorf("%s: timings.%s = %v, want a non-negative number", call, name, v)
		}
		if want[name] && !(v > 0) {
			t.Errorf("%s: timings.%s = %v, want > 0 (%+v)", call, name, v, tm)
		}
		if !want[name] && v != 0 {
			t.Errorf("%s: timings.%s = %v, want 0: the call has no such stage (%+v)", call, name, v, tm)
		}
		if name != "total" {
			sum += v
		}
	}
	if tm.Total+0.006 < sum {
		t.Errorf("%s: timings.total = %v is less than the stages' sum %v (%+v)", call, tm.Total, sum, tm)
	}
}

func TestTimings(t *testing.T) {
	e, _ := newEngine(t)

	// No face: only the scan ran.
	d, err := e.Detect(grey(640, 480))
	if err != nil {
		t.Fatal(err)
	}
	checkTimings(t, "Detect of a grey frame", d.Timings, "detect")

	people := lfwPeople(t, e, 2, 4)
	ann, bob := people[0], people[1]

	d, err = e.Detect(ann.frames[0])
	if err != nil {
		t.Fatal(err)
	}
	checkTimings(t, "Detect", d.Timings, "detect", "pupils", "quality")

	emb, err := e.Embed(ann.frames[0])
	if err != nil {
		t.Fatal(err)
	}
	checkTimings(t, "Embed", emb.Timings, "detect", "pupils", "quality", "align", "embed")

	en, err := e.Enroll(ann.name, ann.frames[:3])
	if err != nil {
		t.Fatal(err)
	}
	checkTimings(t, "Enroll", en.Timings, "detect", "pupils", "quality", "align", "embed")

	v, err := e.Verify(ann.name, ann.frames[3], Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkTimings(t, "Verify", v.Timings, "detect", "pupils", "quality", "align", "embed")

	id, err := e.Identify(bob.frames[0], Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkTimings(t, "Identify", id.Timings, "detect", "pupils", "quality", "align", "embed")

	// A refused enrollment still says how long it took.
	en, err = e.Enroll("Nobody", []Frame{grey(320, 240)})
	if err == nil {
		t.Fatal("Enroll of a grey frame: no error")
	}
	checkTimings(t, "refused Enroll", en.Timings, "detect")

	// The JSON the wasm module sends: a timings object with every key.
	b, err := json.Marshal(emb)
	if err != nil {
		t.Fatal(err)
	}
	var js struct {
		Timings map[string]float64 `json:"timings"`
	}
	if err := json.Unmarshal(b, &js); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"detect", "pupils", "quality", "align", "embed", "total"} {
		if _, ok := js.Timings[k]; !ok {
			t.Errorf("the JSON of an Embedding has no timings.%s: %s", k, b)
		}
	}
	if js.Timings["embed"] <= 0 {
		t.Errorf("the JSON of an Embedding has timings.embed = %v", js.Timings["embed"])
	}
}

func TestStopwatch(t *testing.T) {
	var nilSW *stopwatch
	nilSW.addAnalysis(face.StageTimes{Detect: time.Second}) // must not panic
	sw := startStopwatch()
	sw.addAnalysis(face.StageTimes{Detect: 1500 * time.Microsecond, Pupils: 400 * time.Nanosecond, Quality: 2 * time.Millisecond})
	sw.addAnalysis(face.StageTimes{Detect: 500 * time.Microsecond})
	sw.emb = 12345678 * time.Nanosecond
	tm := sw.timings()
	if tm.Detect != 2 || tm.Pupils != 0.001 || tm.Quality != 2 || tm.Align != 0 || tm.Embed != 12.346 || tm.Total < 0 {
		t.Errorf("timings %+v", tm)
	}
	for d, want := range map[time.Duration]float64{0: 0, -time.Millisecond: 0, time.Nanosecond: 0.001, 1499 * time.Nanosecond: 0.001, 2500 * time.Microsecond: 2.5} {
		if got := ms(d); got != want {
			t.Errorf("ms(%v) = %v, want %v", d, got, want)
		}
	}
}
