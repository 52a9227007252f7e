package main

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/oneshotface/oneshot/internal/browsertest"
)

// TestDemoLoadsModule builds the demo exactly as `make demo` does, serves it
// with this server and checks in headless Chromium that the page loads
// Oneshot through oneshot.js: the worker, the WebAssembly module, the model
// and the cascades (so the MIME type, CSP, COEP and compression work
// together), and that the page breaks no rule of the server's
// Content-Security-Policy on the way. The build comes first and no step has
// a time limit of its own (the browser session ends with the test binary's
// deadline), so a loaded machine makes the test slower, not failed.
func TestDemoLoadsModule(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	if browsertest.ChromiumPath() == "" {
		browsertest.Start(t) // skips (or fails in CI) with the reason
	}
	dir := browsertest.BuildWeb(t)
	browsertest.ModelFor(t, dir) // the shipped model
	srv := httptest.NewServer(newHandler(dir))
	defer srv.Close()

	ctx := browsertest.Start(t)
	// Record every violation of the policy, from the first script on.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.__cspViolations = [];
			document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI));`,
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/index.html")); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Poll[string](
		`document.querySelector('#status.ok, #status.error')?.textContent`,
		chromedp.WithPollingTimeout(0)))
	if err != nil {
		t.Fatalf("page never said whether the module loaded: %v", err)
	}
	if want := "is ready"; !strings.Contains(text, want) {
		t.Fatalf("page says %q, want it to contain %q", text, want)
	}
	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__cspViolations`))
	if err != nil {
		t.Fatal(err)
	}
	if len(violations) > 0 {
		t.Errorf("the page broke the Content-Security-Policy: %q", violations)
	}
}
