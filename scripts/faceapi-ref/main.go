// Command faceapi-ref computes reference descriptors with face-api.js's own
// FaceRecognitionNet (TensorFlow.js, cpu backend) in headless Chromium and
// writes them to testdata/teacher_ref.json, for teacher's port test.
//
//	scripts/fetch-faceapi.sh
//	go run ./scripts/faceapi-ref [-out testdata/teacher_ref.json]
//
// The inputs are made in Go by package teacher/faceapiref (synthetic
// patterns always; LFW crops when the data set is present, see -data) and
// sent to the page as bytes, so the browser and the Go test see the same
// pixels. face-api gets the 0..255 image as a float32 tensor and does its own
// padding, resizing and normalisation.
package main

import (
	"bytes"
	"context"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/oneshotface/oneshot/teacher"
	"github.com/oneshotface/oneshot/teacher/faceapiref"
)

//go:embed index.html ref.js
var page embed.FS

func main() {
	out := flag.String("out", "", "output JSON (default testdata/teacher_ref.json at the module root)")
	data := flag.String("data", faceapiref.DataDir(), "folder holding lfw/ (LFW cases are skipped without it)")
	chrome := flag.String("chromium", "/usr/bin/chromium", "Chromium binary")
	timeout := flag.Duration("timeout", 5*time.Minute, "overall time limit")
	flag.Parse()
	log.SetFlags(0)
	if err := run(*out, *data, *chrome, *timeout); err != nil {
		log.Fatal("faceapi-ref: ", err)
	}
}

func run(out, dataDir, chrome string, timeout time.Duration) error {
	modelDir, err := teacher.ModelDir()
	if err != nil {
		return err
	}
	pkgDir := filepath.Dir(modelDir)
	if out == "" {
		root, err := moduleRoot()
		if err != nil {
			return err
		}
		out = filepath.Join(root, "testdata", "teacher_ref.json")
	}
	version, err := packageVersion(pkgDir)
	if err != nil {
		return err
	}

	// serve the page and the package on loopback only
	mux := http.NewServeMux()
	sub, _ := fs.Sub(page, ".")
	mux.Handle("/", http.FileServerFS(sub))
	mux.Handle("/faceapi/", http.StripPrefix("/faceapi/", http.FileServer(http.Dir(pkgDir))))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true),
	)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	if err := chromedp.Do(bctx, chromedp.Navigate("http://"+ln.Addr().String()+"/index.html")); err != nil {
		return fmt.Errorf("opening the page: %w", err)
	}
	state, err := chromedp.Run(bctx, chromedp.Poll[string](`window.refState !== "loading" && window.refState`,
		chromedp.WithPollingTimeout(2*time.Minute)))
	if err != nil {
		return fmt.Errorf("waiting for face-api to load: %w", err)
	}
	if state != "ready" {
		return fmt.Errorf("page: %s", state)
	}
	backend, err := chromedp.Run(bctx, chromedp.Evaluate[string](`window.refBackend`))
	if err != nil {
		return err
	}

	file := faceapiref.File{
		Package:   "@vladmandic/face-api@" + version,
		Backend:   backend,
		Generator: "scripts/fetch-faceapi.sh && go run ./scripts/faceapi-ref",
	}
	for _, c := range faceapiref.Cases() {
		b, err := c.Input.Bytes(dataDir)
		if errors.Is(err, faceapiref.ErrNoData) {
			log.Printf("skip %s: %v", c.Name, err)
			continue
		}
		if err != nil {
			return fmt.Errorf("case %s: %w", c.Name, err)
		}
		t0 := time.Now()
		expr := fmt.Sprintf("window.describe(%q, %d, %d)", base64.StdEncoding.EncodeToString(b), c.Input.Width, c.Input.Height)
		d, err := chromedp.Run(bctx, chromedp.Evaluate[[]float32](expr, chromedp.EvalAwaitPromise))
		if err != nil {
			return fmt.Errorf("case %s: %w", c.Name, err)
		}
		if len(d) != 128 {
			return fmt.Errorf("case %s: face-api returned %d values, want 128", c.Name, len(d))
		}
		c.Descriptor = d
		file.Cases = append(file.Cases, c)
		log.Printf("%s: %d×%d in %v", c.Name, c.Input.Width, c.Input.Height, time.Since(t0).Round(time.Millisecond))
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(file); err != nil {
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	log.Printf("wrote %d cases to %s", len(file.Cases), out)
	return nil
}

func packageVersion(pkgDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(pkgDir, "package.json"))
	if err != nil {
		return "", fmt.Errorf("reading face-api's package.json: %w", err)
	}
	var p struct{ Version string }
	if err := json.Unmarshal(b, &p); err != nil || p.Version == "" {
		return "", fmt.Errorf("face-api's package.json has no version")
	}
	return p.Version, nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/oneshotface/oneshot") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run inside the oneshot module (no go.mod found above the working directory)")
		}
		dir = parent
	}
}
