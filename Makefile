# Oneshot — make targets. A newcomer needs two: `make demo` and `make test`.
GO       ?= go
WEB_OUT  ?= build/web
ADDR     ?= localhost:8080
# Face data (read-only, never copied into the repo).
ONESHOT_DATA ?= $(abspath ../shared/data)
export ONESHOT_DATA
# The release wasm module uses Go 1.27's experimental simd package (wasm
# SIMD128); the toolchain comes from the module proxy. The same code builds
# without it (portable kernels): `make web ONESHOT_SIMD=0`. Tests run both.
ONESHOT_SIMD ?= 1
export ONESHOT_SIMD
SIMD_ENV = GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd
# Runs GOOS=js tests in headless Chromium; the tool itself must be built for
# the host with the default toolchain, hence the env -u.
WASM_EXEC = env -u GOOS -u GOARCH -u GOTOOLCHAIN -u GOEXPERIMENT $(GO) tool -modfile=$(CURDIR)/tools/go.mod wasmbrowsertest
# staticcheck, built for the host from tools/go.mod by `make lint`.
STATICCHECK = $(CURDIR)/build/staticcheck
# Packages whose tests also run in the browser.
WASM_PKGS ?= ./nn/... ./loss/... ./face/... ./gallery/... ./embedder/... ./wasm/...

.PHONY: demo web test lint test-native test-js test-wasm bench eval fuzz teacher train clean

## demo: build the wasm module and serve the demo page on http://localhost:8080
demo: web
	$(GO) run ./cmd/serve -dir $(WEB_OUT) -addr $(ADDR)

## web: build the demo page, module and cascades into build/web
web:
	bash scripts/build-web.sh $(WEB_OUT)

## test: static checks, native tests, the page's scripts under Node, then the same packages in headless
## Chromium, then browser end-to-end tests
test: lint test-native test-js test-wasm

## lint: go vet and staticcheck (pinned in tools/go.mod), on the native build and on the browser-side
## packages as GOOS=js builds them
lint:
	@mkdir -p build
	env -u GOOS -u GOARCH -u GOTOOLCHAIN -u GOEXPERIMENT $(GO) build -modfile=tools/go.mod -o $(STATICCHECK) honnef.co/go/tools/cmd/staticcheck
	$(GO) vet ./...
	$(STATICCHECK) ./...
	GOOS=js GOARCH=wasm $(GO) vet $(WASM_PKGS)
	GOOS=js GOARCH=wasm $(STATICCHECK) $(WASM_PKGS)

test-native:
	$(GO) test -count=1 -timeout 20m ./...
	$(SIMD_ENV) $(GO) test -count=1 ./nn/... ./embedder/... ./train/...

## test-js: the demo page's script modules under Node's test runner
test-js:
	@command -v node >/dev/null || { echo "make test-js: Node.js not found (apt-get install nodejs)"; exit 1; }
	node --test web/app/*.test.js

## test-wasm: the browser-side packages in headless Chromium, portable build then SIMD build
test-wasm:
	GOOS=js GOARCH=wasm $(GO) test -count=1 -timeout 20m -exec "$(WASM_EXEC)" $(WASM_PKGS)
	$(SIMD_ENV) GOOS=js GOARCH=wasm $(GO) vet $(WASM_PKGS)
	$(SIMD_ENV) GOOS=js GOARCH=wasm $(GO) test -count=1 -timeout 20m -exec "$(WASM_EXEC)" $(WASM_PKGS)

## bench: Go benchmarks (medians: run with -count and compare with benchstat), then the in-browser
## benchmark in headless Chromium beside native (prints a table, writes build/bench.json)
bench:
	@mkdir -p build
	$(GO) test -run '^$$' -bench . -benchmem -count 5 -benchtime 300ms ./nn/... ./face/... ./embedder/... ./teacher/... ./train/... | tee build/bench-native.txt
	$(GO) run ./cmd/bench

## eval: the shipped model on the cross-domain yardstick, side by side: LFW pairsDevTest, FIW validation
## pairs and relatives pairs, ORL (10-fold each; MODEL=file to measure another model, such as
## MODEL=build/web/accurate.oneshot, the page's accurate model that `make web` builds)
MODEL ?= models/compact.oneshot
eval:
	@mkdir -p build
	$(GO) run ./cmd/eval -model $(MODEL) -suite -roc build/roc.png -hist build/hist.png -json

## teacher: fetch face-api's weights from npm (third_party/, ignored) and convert them to build/teacher.oneshot
teacher:
	bash scripts/fetch-faceapi.sh
	$(GO) run ./cmd/teacher -out build/teacher.oneshot

## train: train the shipped compact embedder by its recipe, models/compact.recipe: stage after stage,
## skipping the stages already done and resuming a stopped one from its checkpoint (about 12 h on 2 cores
## from nothing; see MODEL_CARD.md)
train: teacher
	$(GO) run ./cmd/train -recipe models/compact.recipe

## fuzz: run each fuzz target of the decoders and input checks (FUZZTIME each, default 30s; each new
## input is minimised for at most FUZZMINIMIZE, so that targets that run a model keep fuzzing)
FUZZTIME ?= 30s
FUZZMINIMIZE ?= 2s
FUZZ_TARGETS = nn:FuzzLoad gallery:FuzzUnmarshal gallery:FuzzUnmarshalRepaired face:FuzzDecode face:FuzzFromRGBA \
	face:FuzzParseCascades face:FuzzAlign face:FuzzParams internal/sha256:FuzzSum256 gallery:FuzzParseCohort \
	engine:FuzzLoadModel
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t#*:} in ./$${t%%:*}"; \
		$(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) ./$${t%%:*}/; \
	done

clean:
	rm -rf build
