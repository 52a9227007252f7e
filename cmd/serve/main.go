// Command serve serves the Oneshot demo page from a folder on localhost with
// the headers of package internal/webserve (application/wasm, gzip,
// no-cache, a same-origin Content-Security-Policy, Referrer-Policy and
// Permissions-Policy), only the regular files under the folder (no
// dotfiles, listings or symbolic links out of it), and timeouts.
//
// Usage:
//
//	go run ./cmd/serve -dir build/web -addr localhost:8080
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/oneshotface/oneshot/internal/webserve"
)

func main() {
	dir := flag.String("dir", "build/web", "folder to serve")
	addr := flag.String("addr", "localhost:8080", "address to listen on")
	flag.Parse()
	if st, err := os.Stat(*dir); err != nil || !st.IsDir() {
		fmt.Fprintf(os.Stderr, "serve: %s is not a folder; build the demo first with `make web`\n", *dir)
		os.Exit(2)
	}
	log.Printf("serving %s on http://%s", *dir, *addr)
	log.Fatal(newServer(*addr, *dir).ListenAndServe())
}

// newServer serves dir on addr with webserve's timeouts.
func newServer(addr, dir string) *http.Server { return webserve.NewServer(addr, newHandler(dir)) }

// newHandler serves the files of dir (see package webserve).
func newHandler(dir string) http.Handler { return webserve.Handler(dir) }
