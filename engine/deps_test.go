//go:build !js

package engine

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestWasmModuleLinksNoDataset: the WebAssembly module (package wasm, built
// with GOOS=js GOARCH=wasm) fine-tunes through this package and package
// train, and must link neither the data-set readers (package dataset) nor
// what turns a data set on disk into training samples (train/prepare): the
// tab trains on the page's captures, and those packages would only add to
// the download. It asks the go command for the module's dependencies.
func TestWasmModuleLinksNoDataset(t *testing.T) {
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to list the wasm module's dependencies: %v", err)
	}
	const module = "github.com/oneshotface/oneshot/"
	cmd := exec.Command(gocmd, "list", "-deps", module+"wasm")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("GOOS=js GOARCH=wasm go list -deps %swasm: %v\n%s", module, err, stderr.String())
	}
	deps := strings.Fields(string(out))
	// The list is the module's: it holds what the module is made of.
	for _, p := range []string{"wasm", "engine", "train"} {
		if !slices.Contains(deps, module+p) {
			t.Fatalf("the wasm module's dependencies lack %s%s:\n%s", module, p, out)
		}
	}
	for _, p := range []string{"dataset", "train/prepare"} {
		if slices.Contains(deps, module+p) {
			t.Errorf("the wasm module links %s%s; keep data-set code out of the packages the module imports (go list -deps shows the path)", module, p)
		}
	}
}
