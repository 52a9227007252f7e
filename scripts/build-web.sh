#!/usr/bin/env bash
# Builds the demo page into a folder (default build/web): the static files of
# web/, the Go WebAssembly module, Go's wasm_exec.js, and pigo's cascades read
# from the module cache (never committed). Used by `make web` and by the
# browser tests, so both serve the same thing.
set -euo pipefail
out="${1:-build/web}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mkdir -p "$out"
cp -R web/. "$out/"
rm -f "$out"/*.go
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$out/"
GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o "$out/oneshot.wasm" ./wasm
pigo="$(go list -m -f '{{.Dir}}' github.com/esimov/pigo)"
mkdir -p "$out/cascade"
cp "$pigo/cascade/facefinder" "$pigo/cascade/puploc" "$out/cascade/"
