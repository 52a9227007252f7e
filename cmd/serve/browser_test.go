package main

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/oneshotface/oneshot/internal/browsertest"
)

// TestDemoLoadsModule builds the demo exactly as `make demo` does, serves it
// with this server and checks in headless Chromium that the page loads
// Oneshot through oneshot.js: the worker, the WebAssembly module, the model
// and the cascades (so the MIME type, CSP, COEP and compression work
// together). Without a trained model (models/compact.oneshot) it serves an
// untrained one.
func TestDemoLoadsModule(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browsertest.Start(t)
	dir := browsertest.BuildWeb(t)
	browsertest.ModelFor(t, dir) // the shipped model, or an untrained one
	srv := httptest.NewServer(newHandler(dir))
	defer srv.Close()

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/index.html")); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Poll[string](
		`document.querySelector('#status.ok, #status.error')?.textContent`,
		chromedp.WithPollingTimeout(60*time.Second)))
	if err != nil {
		t.Fatalf("page never said whether the module loaded: %v", err)
	}
	if want := "is ready"; !strings.Contains(text, want) {
		t.Fatalf("page says %q, want it to contain %q", text, want)
	}
}
