//go:build js && wasm

package main

import (
	"github.com/hack-pad/safejs"
	"github.com/oneshotface/oneshot/engine"
)

// pending is the module's memory budget: the bytes copied into Go for the
// calls not yet answered (engine.MaxPendingBytes). A call reserves its
// bytes before it copies them and gives them back when its promise
// settles, so calls fired without awaiting cannot pile up copies until the
// module runs out of memory.
var pending = engine.NewBudget(engine.MaxPendingBytes)

// copies gathers the byte arguments of one call (pictures, model and
// gallery files): each is checked and measured first, and all are copied
// into Go only once the call's pictures fit engine.MaxCallBytes and the
// call's bytes fit the pending budget. So an oversized call is refused
// before it allocates anything, whatever it passes: 256 references to one
// 4096×4096 buffer would be 16 GiB of copies.
type copies struct {
	fn     string
	pixels int64          // bytes of pictures
	total  int64          // bytes of everything
	jobs   []func() error // the copies to make
}

// image checks an image argument {data, width, height} and, on run, copies
// its pixels into *dst.
func (c *copies) image(what string, v safejs.Value, dst *engine.Frame) error {
	fn := c.fn
	if !isObject(v) {
		return argError(fn, "%s is %s, want an ImageData or {data, width, height}", what, describe(v))
	}
	wv, err := v.Get("width")
	if err != nil {
		return argError(fn, "%s.width: %v", what, err)
	}
	hv, err := v.Get("height")
	if err != nil {
		return argError(fn, "%s.height: %v", what, err)
	}
	w, err := wholeNumber(fn, what+".width", wv, 0, engine.MaxSide)
	if err != nil {
		return err
	}
	h, err := wholeNumber(fn, what+".height", hv, 0, engine.MaxSide)
	if err != nil {
		return err
	}
	if w == 0 || h == 0 {
		return argError(fn, "%s is %d×%d: an empty image has no face", what, w, h)
	}
	dv, err := v.Get("data")
	if err != nil {
		return argError(fn, "%s.data: %v", what, err)
	}
	view, err := byteView(fn, what+".data", dv)
	if err != nil {
		return err
	}
	n, err := byteLength(view)
	if err != nil {
		return argError(fn, "%s.data: %v", what, err)
	}
	if want := w * h * 4; n != want {
		return argError(fn, "%s.data has %d bytes, a %d×%d RGBA image has width×height×4 = %d", what, n, w, h, want)
	}
	c.pixels += int64(n)
	c.total += int64(n)
	c.jobs = append(c.jobs, func() error {
		pix := make([]byte, n)
		if _, err := safejs.CopyBytesToGo(pix, view); err != nil {
			return argError(fn, "%s.data: %v", what, err)
		}
		*dst = engine.Frame{Pix: pix, Width: w, Height: h}
		return nil
	})
	return nil
}

// bytes checks a byte argument of at most max bytes and, on run, copies it
// into *dst.
func (c *copies) bytes(what string, v safejs.Value, max int, dst *[]byte) error {
	fn := c.fn
	view, err := byteView(fn, what, v)
	if err != nil {
		return err
	}
	n, err := byteLength(view)
	if err != nil {
		return argError(fn, "%s: %v", what, err)
	}
	if n == 0 {
		return argError(fn, "%s is empty (0 bytes)", what)
	}
	if n > max {
		return argError(fn, "%s is %d bytes, the limit is %d", what, n, max)
	}
	c.total += int64(n)
	c.jobs = append(c.jobs, func() error {
		b := make([]byte, n)
		if _, err := safejs.CopyBytesToGo(b, view); err != nil {
			return argError(fn, "%s: %v", what, err)
		}
		*dst = b
		return nil
	})
	return nil
}

// run checks the call's bytes against the budgets, reserves them and makes
// the copies. The caller gives the bytes back with release once the call
// is answered (withRelease); on an error nothing stays reserved.
func (c *copies) run() (release func(), err error) {
	if err := engine.CheckCallBytes(c.pixels); err != nil {
		return nil, argError(c.fn, "%v", err)
	}
	if err := pending.Reserve(c.total); err != nil {
		return nil, argError(c.fn, "%v", err)
	}
	n := c.total
	release = func() { pending.Release(n) }
	for _, job := range c.jobs {
		if err := job(); err != nil {
			release()
			return nil, err
		}
	}
	c.jobs = nil
	return release, nil
}

// withRelease returns work that calls release when work is done.
func withRelease(release func(), work func() (any, error)) func() (any, error) {
	return func() (any, error) {
		defer release()
		return work()
	}
}
