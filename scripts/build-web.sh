#!/usr/bin/env bash
# Builds the web output into a folder (default build/web): the static files of
# web/ (demo page, oneshot.js, oneshot.d.ts, worker.js, package.json), the Go
# WebAssembly module, Go's wasm_exec.js, pigo's cascades read from the module
# cache, and the shipped model models/compact.oneshot as model.oneshot when it
# exists, and the accurate model (dlib's ResNet with 8-bit weights, from the
# npm package of face-api.js; see below) as accurate.oneshot when npm or an
# earlier fetch provides its weights, with models.json listing the models
# built (none of these are committed). Used by `make web` and by the browser
# tests, so both serve the same thing. `npm pack` in the folder makes the
# installable package.
#
# The module is built with Go 1.27's experimental simd package (wasm SIMD128:
# the matrix products run about 3× faster in Chromium), fetched through the
# module proxy as the go1.27.3 toolchain. ONESHOT_SIMD=0 builds the portable
# module with the default toolchain instead (same results, slower).
set -euo pipefail
out="${1:-build/web}"
if [ "${ONESHOT_SIMD:-1}" = 1 ]; then
	export GOTOOLCHAIN="${ONESHOT_SIMD_TOOLCHAIN:-go1.27.3}" GOEXPERIMENT=simd
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mkdir -p "$out"
cp -R web/. "$out/"
# Go sources (the browser tests under web/webtest) and the page's script tests
# are not part of the output.
rm -rf "$out/webtest" "$out/e2e"
find "$out" \( -name '*.go' -o -name '*.test.js' \) -type f -delete
cp NOTICE "$out/NOTICE"
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$out/"
GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o "$out/oneshot.wasm" ./wasm
pigo="$(go list -m -f '{{.Dir}}' github.com/esimov/pigo)"
mkdir -p "$out/cascade"
rm -f "$out/cascade/facefinder" "$out/cascade/puploc"
cp "$pigo/cascade/facefinder" "$pigo/cascade/puploc" "$out/cascade/"
chmod 0644 "$out/cascade/facefinder" "$out/cascade/puploc" # the module cache's copies are read-only
# The nose and mouth cascades: the five-point alignment of the compact model
# (face.AlignEyes) and the liveness challenge (engine.challenge).
mkdir -p "$out/cascade/lps"
rm -f "$out/cascade/lps/lp93" "$out/cascade/lps/lp84"
cp "$pigo/cascade/lps/lp93" "$pigo/cascade/lps/lp84" "$out/cascade/lps/"
chmod 0644 "$out/cascade/lps/lp93" "$out/cascade/lps/lp84"
if [ -f models/compact.oneshot ]; then
	cp models/compact.oneshot "$out/model.oneshot"
else
	rm -f "$out/model.oneshot"
	echo "build-web: models/compact.oneshot not found; $out has no model.oneshot (train one, or pass modelURL to Oneshot.load)" >&2
fi

# The accurate model: the teacher's weights from the npm package (fetched into
# third_party/ once), its weights rounded to 8 bits per output channel (the
# rest to half precision: 5.7 MB) with the calibration
# measured for it (models/accurate.json). Without npm or network the page
# offers the compact model alone, and says so.
rm -f "$out/accurate.oneshot"
if [ "${ONESHOT_ACCURATE:-1}" = 0 ]; then
	echo "build-web: ONESHOT_ACCURATE=0: no accurate model; the page offers the compact model alone" >&2
elif ! fetch_log="$(bash scripts/fetch-faceapi.sh 2>&1)"; then
	printf '%s\n' "$fetch_log" | tail -n 5 >&2
	echo "build-web: the accurate model's weights could not be fetched (npm or network missing, see above); $out has no accurate.oneshot and the page offers the compact model alone" >&2
else
	# Built for the host: only the toolchain of the wasm module is special.
	env -u GOOS -u GOARCH -u GOTOOLCHAIN -u GOEXPERIMENT go run ./cmd/teacher -half -int8 -calibration models/accurate.json -out "$out/accurate.oneshot" >&2
fi

# models.json: the models this build ships, with their sizes, for the page
# (web/app/models.js): it offers only what is listed, without asking the
# server for files that may not be there.
{
	printf '{'
	sep=""
	for pair in compact:model.oneshot accurate:accurate.oneshot; do
		name="${pair%%:*}" file="${pair#*:}"
		if [ -f "$out/$file" ]; then
			printf '%s"%s": {"file": "%s", "bytes": %s}' "$sep" "$name" "$file" "$(wc -c <"$out/$file" | tr -d ' ')"
			sep=", "
		fi
	done
	printf '}\n'
} >"$out/models.json"
