// Package browsertest starts headless Chromium for Oneshot's end-to-end tests
// and builds the demo page they load.
//
// Tests skip with a clear message when Chromium is not installed, except in
// CI (CI=true), where a missing browser is a broken install step and fails.
package browsertest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/engine"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/nn"
)

// ChromiumPath returns the Chromium binary to use: $CHROMIUM, or the first
// of chromium, chromium-browser, google-chrome on PATH; "" when none.
func ChromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Start launches headless Chromium with extra flags and returns a chromedp
// context for one tab, closed when the test ends. It skips the test when
// Chromium is missing outside CI. The session has no time limit of its own:
// it ends with the test, or shortly before the test binary's deadline (go
// test -timeout), so that a test on a loaded machine is slower, not failed,
// and one that hangs still reports where.
func Start(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := ChromiumPath()
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("Chromium is not installed; .ci/run must install it (apt-get install chromium)")
		}
		t.Skip("skipping browser test: Chromium not found (install it: apt-get install chromium, or set $CHROMIUM)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	opts = append(opts, extra...)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := sessionContext(t, ctx)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return ctx
}

// reportGrace is how long before the test binary's deadline a browser
// session ends, so that the test can still fail with a message and
// screenshots instead of the binary's panic.
const reportGrace = 30 * time.Second

// sessionContext is parent, ending reportGrace before t's deadline when the
// test binary has one (a *testing.T run with -timeout), and never by
// itself otherwise.
func sessionContext(t testing.TB, parent context.Context) (context.Context, context.CancelFunc) {
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if deadline, ok := d.Deadline(); ok {
			return context.WithDeadline(parent, deadline.Add(-reportGrace))
		}
	}
	return context.WithCancel(parent)
}

// ModuleRoot returns the repository root (the folder holding go.mod).
func ModuleRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the module root")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// BuildWeb builds the demo into a fresh folder as `make web` does
// (scripts/build-web.sh), without the accurate model, and returns the
// folder.
func BuildWeb(t testing.TB) string {
	t.Helper()
	return buildWeb(t, false)
}

// BuildWebAccurate is BuildWeb with the accurate model (accurate.oneshot,
// converted from the teacher's npm package, which the build fetches once
// into third_party/). It skips the test when the build could not make it
// (no npm, no network), saying so.
func BuildWebAccurate(t testing.TB) string {
	t.Helper()
	dir := buildWeb(t, true)
	if _, err := os.Stat(filepath.Join(dir, "accurate.oneshot")); err != nil {
		t.Skipf("the build has no accurate model (npm or network missing: see scripts/build-web.sh's message): %v", err)
	}
	return dir
}

// buildWeb runs scripts/build-web.sh into a temporary folder, with or
// without the accurate model (a tens of seconds' conversion the other tests
// do not need).
func buildWeb(t testing.TB, accurate bool) string {
	t.Helper()
	root := ModuleRoot(t)
	out := t.TempDir()
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "build-web.sh"), out)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "ONESHOT_ACCURATE=0")
	if accurate {
		cmd.Env = append(os.Environ(), "ONESHOT_ACCURATE=1")
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the demo: %v\n%s", err, b)
	}
	return out
}

// ModelFor returns the model to serve: $ONESHOT_MODEL when set, else the
// built folder's model.oneshot (the shipped model, copied by the build
// script). It writes the model as the folder's model.oneshot. trained says
// whether it has a calibrated threshold. The shipped model is part of the
// repository: without it the test fails rather than checking less.
func ModelFor(t testing.TB, dir string) (file []byte, trained bool) {
	t.Helper()
	path := filepath.Join(dir, "model.oneshot")
	if env := os.Getenv("ONESHOT_MODEL"); env != "" {
		b, err := os.ReadFile(env)
		if err != nil {
			t.Fatalf("ONESHOT_MODEL: %v", err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the built demo has no model: %v (models/compact.oneshot is part of the repository, and the build copies it; or set $ONESHOT_MODEL)", err)
	}
	m, err := nn.Load(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b, m.Meta[embedder.MetaThreshold] != ""
}

// LFWPeople reads one of LFW's people lists (such as "peopleDevTest.txt")
// from the face data and loads model into a native engine, with which a
// browser test picks people whose images pass the quality check. It skips
// the test when the data or pigo's cascades are missing.
func LFWPeople(t testing.TB, list string, model []byte) ([]dataset.Person, *engine.Engine) {
	t.Helper()
	root, err := dataset.Root()
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	lfw := filepath.Join(root, "lfw")
	people, err := dataset.ReadPeopleFile(filepath.Join(lfw, list), filepath.Join(lfw, "images"))
	if err != nil {
		t.Skipf("skipping: LFW lists: %v", err)
	}
	c, err := face.LoadCascadesFromModule()
	if err != nil {
		t.Skipf("skipping: pigo cascades: %v", err)
	}
	e, err := engine.Load(c, model)
	if err != nil {
		t.Fatal(err)
	}
	return people, e
}
