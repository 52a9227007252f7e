//go:build js && wasm

package main

// These tests run in headless Chromium through wasmbrowsertest:
//
//	GOOS=js GOARCH=wasm go test -exec "env -u GOOS -u GOARCH go tool -modfile=tools/go.mod wasmbrowsertest" ./wasm
//
// They check the boundary (argument checks, rejected promises, recovered
// panics); the engine behind it is tested natively in package engine and
// end to end by web/webtest.

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/hack-pad/safejs"
	"github.com/oneshotface/oneshot/engine"
)

var publishOnce sync.Once

// api returns globalThis.oneshot, publishing it once.
func jsAPI(t *testing.T) safejs.Value {
	t.Helper()
	var err error
	publishOnce.Do(func() { err = publish() })
	if err != nil {
		t.Fatal(err)
	}
	v, err := safejs.Global().Get("oneshot")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// await waits for a promise and returns its value or its rejection's
// message as an error.
func await(t *testing.T, p safejs.Value) (safejs.Value, error) {
	t.Helper()
	type result struct {
		v   safejs.Value
		err error
	}
	ch := make(chan result, 1)
	ok, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		ch <- result{v: arg(args, 0)}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ok.Release()
	fail, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		e := arg(args, 0)
		msg := "(no message)"
		if m, err := e.Get("message"); err == nil {
			if s, err := m.String(); err == nil {
				msg = s
			}
		}
		ch <- result{v: e, err: errors.New(msg)}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer fail.Release()
	if _, err := p.Call("then", ok.Value(), fail.Value()); err != nil {
		t.Fatalf("the call did not return a promise: %v", err)
	}
	r := <-ch
	return r.v, r.err
}

// rejection is a call of oneshot.name with args and the words its
// rejection must contain.
type rejection struct {
	name string
	args []any
	want string
}

// expectRejections makes each call and checks that it is rejected with an
// error named after the function ("oneshot.NAME: …") that says want.
func expectRejections(t *testing.T, cases []rejection) {
	t.Helper()
	for _, tc := range cases {
		_, err := call(t, tc.name, tc.args...)
		if err == nil {
			t.Errorf("%s%v: resolved, want a rejection saying %q", tc.name, tc.args, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "oneshot."+tc.name+": ") {
			t.Errorf("%s: rejected with %q, want oneshot.%s: … %q", tc.name, err, tc.name, tc.want)
		}
	}
}

func call(t *testing.T, name string, args ...any) (safejs.Value, error) {
	t.Helper()
	p, err := jsAPI(t).Call(name, args...)
	if err != nil {
		t.Fatalf("oneshot.%s threw instead of returning a promise: %v", name, err)
	}
	return await(t, p)
}

func newJS(t *testing.T, class string, args ...any) safejs.Value {
	t.Helper()
	c, err := global(class)
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.New(args...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func obj(t *testing.T, m map[string]any) safejs.Value {
	t.Helper()
	o := newJS(t, "Object")
	for k, v := range m {
		if err := o.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	return o
}

// captures is a JS array of one capture {image, label: "ann"}.
func captures(t *testing.T, image safejs.Value) safejs.Value {
	t.Helper()
	a := newJS(t, "Array")
	if err := a.SetIndex(0, obj(t, map[string]any{"image": image, "label": "ann"})); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestPublish(t *testing.T) {
	api := jsAPI(t)
	for _, name := range []string{"init", "detect", "embed", "enroll", "verify", "identify", "remove", "people", "info",
		"exportGallery", "importGallery", "exportModel", "importModel", "resetModel", "fineTune", "cancelFineTune"} {
		f, err := api.Get(name)
		if err != nil || f.Type() != safejs.TypeFunction {
			t.Errorf("oneshot.%s is %v, want a function", name, f.Type())
		}
	}
	ready, err := api.Get("ready")
	if b, _ := ready.Bool(); err != nil || !b {
		t.Error("oneshot.ready is not true")
	}
}

// TestBadArguments checks that every bad call rejects with a message naming
// the function and the problem.
func TestBadArguments(t *testing.T) {
	u8 := func(n int) safejs.Value { return newJS(t, "Uint8ClampedArray", n) }
	img := func(w, h any, data safejs.Value) safejs.Value {
		return obj(t, map[string]any{"width": w, "height": h, "data": data})
	}
	cases := []rejection{
		{"detect", nil, "image is undefined"},
		{"detect", []any{"a picture"}, "image is a string"},
		{"detect", []any{img(0, 0, u8(0))}, "0×0"},
		{"detect", []any{img(2, 2, u8(15))}, "width×height×4 = 16"},
		{"detect", []any{img(5000, 2, u8(16))}, "image.width is 5000, want 0 to 4096"},
		{"detect", []any{img(1.5, 2, u8(16))}, "image.width is 1.5"},
		{"detect", []any{img("2", 2, u8(16))}, "image.width is a string"},
		{"detect", []any{img(2, 2, safejs.Null())}, "image.data is null"},
		{"detect", []any{img(2, 2, newJS(t, "Float32Array", 16))}, "image.data is a Float32Array"},
		{"detect", []any{img(2, 2, u8(16)), 1}, "takes 1 arguments"},
		{"enroll", []any{42, newJS(t, "Array")}, "id is a number"},
		{"enroll", []any{"", newJS(t, "Array")}, "id"},
		{"enroll", []any{"ann", newJS(t, "Array")}, "0 images"},
		{"enroll", []any{"ann", img(2, 2, u8(16))}, "images is an Object"},
		{"verify", []any{"ann", img(2, 2, u8(16)), obj(t, map[string]any{"threshold": 7})}, "threshold 7"},
		{"verify", []any{"ann", img(2, 2, u8(16)), "strict"}, "options is a string"},
		{"verify", []any{"ann", img(2, 2, u8(16)), obj(t, map[string]any{"threshold": "lenient"})}, `or "strict"`},
		{"identify", []any{img(2, 2, u8(16)), obj(t, map[string]any{"threshold": true})}, "options.threshold is a boolean"},
		{"identify", []any{img(2, 2, u8(16)), obj(t, map[string]any{"k": 0})}, "options.k is 0"},
		{"verify", []any{"ann", img(2, 2, u8(16)), obj(t, map[string]any{"anyQuality": "yes"})}, "options.anyQuality is a string"},
		{"importModel", []any{"bytes"}, "model is a string"},
		{"importModel", []any{newJS(t, "Uint8Array", 4), "trust"}, "options is a string"},
		{"importModel", []any{newJS(t, "Uint8Array", 4), obj(t, map[string]any{"trustThreshold": 1})}, "options.trustThreshold is a number"},
		{"importModel", []any{newJS(t, "ArrayBuffer", 0)}, "model is empty"},
		{"importGallery", nil, "gallery is undefined"},
		{"init", []any{newJS(t, "Uint8Array", 4)}, "facefinder is undefined"},
		{"fineTune", nil, "options is undefined"},
		{"fineTune", []any{obj(t, map[string]any{})}, "neither captures nor triplets"},
		{"fineTune", []any{obj(t, map[string]any{"triplets": newJS(t, "Array")})}, "options.triplets is empty"},
		{"fineTune", []any{obj(t, map[string]any{"captures": newJS(t, "Array", 1)})}, "options.captures[0] is undefined"},
		{"fineTune", []any{obj(t, map[string]any{"captures": captures(t, img(2, 2, u8(16))), "objective": "contrastive"})}, `options.objective is "contrastive"`},
		{"fineTune", []any{obj(t, map[string]any{"captures": captures(t, img(2, 2, u8(16))), "objective": 2})}, "options.objective is a number"},
		// Well-formed calls before init.
		{"detect", []any{img(2, 2, u8(16))}, "not initialised"},
		{"people", nil, "not initialised"},
		{"exportGallery", nil, "not initialised"},
	}
	expectRejections(t, cases)
	// Garbage cascades and model: init rejects and the module still answers.
	junk := newJS(t, "Uint8Array", 64)
	if _, err := call(t, "init", junk, junk, junk); err == nil {
		t.Error("init with garbage: resolved")
	}
	if _, err := call(t, "info"); err == nil || !strings.Contains(err.Error(), "not initialised") {
		t.Errorf("info after a failed init: %v", err)
	}
}

// TestPanicBecomesRejection checks that a panic, in the synchronous part of
// a call or in its work, rejects the promise and leaves the module running.
func TestPanicBecomesRejection(t *testing.T) {
	for name, parse := range map[string]func([]safejs.Value) (func() (any, error), error){
		"inParse": func([]safejs.Value) (func() (any, error), error) { panic("boom in parse") },
		"inWork": func([]safejs.Value) (func() (any, error), error) {
			return func() (any, error) {
				var m map[string]int
				//lint:ignore SA5000 the test needs a runtime panic, not a call to panic
				m["x"] = 1
				return nil, nil
			}, nil
		},
	} {
		f, err := export(name, parse)
		if err != nil {
			t.Fatal(err)
		}
		p, err := f.Value().Invoke()
		if err != nil {
			t.Fatalf("%s: threw %v", name, err)
		}
		if _, err := await(t, p); err == nil || !strings.Contains(err.Error(), "internal error") {
			t.Errorf("%s: %v, want an internal error rejection", name, err)
		}
		f.Release()
	}
	// Still alive.
	if _, err := call(t, "people"); err == nil || !strings.Contains(err.Error(), "not initialised") {
		t.Errorf("after panics: %v", err)
	}
	v, err := toJS(map[string]int{"a": 1})
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := v.Get("a"); a.Type() != safejs.TypeNumber {
		t.Error("toJS does not give an object")
	}
}

// TestOversizedCalls: the calls of issue 42 that ran the module out of
// memory — enroll with 32 images and fineTune with 256 captures, all
// referencing one 4096×4096 buffer (2 and 16 GiB of copies) — reject before
// anything is copied, as does a call made while the calls not yet answered
// hold the module's budget; the module keeps answering.
func TestOversizedCalls(t *testing.T) {
	big := obj(t, map[string]any{"width": 4096, "height": 4096, "data": newJS(t, "Uint8ClampedArray", 4096*4096*4)})
	frames := newJS(t, "Array")
	for range 32 {
		if _, err := frames.Call("push", big); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := call(t, "enroll", "ann", frames); err == nil || !strings.Contains(err.Error(), "MiB of pixels") {
		t.Errorf("enroll with 32 images of 4096×4096: %v, want a rejection for the call's bytes", err)
	}
	caps := newJS(t, "Array")
	for i := range 256 {
		if _, err := caps.Call("push", obj(t, map[string]any{"image": big, "label": []string{"ann", "bob"}[i%2]})); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := call(t, "fineTune", obj(t, map[string]any{"captures": caps})); err == nil || !strings.Contains(err.Error(), "MiB of pixels") {
		t.Errorf("fineTune with 256 captures of 4096×4096: %v, want a rejection for the call's bytes", err)
	}
	if held := pending.Held(); held != 0 {
		t.Errorf("after the refused calls %d bytes stay reserved", held)
	}
	// The calls not yet answered hold the budget: a new call is refused.
	if err := pending.Reserve(engine.MaxPendingBytes - 8); err != nil {
		t.Fatal(err)
	}
	small := obj(t, map[string]any{"width": 2, "height": 2, "data": newJS(t, "Uint8ClampedArray", 16)})
	_, err := call(t, "detect", small)
	pending.Release(engine.MaxPendingBytes - 8)
	if err == nil || !strings.Contains(err.Error(), "wait for them") {
		t.Errorf("detect while the budget is held: %v, want a rejection saying to wait", err)
	}
	// Still answering, and every copy given back.
	if _, err := call(t, "detect", small); err == nil || !strings.Contains(err.Error(), "not initialised") {
		t.Errorf("detect afterwards: %v", err)
	}
	if held := pending.Held(); held != 0 {
		t.Errorf("after the calls %d bytes stay reserved", held)
	}
}
