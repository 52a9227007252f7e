//go:build js && wasm

package main

import (
	"errors"
	"strconv"
	"sync"

	"github.com/hack-pad/safejs"
	"github.com/oneshotface/oneshot/engine"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/gallery"
)

// Limits of the arguments, checked before anything is copied.
const (
	maxCascadeBytes = 16 << 20
	maxGalleryBytes = gallery.MaxFileBytes
	maxModelBytes   = engine.MaxModelBytes
)

var (
	mu  sync.Mutex
	eng *engine.Engine
)

// current returns the engine, or an error when init has not succeeded.
func current() (*engine.Engine, error) {
	mu.Lock()
	defer mu.Unlock()
	if eng == nil {
		return nil, errors.New("the engine is not initialised: call init(model, facefinder, puploc) first")
	}
	return eng, nil
}

// withEngine is the work of a call that needs the engine.
func withEngine(f func(e *engine.Engine) (any, error)) func() (any, error) {
	return func() (any, error) {
		e, err := current()
		if err != nil {
			return nil, err
		}
		return f(e)
	}
}

// arg returns args[i], or undefined when it was not passed.
func arg(args []safejs.Value, i int) safejs.Value {
	if i < len(args) {
		return args[i]
	}
	return safejs.Undefined()
}

// noArgs refuses extra arguments of a function that takes fewer.
func maxArgs(fn string, args []safejs.Value, n int) error {
	if len(args) > n {
		return argError(fn, "takes %d arguments, got %d", n, len(args))
	}
	return nil
}

// oneImage reads the image argument v of a call that takes one and copies
// its pixels within the budgets (see copies); release gives its bytes back.
func oneImage(fn string, v safejs.Value) (f engine.Frame, release func(), err error) {
	c := copies{fn: fn}
	if err := c.image("image", v, &f); err != nil {
		return f, nil, err
	}
	release, err = c.run()
	return f, release, err
}

// idArg reads a person's id.
func idArg(fn string, v safejs.Value) (string, error) {
	if v.Type() != safejs.TypeString {
		return "", argError(fn, "id is %s, want a string", describe(v))
	}
	id, err := v.String()
	if err != nil {
		return "", argError(fn, "id: %v", err)
	}
	if err := gallery.ValidateID(id); err != nil {
		return "", argError(fn, "%v", err)
	}
	return id, nil
}

// optionsArg reads {threshold?, k?, anyQuality?}; undefined and null mean
// none, and threshold "strict" asks for the model's strict point.
func optionsArg(fn string, v safejs.Value, allowK bool) (engine.Options, error) {
	var o engine.Options
	if v.IsUndefined() || v.IsNull() {
		return o, nil
	}
	if !isObject(v) {
		return o, argError(fn, "options is %s, want an object such as {threshold: 0.8}", describe(v))
	}
	t, err := v.Get("threshold")
	if err != nil {
		return o, argError(fn, "options.threshold: %v", err)
	}
	if t.Type() == safejs.TypeString {
		if str, err := t.String(); err != nil || str != "strict" {
			return o, argError(fn, "options.threshold is %s, want a number between 0 and %d or \"strict\"", describe(t), gallery.MaxDistance)
		}
		o.Strict = true
	} else if !t.IsUndefined() && !t.IsNull() {
		if t.Type() != safejs.TypeNumber {
			return o, argError(fn, "options.threshold is %s, want a number between 0 and %d or \"strict\"", describe(t), gallery.MaxDistance)
		}
		f, err := t.Float()
		if err != nil {
			return o, argError(fn, "options.threshold: %v", err)
		}
		if err := gallery.ValidateThreshold(float32(f)); err != nil {
			return o, argError(fn, "options.%v", err)
		}
		o.Threshold = float32(f)
	}
	aq, err := v.Get("anyQuality")
	if err != nil {
		return o, argError(fn, "options.anyQuality: %v", err)
	}
	if !aq.IsUndefined() && !aq.IsNull() {
		if aq.Type() != safejs.TypeBoolean {
			return o, argError(fn, "options.anyQuality is %s, want true or false", describe(aq))
		}
		o.AnyQuality, _ = aq.Bool()
	}
	if allowK {
		k, err := v.Get("k")
		if err != nil {
			return o, argError(fn, "options.k: %v", err)
		}
		if !k.IsUndefined() && !k.IsNull() {
			if o.K, err = wholeNumber(fn, "options.k", k, 1, gallery.MaxPeople); err != nil {
				return o, err
			}
		}
	}
	return o, nil
}

