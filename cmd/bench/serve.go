package main

import (
	"net/http"

	"github.com/oneshotface/oneshot/internal/webserve"
)

// withServeHeaders wraps files with the demo server's headers and
// compression, so the benchmark loads the module the way `make demo`
// delivers it.
func withServeHeaders(files http.Handler) http.Handler { return webserve.Wrap(files) }
