// Package webserve serves Oneshot's web build the way a developer's own
// static server should, for cmd/serve (the demo) and cmd/bench:
//
//   - .wasm as application/wasm, so browsers can compile it while it streams;
//   - gzip compression when the browser accepts it;
//   - Cache-Control: no-cache, so a rebuilt module is always picked up (the
//     browser still revalidates with Last-Modified);
//   - a Content-Security-Policy that keeps every request on this origin: the
//     page cannot send a face anywhere even if a script tried.
package webserve

import (
	"compress/gzip"
	"io"
	"mime"
	"net/http"
	"strings"
)

// ContentSecurityPolicy allows only same-origin resources. 'wasm-unsafe-eval'
// is what lets the page compile WebAssembly; nothing else is relaxed.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; " +
	"connect-src 'self'; img-src 'self' blob: data:; media-src 'self' blob: mediastream:; " +
	"worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

// Handler serves the files of dir with the headers described in the
// package comment.
func Handler(dir string) http.Handler { return Wrap(http.FileServer(http.Dir(dir))) }

// Wrap adds the package's headers and compression to any file handler.
func Wrap(files http.Handler) http.Handler {
	mime.AddExtensionType(".wasm", "application/wasm")
	mime.AddExtensionType(".mjs", "text/javascript")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Embedder-Policy", "require-corp")
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") || r.Header.Get("Range") != "" {
			files.ServeHTTP(w, r)
			return
		}
		gz := &gzipWriter{ResponseWriter: w}
		defer gz.Close()
		files.ServeHTTP(gz, r)
	})
}

// gzipWriter compresses the body of successful responses. It decides at
// WriteHeader time, so errors and 304s pass through untouched.
type gzipWriter struct {
	http.ResponseWriter
	zw      *gzip.Writer
	decided bool
}

// WriteHeader decides, once, whether the body is compressed: only a 200 is.
func (g *gzipWriter) WriteHeader(code int) {
	if !g.decided {
		g.decided = true
		if code == http.StatusOK {
			h := g.Header()
			h.Del("Content-Length")
			h.Set("Content-Encoding", "gzip")
			h.Add("Vary", "Accept-Encoding")
			g.zw, _ = gzip.NewWriterLevel(g.ResponseWriter, gzip.BestSpeed)
		}
	}
	g.ResponseWriter.WriteHeader(code)
}

// Write sends p through the compressor when WriteHeader chose one.
func (g *gzipWriter) Write(p []byte) (int, error) {
	if !g.decided {
		g.WriteHeader(http.StatusOK)
	}
	if g.zw != nil {
		return g.zw.Write(p)
	}
	return g.ResponseWriter.Write(p)
}

// Close flushes the compressed stream's end; the handler must call it.
func (g *gzipWriter) Close() error {
	if g.zw != nil {
		return g.zw.Close()
	}
	return nil
}

var _ io.Writer = (*gzipWriter)(nil)
