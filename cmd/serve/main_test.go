package main

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestServeHeadersAndCompression(t *testing.T) {
	dir := t.TempDir()
	wasm := strings.Repeat("\x00asm", 1000)
	if err := os.WriteFile(filepath.Join(dir, "m.wasm"), []byte(wasm), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newHandler(dir))
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL+"/m.wasm", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if got := resp.Header.Get("Content-Type"); got != "application/wasm" {
		t.Errorf("Content-Type = %q, want application/wasm", got)
	}
	if got := resp.Header.Get("Content-Encoding"); got != "gzip" {
		t.Fatalf("Content-Encoding = %q, want gzip", got)
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "connect-src 'self'") {
		t.Errorf("CSP %q does not restrict connect-src to self", resp.Header.Get("Content-Security-Policy"))
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("Cache-Control = %q, want no-cache", got)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != wasm {
		t.Errorf("decompressed body differs from the file (%d bytes vs %d)", len(body), len(wasm))
	}

	// A missing file is a plain 404, not a gzip stream.
	req, _ = http.NewRequest("GET", srv.URL+"/nope.js", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp2, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusNotFound || resp2.Header.Get("Content-Encoding") != "" {
		t.Errorf("missing file: status %d encoding %q, want 404 uncompressed", resp2.StatusCode, resp2.Header.Get("Content-Encoding"))
	}
}

// get fetches path from srv and returns the status and body.
func get(t *testing.T, srv *httptest.Server, path string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

// TestServeOnlyRegularFiles: dotfiles, folder listings and symbolic links
// that lead out of the folder are not served; the page and its files are.
func TestServeOnlyRegularFiles(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret.txt")
	for name, body := range map[string]string{
		"index.html":     "<!doctype html>page",
		"app/main.js":    "// script",
		".env":           "SECRET=1",
		".git/config":    "[core]",
		"app/.hidden.js": "hidden",
		"list/a.txt":     "a file in a folder without index.html",
		"sub/index.html": "sub page",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(outside, []byte("outside the root"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Dir(outside), filepath.Join(dir, "linkdir")); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newHandler(dir))
	defer srv.Close()
	for _, path := range []string{"/", "/app/main.js", "/sub/"} {
		if code, _, _ := get(t, srv, path); code != http.StatusOK {
			t.Errorf("GET %s: %d, want 200", path, code)
		}
	}
	for _, path := range []string{"/.env", "/.git/config", "/.git/", "/app/.hidden.js", "/list/", "/link.txt",
		"/linkdir/secret.txt", "/linkdir/", "/%2e%2e/secret.txt", "/../secret.txt"} {
		code, body, _ := get(t, srv, path)
		if code != http.StatusNotFound || strings.Contains(body, "SECRET") || strings.Contains(body, "[core]") ||
			strings.Contains(body, "outside the root") || strings.Contains(body, "a.txt") {
			t.Errorf("GET %s: %d %q, want 404 and nothing of the file", path, code, body)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/index.html", strings.NewReader("x"))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %v, %v; want 405", resp, err)
	} else {
		resp.Body.Close()
	}
}

// TestServeSecurityHeaders: a Content-Security-Policy that allows no blob:
// workers, no inline styles and no form submissions, a Referrer-Policy and
// a Permissions-Policy that lets only the page's origin use the camera.
func TestServeSecurityHeaders(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("page"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newHandler(dir))
	defer srv.Close()
	_, _, h := get(t, srv, "/")
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "connect-src 'self'", "form-action 'none'", "frame-ancestors 'none'", "worker-src 'self';", "style-src 'self';"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	for _, bad := range []string{"unsafe-inline", "worker-src 'self' blob:"} {
		if strings.Contains(csp, bad) {
			t.Errorf("Content-Security-Policy %q allows %q", csp, bad)
		}
	}
	if got := h.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy = %q, want no-referrer", got)
	}
	if pp := h.Get("Permissions-Policy"); !strings.Contains(pp, "camera=(self)") || !strings.Contains(pp, "microphone=()") {
		t.Errorf("Permissions-Policy = %q, want camera=(self) and no microphone", pp)
	}
}

// TestServerTimeouts: the server does not wait for ever on a slow client.
func TestServerTimeouts(t *testing.T) {
	s := newServer("localhost:0", t.TempDir())
	if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.WriteTimeout <= 0 || s.IdleTimeout <= 0 {
		t.Errorf("server timeouts: header %v, read %v, write %v, idle %v; want all set", s.ReadHeaderTimeout, s.ReadTimeout, s.WriteTimeout, s.IdleTimeout)
	}
	if s.Handler == nil || s.Addr != "localhost:0" {
		t.Errorf("server %+v", s)
	}
}
