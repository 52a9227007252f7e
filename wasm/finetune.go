//go:build js && wasm

package main

import (
	"context"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/hack-pad/safejs"
	"github.com/oneshotface/oneshot/engine"
	"github.com/oneshotface/oneshot/train"
)

// running holds the cancel functions of the fine-tuning calls not yet
// finished, by the job number the caller gave (options.job).
var running = struct {
	sync.Mutex
	cancel map[int]context.CancelFunc
}{cancel: map[int]context.CancelFunc{}}

// cancelFineTune cancels the fine-tuning call of job: it runs at once, not
// after the queued calls, and reports whether there was such a call.
func cancelFineTune(job int) bool {
	running.Lock()
	defer running.Unlock()
	c, ok := running.cancel[job]
	if ok {
		c()
	}
	return ok
}

// yieldEvery is how long fine-tuning computes before it lets the module's
// other calls and the worker's event loop run (to receive new calls and a
// cancel message): Go in WebAssembly is single-threaded, and a computing
// goroutine never returns to JavaScript.
const yieldEvery = 50 * time.Millisecond

// tuning lets one fine-tuning call run at a time; the others wait for it,
// beside the call queue.
var tuning sync.Mutex

// fineTuneArgs reads fineTune's options object. The pictures are checked
// here and copied by c.run, once the whole call is known to fit the budgets.
func fineTuneArgs(fn string, v safejs.Value, c *copies) (req engine.FineTuneRequest, onProgress safejs.Value, job int, err error) {
	onProgress = safejs.Undefined()
	job = -1
	if !isObject(v) {
		return req, onProgress, job, argError(fn, "options is %s, want an object such as {captures: [{image, label}, …]} or {triplets: [{anchor, positive, negative}, …]}", describe(v))
	}
	get := func(name string) (safejs.Value, error) {
		x, err := v.Get(name)
		if err != nil {
			return x, argError(fn, "options.%s: %v", name, err)
		}
		return x, nil
	}
	given := func(x safejs.Value) bool { return !x.IsUndefined() && !x.IsNull() }
	list := func(name string) ([]safejs.Value, error) {
		x, err := get(name)
		if err != nil || !given(x) {
			return nil, err
		}
		if !isObject(x) || !instanceOf(x, "Array") {
			return nil, argError(fn, "options.%s is %s, want an Array", name, describe(x))
		}
		n, err := x.Length()
		if err != nil {
			return nil, argError(fn, "options.%s: %v", name, err)
		}
		if n == 0 {
			return nil, argError(fn, "options.%s is empty", name)
		}
		out := make([]safejs.Value, n)
		for i := range out {
			if out[i], err = x.Index(i); err != nil {
				return nil, argError(fn, "options.%s[%d]: %v", name, i, err)
			}
		}
		return out, nil
	}
	caps, err := list("captures")
	if err != nil {
		return req, onProgress, job, err
	}
	trips, err := list("triplets")
	if err != nil {
		return req, onProgress, job, err
	}
	switch {
	case caps != nil && trips != nil:
		return req, onProgress, job, argError(fn, "options has both captures and triplets: pass one")
	case caps == nil && trips == nil:
		return req, onProgress, job, argError(fn, "options has neither captures nor triplets: pass labelled captures [{image, label}, …] or triplets [{anchor, positive, negative}, …]")
	case len(caps) > engine.MaxFineTuneImages || 3*len(trips) > engine.MaxFineTuneImages:
		return req, onProgress, job, argError(fn, "too many pictures: fine-tuning takes at most %d", engine.MaxFineTuneImages)
	}
	if caps != nil {
		req.Captures = make([]engine.Capture, len(caps))
	}
	for i, cv := range caps {
		what := "options.captures[" + strconv.Itoa(i) + "]"
		if !isObject(cv) {
			return req, onProgress, job, argError(fn, "%s is %s, want {image, label}", what, describe(cv))
		}
		lv, err := cv.Get("label")
		if err != nil || lv.Type() != safejs.TypeString {
			return req, onProgress, job, argError(fn, "%s.label is %s, want a string naming the person", what, describe(lv))
		}
		req.Captures[i].Label, _ = lv.String()
		iv, err := cv.Get("image")
		if err != nil {
			return req, onProgress, job, argError(fn, "%s.image: %v", what, err)
		}
		if err := c.image(what+".image", iv, &req.Captures[i].Frame); err != nil {
			return req, onProgress, job, err
		}
	}
	if trips != nil {
		req.Triplets = make([]engine.Triplet, len(trips))
	}
	for i, t := range trips {
		what := "options.triplets[" + strconv.Itoa(i) + "]"
		if !isObject(t) {
			return req, onProgress, job, argError(fn, "%s is %s, want {anchor, positive, negative}", what, describe(t))
		}
		tr := &req.Triplets[i]
		for _, side := range []struct {
			name string
			dst  *engine.Frame
		}{{"anchor", &tr.Anchor}, {"positive", &tr.Positive}, {"negative", &tr.Negative}} {
			iv, err := t.Get(side.name)
			if err != nil {
				return req, onProgress, job, argError(fn, "%s.%s: %v", what, side.name, err)
			}
			if err := c.image(what+"."+side.name, iv, side.dst); err != nil {
				return req, onProgress, job, err
			}
		}
	}
	mv, err := get("mode")
	if err != nil {
		return req, onProgress, job, err
	}
	if given(mv) {
		if mv.Type() != safejs.TypeString {
			return req, onProgress, job, argError(fn, "options.mode is %s, want \"head\" or \"full\"", describe(mv))
		}
		req.Mode, _ = mv.String()
		if req.Mode != train.ModeHead && req.Mode != train.ModeFull {
			return req, onProgress, job, argError(fn, "options.mode is %q, want \"head\" or \"full\"", req.Mode)
		}
	}
	ov, err := get("objective")
	if err != nil {
		return req, onProgress, job, err
	}
	if given(ov) {
		if ov.Type() != safejs.TypeString {
			return req, onProgress, job, argError(fn, "options.objective is %s, want \"triplet\" or \"siamese\"", describe(ov))
		}
		req.Objective, _ = ov.String()
		if req.Objective != train.ObjectiveTriplet && req.Objective != train.ObjectiveSiamese {
			return req, onProgress, job, argError(fn, "options.objective is %q, want \"triplet\" (the triplet loss, the default) or \"siamese\" (a binary head on pairs)", req.Objective)
		}
	}
	ev, err := get("epochs")
	if err != nil {
		return req, onProgress, job, err
	}
	if given(ev) {
		if req.Epochs, err = wholeNumber(fn, "options.epochs", ev, 1, train.MaxFineTuneEpochs); err != nil {
			return req, onProgress, job, err
		}
	}
	for _, p := range []struct {
		name  string
		dst   *float32
		limit float64
	}{{"margin", &req.Margin, 4}, {"lr", &req.LR, math.MaxFloat32}} {
		x, err := get(p.name)
		if err != nil {
			return req, onProgress, job, err
		}
		if !given(x) {
			continue
		}
		f := math.NaN()
		if x.Type() == safejs.TypeNumber {
			f, _ = x.Float()
		}
		if !(f > 0 && f <= p.limit) {
			return req, onProgress, job, argError(fn, "options.%s is %s, want a positive number", p.name, describeNumber(x))
		}
		*p.dst = float32(f)
	}
	if onProgress, err = get("onProgress"); err != nil {
		return req, onProgress, job, err
	}
	if given(onProgress) && onProgress.Type() != safejs.TypeFunction {
		return req, onProgress, job, argError(fn, "options.onProgress is %s, want a function", describe(onProgress))
	}
	jv, err := get("job")
	if err != nil {
		return req, onProgress, job, err
	}
	if given(jv) {
		if job, err = wholeNumber(fn, "options.job", jv, 0, math.MaxInt32); err != nil {
			return req, onProgress, job, err
		}
	}
	return req, onProgress, job, nil
}

