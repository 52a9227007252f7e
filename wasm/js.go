//go:build js && wasm

package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/hack-pad/safejs"
)

// argError is an error in the arguments of a call.
func argError(fn, format string, args ...any) error {
	return fmt.Errorf("oneshot.%s: %s", fn, fmt.Sprintf(format, args...))
}

// global returns globalThis[name].
func global(name string) (safejs.Value, error) {
	v, err := safejs.Global().Get(name)
	if err != nil {
		return safejs.Value{}, err
	}
	if v.IsUndefined() {
		return safejs.Value{}, fmt.Errorf("globalThis.%s is missing in this JavaScript environment", name)
	}
	return v, nil
}

// instanceOf reports whether v is an instance of globalThis[class].
func instanceOf(v safejs.Value, class string) bool {
	c, err := global(class)
	if err != nil {
		return false
	}
	ok, err := v.InstanceOf(c)
	return err == nil && ok
}

// describe names the type of a JavaScript value for an error message.
func describe(v safejs.Value) string {
	switch v.Type() {
	case safejs.TypeUndefined:
		return "undefined"
	case safejs.TypeNull:
		return "null"
	case safejs.TypeObject:
		if ctor, err := v.Get("constructor"); err == nil && ctor.Type() == safejs.TypeFunction {
			if name, err := ctor.Get("name"); err == nil && name.Type() == safejs.TypeString {
				if s, err := name.String(); err == nil && s != "" {
					if strings.ContainsRune("AEIOU", rune(s[0])) {
						return "an " + s
					}
					return "a " + s
				}
			}
		}
		return "an object"
	case safejs.TypeString:
		return "a string"
	case safejs.TypeNumber:
		return "a number"
	case safejs.TypeBoolean:
		return "a boolean"
	case safejs.TypeFunction:
		return "a function"
	case safejs.TypeSymbol:
		return "a symbol"
	}
	return v.Type().String()
}

// isObject reports whether v is a non-null object.
func isObject(v safejs.Value) bool { return v.Type() == safejs.TypeObject }

// wholeNumber reads v as a whole number in [lo, hi].
func wholeNumber(fn, what string, v safejs.Value, lo, hi int) (int, error) {
	if v.Type() != safejs.TypeNumber {
		return 0, argError(fn, "%s is %s, want a whole number", what, describe(v))
	}
	f, err := v.Float()
	if err != nil {
		return 0, argError(fn, "%s: %v", what, err)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) {
		return 0, argError(fn, "%s is %v, want a whole number", what, f)
	}
	if f < float64(lo) || f > float64(hi) {
		return 0, argError(fn, "%s is %v, want %d to %d", what, f, lo, hi)
	}
	return int(f), nil
}

// byteView returns v as a Uint8Array or Uint8ClampedArray: ArrayBuffers
// are wrapped, typed arrays of bytes are returned as they are. Other
// values are an error saying what was passed.
func byteView(fn, what string, v safejs.Value) (safejs.Value, error) {
	if isObject(v) {
		if instanceOf(v, "Uint8Array") || instanceOf(v, "Uint8ClampedArray") {
			return v, nil
		}
		if instanceOf(v, "ArrayBuffer") {
			u8, err := global("Uint8Array")
			if err != nil {
				return safejs.Value{}, err
			}
			return u8.New(v)
		}
	}
	return safejs.Value{}, argError(fn, "%s is %s, want a Uint8Array, Uint8ClampedArray or ArrayBuffer", what, describe(v))
}

// byteLength returns a byte view's length.
func byteLength(v safejs.Value) (int, error) {
	n, err := v.Get("byteLength")
	if err != nil {
		return 0, err
	}
	return n.Int()
}

// bytesToJS returns b as a new Uint8Array.
func bytesToJS(b []byte) (safejs.Value, error) {
	u8, err := global("Uint8Array")
	if err != nil {
		return safejs.Value{}, err
	}
	arr, err := u8.New(len(b))
	if err != nil {
		return safejs.Value{}, err
	}
	if _, err := safejs.CopyBytesToJS(arr, b); err != nil {
		return safejs.Value{}, err
	}
	return arr, nil
}

// float32sToJS returns v as a new Float32Array.
func float32sToJS(v []float32) (safejs.Value, error) {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x)) // wasm memory is little-endian, like typed arrays here
	}
	u8, err := bytesToJS(b)
	if err != nil {
		return safejs.Value{}, err
	}
	buf, err := u8.Get("buffer")
	if err != nil {
		return safejs.Value{}, err
	}
	f32, err := global("Float32Array")
	if err != nil {
		return safejs.Value{}, err
	}
	return f32.New(buf)
}

// toJS converts a Go result to a JavaScript value: safejs values as they
// are, nil as undefined, anything else through its JSON.
func toJS(v any) (safejs.Value, error) {
	switch v := v.(type) {
	case nil:
		return safejs.Undefined(), nil
	case safejs.Value:
		return v, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return safejs.Value{}, fmt.Errorf("encoding the answer: %w", err)
	}
	j, err := global("JSON")
	if err != nil {
		return safejs.Value{}, err
	}
	return j.Call("parse", string(b))
}

