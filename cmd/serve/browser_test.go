package main

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/internal/browsertest"
	"github.com/oneshotface/oneshot/nn"
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
	if _, err := os.Stat(filepath.Join(dir, "model.oneshot")); err != nil {
		m, err := embedder.NewCompact(1)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := nn.Save(&buf, m); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "model.oneshot"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
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
