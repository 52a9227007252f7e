// Package webserve serves Oneshot's web build the way a developer's own
// static server should, for cmd/serve (the demo) and cmd/bench:
//
//   - .wasm as application/wasm, so browsers can compile it while it streams;
//   - gzip compression when the browser accepts it;
//   - Cache-Control: no-cache, so a rebuilt module is always picked up (the
//     browser still revalidates with Last-Modified);
//   - a Content-Security-Policy that keeps every request on this origin: the
//     page cannot send a face anywhere even if a script tried, nor submit a
//     form, and nothing may frame it;
//   - Referrer-Policy: no-referrer and a Permissions-Policy that lets only
//     this origin ask for the camera, and nobody for the microphone or the
//     location;
//   - only the regular files under its folder: no dotfiles (.git, .env), no
//     directory listings, no symbolic link that leads out of the folder.
//
// NewServer gives the timeouts a server facing a network needs.
package webserve

import (
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"strings"
	"time"
)

// ContentSecurityPolicy allows only same-origin resources. 'wasm-unsafe-eval'
// is what lets the page compile WebAssembly; nothing else is relaxed: the
// worker is a same-origin file (no blob: workers) and the page has no
// inline styles or scripts (TestPageFitsThePolicy), so neither is allowed.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; " +
	"connect-src 'self'; img-src 'self' blob: data:; media-src 'self' blob: mediastream:; " +
	"worker-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// PermissionsPolicy lets the page's own origin use the camera and nobody
// use the microphone, the location or the other powerful features.
const PermissionsPolicy = "camera=(self), microphone=(), geolocation=(), display-capture=(), payment=(), usb=(), serial=(), hid=(), bluetooth=()"

// Handler serves the regular files under dir with the headers described
// in the package comment. A path with a segment that starts with a dot, a
// folder without an index.html, and a symbolic link that leads out of dir
// are not found (404).
func Handler(dir string) http.Handler { return Wrap(files{dir}) }

// files serves the regular files under dir through an os.Root, which
// refuses every path that leaves dir, ".." and symbolic links included.
type files struct{ dir string }

// ServeHTTP serves the request's file, or 404 for what the package
// comment says is not served.
func (f files) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := path.Clean("/" + r.URL.Path)
	for _, seg := range strings.Split(name, "/") {
		if strings.HasPrefix(seg, ".") {
			http.NotFound(w, r)
			return
		}
	}
	root, err := os.OpenRoot(f.dir)
	if err != nil {
		http.Error(w, "the folder to serve cannot be opened", http.StatusInternalServerError)
		return
	}
	defer root.Close()
	rel := strings.TrimPrefix(name, "/")
	if rel == "" {
		rel = "."
	}
	st, err := root.Stat(rel)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if st.IsDir() {
		// A folder is served only through its index.html: no listings.
		idx, err := root.Stat(path.Join(rel, "index.html"))
		if err != nil || !idx.Mode().IsRegular() {
			http.NotFound(w, r)
			return
		}
	} else if !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	http.FileServerFS(regularOnly{root.FS()}).ServeHTTP(w, r)
}

// regularOnly is an fs.FS that opens regular files and folders only.
type regularOnly struct{ fs.FS }

// Open opens name when it is a regular file or a folder.
func (r regularOnly) Open(name string) (fs.File, error) {
	f, err := r.FS.Open(name)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil || !(st.Mode().IsRegular() || st.IsDir()) {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: errors.Join(fs.ErrNotExist, err)}
	}
	return f, nil
}

// Timeouts of NewServer's servers.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 5 * time.Minute // the module is 25 MB: room for a slow link
	IdleTimeout       = 2 * time.Minute
)

// NewServer is an http.Server for h on addr with timeouts, so that a
// client that sends its request slowly, or never reads the answer, cannot
// hold a connection for ever.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
}

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
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Permissions-Policy", PermissionsPolicy)
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