// detailedError is an error that carries an answer for the caller, such
// as an enrollment's frame-by-frame verdicts when every frame was refused.
type detailedError struct {
	err     error
	details any
}

// Error is the wrapped error's message.
func (e *detailedError) Error() string { return e.err.Error() }

// Unwrap gives errors.Is and errors.As the wrapped error.
func (e *detailedError) Unwrap() error { return e.err }

// jsError makes a JavaScript Error for err, with a details property when
// err carries one.
func jsError(err error) safejs.Value {
	ctor, gerr := global("Error")
	if gerr != nil {
		v, _ := safejs.ValueOf(err.Error())
		return v
	}
	e, nerr := ctor.New(err.Error())
	if nerr != nil {
		v, _ := safejs.ValueOf(err.Error())
		return v
	}
	_ = e.Set("name", "OneshotError")
	var de *detailedError
	if errors.As(err, &de) && de.details != nil {
		if d, derr := toJS(de.details); derr == nil {
			_ = e.Set("details", d)
		}
	}
	return e
}

// settle resolves or rejects a promise with the outcome of run, turning a
// panic into a rejection.
func settle(fn string, resolve, reject safejs.Value, run func() (any, error)) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Printf("oneshot.%s: recovered from a panic: %v\n%s", fn, r, debug.Stack())
			_, _ = reject.Invoke(jsError(fmt.Errorf("oneshot.%s: internal error: %v (the module is still running; please report this)", fn, r)))
		}
	}()
	v, err := run()
	if err != nil && !strings.HasPrefix(err.Error(), "oneshot.") {
		err = fmt.Errorf("oneshot.%s: %w", fn, err)
	}
	if err == nil {
		var js safejs.Value
		js, err = toJS(v)
		if err == nil {
			_, _ = resolve.Invoke(js)
			return
		}
	}
	_, _ = reject.Invoke(jsError(err))
}

// runsBeside names the calls whose work runs beside the call queue, on a
// goroutine of its own, once the calls made before it are done: fine-tuning
// yields to the queue between pictures and training steps
// (engine.FineTuneRequest.Yield), so the calls made after it are answered
// while it runs, with the model as it was until fine-tuning swaps it.
var runsBeside = map[string]bool{"fineTune": true}

// newPromise returns a promise settled by run, which is queued (see
// callQueue) so the JavaScript call returns at once.
func newPromise(fn string, run func() (any, error)) (safejs.Value, error) {
	ctor, err := global("Promise")
	if err != nil {
		return safejs.Value{}, err
	}
	var resolve, reject safejs.Value
	exec, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		if len(args) >= 2 {
			resolve, reject = args[0], args[1]
		}
		return nil
	})
	if err != nil {
		return safejs.Value{}, err
	}
	p, err := ctor.New(exec.Value())
	exec.Release() // the executor runs inside the constructor
	if err != nil {
		return safejs.Value{}, err
	}
	if runsBeside[fn] {
		calls.push(func() { go settle(fn, resolve, reject, run) })
	} else {
		calls.push(func() { settle(fn, resolve, reject, run) })
	}
	return p, nil
}

// callQueue runs the work of the calls one at a time, in the order the
// calls were made, on one goroutine: a verify sent right after an enroll
// sees the person enrolled. It is unbounded, so pushing never blocks the
// JavaScript caller.
type callQueue struct {
	mu      sync.Mutex
	jobs    []func()
	wake    chan struct{}
	started bool
}

var calls = &callQueue{wake: make(chan struct{}, 1)}

func (q *callQueue) push(job func()) {
	q.mu.Lock()
	q.jobs = append(q.jobs, job)
	if !q.started {
		q.started = true
		go q.run()
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *callQueue) run() {
	for range q.wake {
		for {
			q.mu.Lock()
			if len(q.jobs) == 0 {
				q.jobs = nil
				q.mu.Unlock()
				break
			}
			job := q.jobs[0]
			q.jobs[0] = nil
			q.jobs = q.jobs[1:]
			q.mu.Unlock()
			job() // settle recovers panics, so the loop survives them
		}
	}
}

// export makes a JavaScript function named fn from a Go one. parse runs
// synchronously on the arguments (so it can copy pixels before the caller
// changes them) and returns the work to do, which runs on a goroutine; the
// function returns a promise of its result. An error or a panic in either
// becomes a rejected promise: the function never throws.
func export(fn string, parse func(args []safejs.Value) (func() (any, error), error)) (safejs.Func, error) {
	return safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) (ret any) {
		defer func() {
			if r := recover(); r != nil {
				fmt.Printf("oneshot.%s: recovered from a panic: %v\n%s", fn, r, debug.Stack())
				err := fmt.Errorf("oneshot.%s: internal error: %v (the module is still running; please report this)", fn, r)
				p, perr := newPromise(fn, func() (any, error) { return nil, err })
				if perr != nil {
					ret = nil
					return
				}
				ret = p
			}
		}()
		work, perr := parse(args)
		if perr != nil {
			work = func() (any, error) { return nil, perr }
		}
		p, err := newPromise(fn, work)
		if err != nil {
			return nil
		}
		return p
	})
}