// describeNumber describes v, showing the value of a number.
func describeNumber(v safejs.Value) string {
	if v.Type() == safejs.TypeNumber {
		f, _ := v.Float()
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return describe(v)
}

// fineTuneCall parses fineTune(options) and returns its work, which runs
// beside the call queue (see runsBeside).
func fineTuneCall(fn string, args []safejs.Value) (func() (any, error), error) {
	if err := maxArgs(fn, args, 1); err != nil {
		return nil, err
	}
	c := copies{fn: fn}
	req, onProgress, job, err := fineTuneArgs(fn, arg(args, 0), &c)
	if err != nil {
		return nil, err
	}
	release, err := c.run()
	if err != nil {
		return nil, err
	}
	// The context exists from the call on, so a cancel that comes while
	// the call waits in the queue is not lost.
	ctx, cancel := context.WithCancel(context.Background())
	if job >= 0 {
		running.Lock()
		running.cancel[job] = cancel
		running.Unlock()
	}
	done := func() {
		cancel()
		if job >= 0 {
			running.Lock()
			delete(running.cancel, job)
			running.Unlock()
		}
	}
	return withRelease(release, func() (any, error) {
		defer done()
		e, err := current()
		if err != nil {
			return nil, err
		}
		tuning.Lock()
		defer tuning.Unlock()
		last := time.Now()
		req.Yield = func() {
			if time.Since(last) > yieldEvery {
				time.Sleep(time.Millisecond) // let the queued calls and the event loop run
				last = time.Now()
			}
		}
		progress := func(p engine.FineTuneProgress) {
			if onProgress.Type() == safejs.TypeFunction {
				if v, err := toJS(p); err == nil {
					_, _ = onProgress.Invoke(v)
				}
			}
		}
		return e.FineTune(ctx, req, progress)
	}), nil
}

// cancelFunc is oneshot.cancelFineTune(job): synchronous, outside the call
// queue, returns whether a fine-tuning call of that job was running or
// waiting.
func cancelFunc() (safejs.Func, error) {
	return safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		if len(args) != 1 || args[0].Type() != safejs.TypeNumber {
			return false
		}
		f, err := args[0].Float()
		if err != nil || f != math.Trunc(f) || f < 0 || f > math.MaxInt32 {
			return false
		}
		return cancelFineTune(int(f))
	})
}
