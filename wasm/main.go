//go:build js && wasm

// Command wasm is the Oneshot WebAssembly module: the Go side of the
// JavaScript API. It runs inside a Web Worker (web/worker.js) and touches
// JavaScript only through github.com/hack-pad/safejs, so a JavaScript error
// becomes a Go error value instead of a panic.
//
// It publishes globalThis.oneshot:
//
//	version                              string
//	ready                                true once the functions below exist
//	init(model, facefinder, puploc)      → Promise<Info>     bytes of the model and of pigo's two cascades
//	detect(image)                        → Promise<Detection>
//	embed(image)                         → Promise<{vector: Float32Array, face, quality, timings}>
//	enroll(id, images)                   → Promise<EnrollResult>
//	verify(id, image, options?)          → Promise<Verification>   options: {threshold?, anyQuality?} (threshold a number or "strict")
//	identify(image, options?)            → Promise<Identification> options: {threshold?, k?, anyQuality?}
//	remove(id)                           → Promise<{removed: id}>
//	people()                             → Promise<string[]>
//	info()                               → Promise<Info>
//	exportGallery()                      → Promise<Uint8Array>
//	importGallery(bytes)                 → Promise<GalleryInfo>
//	exportModel()                        → Promise<Uint8Array>
//	importModel(bytes, options?)         → Promise<ModelInfo>  options: {trustThreshold?}
//	resetModel()                         → Promise<ModelInfo>  back to the model init loaded
//	fineTune(options)                    → Promise<FineTuneResult>
//	    options: {captures: [{image, label}] | triplets: [{anchor, positive, negative}],
//	              mode?: "head"|"full", objective?: "triplet"|"siamese", epochs?, margin?, lr?, onProgress?(p), job?}
//	cancelFineTune(job)                  → boolean, at once (not queued): cancels fineTune's call of that job
//	loadLandmarks, challengeStart, challengeNext, challengeEnd: the liveness challenge (see challenge.go);
//	    web/worker.js calls loadLandmarks right after init, as a five-point model
//	    (face.Template.FivePoint) aligns every face with the nose and mouth cascades too
//
// An image is {data, width, height}, the shape of an ImageData: data a
// Uint8ClampedArray, Uint8Array or ArrayBuffer of width×height×4 RGBA
// bytes. Bytes are a Uint8Array, Uint8ClampedArray or ArrayBuffer. The
// answers are the JSON of package engine's result types, as plain objects.
// Those of detect, embed, enroll, verify and identify have a timings object
// (engine.Timings): the milliseconds the call's stages took inside the
// module, {detect, pupils, quality, align, embed, total}, where embed is the
// network's forward pass on the aligned crop alone.
//
// Calls run one at a time in the order they were made, except fineTune,
// which runs beside the queue once the calls before it are done: it yields
// between pictures and training steps, so the calls made after it are
// answered while it runs (with the model as it was until it swaps in the
// fine-tuned one), and a cancel lands while the pictures are aligned too.
//
// Every argument that holds bytes is measured before it is copied into Go:
// a call whose pictures hold more than engine.MaxCallBytes, or one made
// while the calls not yet answered hold engine.MaxPendingBytes, rejects at
// once, so no call can run the module out of memory.
//
// Every function checks its arguments before doing anything and never
// throws: a bad argument, an engine error, even a Go panic, becomes a
// rejected promise whose Error says what went wrong, and the module keeps
// answering afterwards. All the logic lives in package engine, which native
// tests drive; this package only converts values.
package main

import (
	"fmt"
	"os"
)

// Version is the module's version, reported as oneshot.version.
const Version = "0.3.0"

func main() {
	if err := publish(); err != nil {
		fmt.Fprintln(os.Stderr, "oneshot: cannot publish the JS API:", err)
		os.Exit(1)
	}
	// Keep the Go runtime alive: the worker calls into it after main returns.
	select {}
}
