//go:build js && wasm

package main

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/hack-pad/safejs"

	"github.com/oneshotface/oneshot/engine"
	"github.com/oneshotface/oneshot/face"
)

// The liveness challenge's calls:
//
//	loadLandmarks(nose, mouth)           → Promise<{loaded: true}>   bytes of pigo's cascade/lps/lp93 and lp84
//	challengeStart(id, options?)         → Promise<{challenge, state}>  options: {threshold?, moveTimeoutMs?, turn?, seed?}
//	challengeNext(challenge, image, ms?) → Promise<ChallengeState>    ms: when the frame was taken (default: now)
//	challengeEnd(challenge)              → Promise<{ended: boolean}>
//
// A challenge is a number naming a challenge kept in the module; at most
// maxChallenges are kept, and starting one more ends the oldest.
func init() {
	api["loadLandmarks"] = loadLandmarksCall
	api["challengeStart"] = challengeStartCall
	api["challengeNext"] = challengeNextCall
	api["challengeEnd"] = challengeEndCall
}

// maxChallenges is how many challenges the module keeps at once.
const maxChallenges = 8

// maxLandmarkBytes bounds each landmark cascade (pigo's are 737 kB).
const maxLandmarkBytes = 8 << 20

var challenges = struct {
	sync.Mutex
	next  int
	open  map[int]*challenge
	order []int
}{open: map[int]*challenge{}}

// challenge is one challenge in progress and the clock of its frames.
type challenge struct {
	c     *engine.Challenge
	start time.Time
}

func loadLandmarksCall(fn string, args []safejs.Value) (func() (any, error), error) {
	if err := maxArgs(fn, args, 2); err != nil {
		return nil, err
	}
	var nose, mouth []byte
	c := copies{fn: fn}
	if err := c.bytes("nose", arg(args, 0), maxLandmarkBytes, &nose); err != nil {
		return nil, err
	}
	if err := c.bytes("mouth", arg(args, 1), maxLandmarkBytes, &mouth); err != nil {
		return nil, err
	}
	release, err := c.run()
	if err != nil {
		return nil, err
	}
	return withRelease(release, withEngine(func(e *engine.Engine) (any, error) {
		lc, err := face.ParseLandmarkCascades(nose, mouth)
		if err != nil {
			return nil, err
		}
		if err := e.SetLandmarks(lc); err != nil {
			return nil, err
		}
		return map[string]bool{"loaded": true}, nil
	})), nil
}

func challengeStartCall(fn string, args []safejs.Value) (func() (any, error), error) {
	if err := maxArgs(fn, args, 2); err != nil {
		return nil, err
	}
	id, err := idArg(fn, arg(args, 0))
	if err != nil {
		return nil, err
	}
	opts, err := challengeOptionsArg(fn, arg(args, 1))
	if err != nil {
		return nil, err
	}
	return withEngine(func(e *engine.Engine) (any, error) {
		c, st, err := e.StartChallenge(id, opts)
		if err != nil {
			return nil, err
		}
		challenges.Lock()
		defer challenges.Unlock()
		challenges.next++
		n := challenges.next
		challenges.open[n] = &challenge{c: c, start: time.Now()}
		challenges.order = append(challenges.order, n)
		for len(challenges.order) > maxChallenges {
			delete(challenges.open, challenges.order[0])
			challenges.order = challenges.order[1:]
		}
		return map[string]any{"challenge": n, "state": st}, nil
	}), nil
}

func challengeNextCall(fn string, args []safejs.Value) (func() (any, error), error) {
	if err := maxArgs(fn, args, 3); err != nil {
		return nil, err
	}
	n, err := wholeNumber(fn, "challenge", arg(args, 0), 1, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	at := -1.0
	if v := arg(args, 2); !v.IsUndefined() && !v.IsNull() {
		if v.Type() != safejs.TypeNumber {
			return nil, argError(fn, "ms is %s, want the frame's time in milliseconds", describe(v))
		}
		at, _ = v.Float()
		if math.IsNaN(at) || math.IsInf(at, 0) || at < 0 {
			return nil, argError(fn, "ms is %v, want a time in milliseconds, 0 or more", at)
		}
	}
	f, release, err := oneImage(fn, arg(args, 1))
	if err != nil {
		return nil, err
	}
	return withRelease(release, func() (any, error) {
		challenges.Lock()
		ch := challenges.open[n]
		challenges.Unlock()
		if ch == nil {
			return nil, fmt.Errorf("there is no challenge %d: it ended, or more than %d were started after it", n, maxChallenges)
		}
		t := time.Since(ch.start)
		if at >= 0 {
			t = time.Duration(at * float64(time.Millisecond))
		}
		return ch.c.Next(f, t)
	}), nil
}

func challengeEndCall(fn string, args []safejs.Value) (func() (any, error), error) {
	if err := maxArgs(fn, args, 1); err != nil {
		return nil, err
	}
	n, err := wholeNumber(fn, "challenge", arg(args, 0), 1, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		challenges.Lock()
		defer challenges.Unlock()
		_, ok := challenges.open[n]
		delete(challenges.open, n)
		for i, m := range challenges.order {
			if m == n {
				challenges.order = append(challenges.order[:i], challenges.order[i+1:]...)
				break
			}
		}
		return map[string]bool{"ended": ok}, nil
	}, nil
}

// challengeOptionsArg reads {threshold?, moveTimeoutMs?, turn?, seed?}.
func challengeOptionsArg(fn string, v safejs.Value) (engine.ChallengeOptions, error) {
	var o engine.ChallengeOptions
	vo, err := optionsArg(fn, v, false)
	if err != nil {
		return o, err
	}
	o.Threshold, o.Strict = vo.Threshold, vo.Strict
	if v.IsUndefined() || v.IsNull() {
		return o, nil
	}
	num := func(name string) (float64, bool, error) {
		x, err := v.Get(name)
		if err != nil {
			return 0, false, argError(fn, "options.%s: %v", name, err)
		}
		if x.IsUndefined() || x.IsNull() {
			return 0, false, nil
		}
		if x.Type() != safejs.TypeNumber {
			return 0, false, argError(fn, "options.%s is %s, want a number", name, describe(x))
		}
		f, err := x.Float()
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, false, argError(fn, "options.%s is not a finite number", name)
		}
		return f, true, nil
	}
	if f, ok, err := num("moveTimeoutMs"); err != nil {
		return o, err
	} else if ok {
		o.MoveTimeoutMs = f
	}
	if f, ok, err := num("turn"); err != nil {
		return o, err
	} else if ok {
		o.Turn = f
	}
	if s, ok, err := num("seed"); err != nil {
		return o, err
	} else if ok {
		if s < 0 || s != math.Trunc(s) || s > 1<<53 {
			return o, argError(fn, "options.seed is %v, want a whole number", s)
		}
		o.Seed = uint64(s)
	}
	return o, nil
}
