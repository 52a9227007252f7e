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
