//go:build js && wasm

package main

import (
	"testing"

	"github.com/hack-pad/safejs"
)

// TestChallengeBadArguments checks the liveness calls' argument checks: each
// rejects with a message naming the call and the problem.
func TestChallengeBadArguments(t *testing.T) {
	api := jsAPI(t)
	for _, name := range []string{"loadLandmarks", "challengeStart", "challengeNext", "challengeEnd"} {
		if f, err := api.Get(name); err != nil || f.Type() != safejs.TypeFunction {
			t.Errorf("oneshot.%s is not a function", name)
		}
	}
	u8 := func(n int) safejs.Value { return newJS(t, "Uint8ClampedArray", n) }
	img := obj(t, map[string]any{"width": 2, "height": 2, "data": u8(16)})
	cases := []rejection{
		{"loadLandmarks", nil, "nose is undefined"},
		{"loadLandmarks", []any{newJS(t, "Uint8Array", 4)}, "mouth is undefined"},
		{"challengeStart", []any{7}, "id is a number"},
		{"challengeStart", []any{"ann", "fast"}, "options is a string"},
		{"challengeStart", []any{"ann", obj(t, map[string]any{"turn": "far"})}, "options.turn is a string"},
		{"challengeStart", []any{"ann", obj(t, map[string]any{"seed": 1.5})}, "options.seed is 1.5"},
		{"challengeNext", []any{"one", img}, "challenge is a string"},
		{"challengeNext", []any{0, img}, "challenge is 0"},
		{"challengeNext", []any{1, img, -3}, "ms is -3"},
		{"challengeNext", []any{1, "frame"}, "image is a string"},
		{"challengeNext", []any{1, img}, "there is no challenge 1"},
		{"challengeEnd", []any{1.5}, "challenge is 1.5"},
		{"challengeStart", []any{"ann"}, "not initialised"},
	}
	expectRejections(t, cases)
}