// modelOptionsArg reads importModel's {trustThreshold?}; undefined and null
// mean none.
func modelOptionsArg(fn string, v safejs.Value) (engine.ModelOptions, error) {
	var o engine.ModelOptions
	if v.IsUndefined() || v.IsNull() {
		return o, nil
	}
	if !isObject(v) {
		return o, argError(fn, "options is %s, want an object such as {trustThreshold: true}", describe(v))
	}
	t, err := v.Get("trustThreshold")
	if err != nil {
		return o, argError(fn, "options.trustThreshold: %v", err)
	}
	if !t.IsUndefined() && !t.IsNull() {
		if t.Type() != safejs.TypeBoolean {
			return o, argError(fn, "options.trustThreshold is %s, want true or false", describe(t))
		}
		o.TrustThreshold, _ = t.Bool()
	}
	return o, nil
}

// api lists the exported functions: each parses its arguments and returns
// the work to do.
var api = map[string]func(fn string, args []safejs.Value) (func() (any, error), error){
	"init": func(fn string, args []safejs.Value) (func() (any, error), error) {
		if err := maxArgs(fn, args, 3); err != nil {
			return nil, err
		}
		var model, ff, pl []byte
		c := copies{fn: fn}
		if err := c.bytes("model", arg(args, 0), maxModelBytes, &model); err != nil {
			return nil, err
		}
		if err := c.bytes("facefinder", arg(args, 1), maxCascadeBytes, &ff); err != nil {
			return nil, err
		}
		if err := c.bytes("puploc", arg(args, 2), maxCascadeBytes, &pl); err != nil {
			return nil, err
		}
		release, err := c.run()
		if err != nil {
			return nil, err
		}
		return withRelease(release, func() (any, error) {
			mu.Lock()
			defer mu.Unlock()
			if eng != nil {
				return nil, errors.New("the engine is already initialised: use importModel to change its model")
			}
			c, err := face.ParseCascades(ff, pl)
			if err != nil {
				return nil, err
			}
			e, err := engine.Load(c, model)
			if err != nil {
				return nil, err
			}
			eng = e
			return e.Info(), nil
		}), nil
	},
	"detect": func(fn string, args []safejs.Value) (func() (any, error), error) {
		if err := maxArgs(fn, args, 1); err != nil {
			return nil, err
		}
		f, release, err := oneImage(fn, arg(args, 0))
		if err != nil {
			return nil, err
		}
		return withRelease(release, withEngine(func(e *engine.Engine) (any, error) { return e.Detect(f) })), nil
	},
	"embed": func(fn string, args []safejs.Value) (func() (any, error), error) {
		if err := maxArgs(fn, args, 1); err != nil {
			return nil, err
		}
		f, release, err := oneImage(fn, arg(args, 0))
		if err != nil {
			return nil, err
		}
		return withRelease(release, withEngine(func(e *engine.Engine) (any, error) {
			r, err := e.Embed(f)
			if err != nil {
				return nil, err
			}
			vec, err := float32sToJS(r.Vector)
			if err != nil {
				return nil, err
			}
			r.Vector = nil
			obj, err := toJS(r)
			if err != nil {
				return nil, err
			}
			if err := obj.Set("vector", vec); err != nil {
				return nil, err
			}
			return obj, nil
		})), nil
	},
	"enroll": func(fn string, args []safejs.Value) (func() (any, error), error) {
		if err := maxArgs(fn, args, 2); err != nil {
			return nil, err
		}
		id, err := idArg(fn, arg(args, 0))
		if err != nil {
			return nil, err
		}
		list := arg(args, 1)
		if !isObject(list) || !instanceOf(list, "Array") {
			return nil, argError(fn, "images is %s, want an Array of ImageData or {data, width, height}", describe(list))
		}
		n, err := list.Length()
		if err != nil {
			return nil, argError(fn, "images: %v", err)
		}
		if n == 0 || n > engine.MaxFrames {
			return nil, argError(fn, "images holds %d images, want 1 to %d", n, engine.MaxFrames)
		}
		frames := make([]engine.Frame, n)
		c := copies{fn: fn}
		for i := range frames {
			v, err := list.Index(i)
			if err != nil {
				return nil, argError(fn, "images[%d]: %v", i, err)
			}
			if err := c.image("images["+strconv.Itoa(i)+"]", v, &frames[i]); err != nil {
				return nil, err
			}
		}
		release, err := c.run()
		if err != nil {
			return nil, err
		}
		return withRelease(release, withEngine(func(e *engine.Engine) (any, error) {
			r, err := e.Enroll(id, frames)
			if err != nil && len(r.Frames) > 0 {
				return nil, &detailedError{err: err, details: r}
			}
			return r, err
		})), nil
	},
	"verify": func(fn string, args []safejs.Value) (func() (any, error), error) {
		if err := maxArgs(fn, args, 3); err != nil {
			return nil, err
		}
		id, err := idArg(fn, arg(args, 0))
		if err != nil {
			return nil, err
		}
		o, err := optionsArg(fn, arg(args, 2), false)
		if err != nil {
			return nil, err
		}
		f, release, err := oneImage(fn, arg(args, 1))
		if err != nil {
			return nil, err
		}
		return withRelease(release, withEngine(func(e *engine.Engine) (any, error) { return e.Verify(id, f, o) })), nil
	},
	"identify": func(fn string, args []safejs.Value) (func() (any, error), error) {
		if err := maxArgs(fn, args, 2); err != nil {
			return nil, err
		}
		o, err := optionsArg(fn, arg(args, 1), true)
		if err != nil {
			return nil, err
		}
		f, release, err := oneImage(fn, arg(args, 0))
		if err != nil {
			return nil, err
		}
		return withRelease(release, withEngine(func(e *engine.Engine) (any, error) { return e.Identify(f, o) })), nil
	},
	"remove": func(fn string, args []safejs.Value) (func() (any, error), error) {
		if err := maxArgs(fn, args, 1); err != nil {
			return nil, err
		}
		id, err := idArg(fn, arg(args, 0))
		if err != nil {
			return nil, err
		}
		return withEngine(func(e *engine.Engine) (any, error) {
			if err := e.Remove(id); err != nil {
				return nil, err
			}
			return map[string]string{"removed": id}, nil
		}), nil
	},
	"people": func(fn string, args []safejs.Value) (func() (any, error), error) {
		if err := maxArgs(fn, args, 0); err != nil {
			return nil, err
		}
		return withEngine(func(e *engine.Engine) (any, error) { return e.People(), nil }), nil
	},
	"info": func(fn string, args []safejs.Value) (func() (any, error), error) {
		if err := maxArgs(fn, args, 0); err != nil {
			return nil, err
		}
		return withEngine(func(e *engine.Engine) (any, error) { return e.Info(), nil }), nil
	},
	"exportGallery": func(fn string, args []safejs.Value) (func() (any, error), error) {
		if err := maxArgs(fn, args, 0); err != nil {
			return nil, err
		}
		return withEngine(func(e *engine.Engine) (any, error) {
			b, err := e.ExportGallery()
			if err != nil {
				return nil, err
			}
			return bytesToJS(b)
		}), nil
	},
	"importGallery": func(fn string, args []safejs.Value) (func() (any, error), error) {
		if err := maxArgs(fn, args, 1); err != nil {
			return nil, err
		}
		var b []byte
		c := copies{fn: fn}
		if err := c.bytes("gallery", arg(args, 0), maxGalleryBytes, &b); err != nil {
			return nil, err
		}
		release, err := c.run()
		if err != nil {
			return nil, err
		}
		return withRelease(release, withEngine(func(e *engine.Engine) (any, error) { return e.ImportGallery(b) })), nil
	},
	"exportModel": func(fn string, args []safejs.Value) (func() (any, error), error) {
		if err := maxArgs(fn, args, 0); err != nil {
			return nil, err
		}
		return withEngine(func(e *engine.Engine) (any, error) { return bytesToJS(e.ExportModel()) }), nil
	},
	"importModel": func(fn string, args []safejs.Value) (func() (any, error), error) {
		if err := maxArgs(fn, args, 2); err != nil {
			return nil, err
		}
		opts, err := modelOptionsArg(fn, arg(args, 1))
		if err != nil {
			return nil, err
		}
		var b []byte
		c := copies{fn: fn}
		if err := c.bytes("model", arg(args, 0), maxModelBytes, &b); err != nil {
			return nil, err
		}
		release, err := c.run()
		if err != nil {
			return nil, err
		}
		return withRelease(release, withEngine(func(e *engine.Engine) (any, error) { return e.ImportModel(b, opts) })), nil
	},
	"resetModel": func(fn string, args []safejs.Value) (func() (any, error), error) {
		if err := maxArgs(fn, args, 0); err != nil {
			return nil, err
		}
		return withEngine(func(e *engine.Engine) (any, error) { return e.ResetModel() }), nil
	},
	"fineTune": fineTuneCall,
}

// funcs keeps the exported functions alive for the life of the module.
var funcs []safejs.Func

// publish sets globalThis.oneshot.
func publish() error {
	obj, err := toJS(map[string]any{"version": Version})
	if err != nil {
		return err
	}
	for name, parse := range api {
		f, err := export(name, func(args []safejs.Value) (func() (any, error), error) { return parse(name, args) })
		if err != nil {
			return err
		}
		funcs = append(funcs, f)
		if err := obj.Set(name, f.Value()); err != nil {
			return err
		}
	}
	cf, err := cancelFunc()
	if err != nil {
		return err
	}
	funcs = append(funcs, cf)
	if err := obj.Set("cancelFineTune", cf.Value()); err != nil {
		return err
	}
	if err := obj.Set("ready", true); err != nil {
		return err
	}
	return safejs.Global().Set("oneshot", obj)
}
