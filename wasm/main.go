//go:build js && wasm

// Command wasm is the Oneshot WebAssembly module: the Go side of the
// JavaScript API. It runs inside a Web Worker and touches JavaScript only
// through github.com/hack-pad/safejs, so a JavaScript error becomes a Go
// error value instead of a panic.
//
// This first version publishes globalThis.oneshot = {version, ready} so the
// demo page can show that the module loaded; the engine API (detect, embed,
// enroll, verify, identify) arrives with the JS API issue.
package main

import (
	"fmt"
	"os"

	"github.com/hack-pad/safejs"
)

// Version is the module's version, shown by the demo page.
const Version = "0.1.0-dev"

func main() {
	if err := publish(); err != nil {
		fmt.Fprintln(os.Stderr, "oneshot: cannot publish the JS API:", err)
		os.Exit(1)
	}
	// Keep the Go runtime alive: the page calls into it after main returns.
	select {}
}

// publish sets globalThis.oneshot.
func publish() error {
	api, err := safejs.Global().Get("Object")
	if err != nil {
		return err
	}
	obj, err := api.New()
	if err != nil {
		return err
	}
	if err := obj.Set("version", Version); err != nil {
		return err
	}
	if err := obj.Set("ready", true); err != nil {
		return err
	}
	return safejs.Global().Set("oneshot", obj)
}
