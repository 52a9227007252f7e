// Command bench measures Oneshot in the browser, side by side with native Go:
// it builds the release web output (scripts/build-web.sh), serves it with
// cmd/serve's headers and gzip on 127.0.0.1, loads a benchmark page
// (page/, embedded) in headless Chromium that drives oneshot.js, runs the
// native Go benchmarks of the same stages, prints one table and writes
// build/bench.json. `make bench` runs it. When the build made the page's
// accurate model (accurate.oneshot) it is timed too (accurate_embed_ms,
// against the bar of 120 ms); otherwise the float32 teacher, when
// build/teacher.oneshot exists (teacher_embed_ms).
//
// Two clocks are read in the browser. The *_call_ms figures (and enroll_ms,
// verify_ms) are the wall time of one call through the public API, measured
// in the page with performance.now(): postMessage to the worker and back,
// pixels transferred and copied into Go, the answer encoded. The stage
// figures come from the timings every frame call answers with, measured
// inside the wasm module with Go's monotonic clock: embed_ms is
// timings.embed of the embed calls, the forward pass of one aligned crop
// (the compact embed of one crop), and detect_align_ms is their detect +
// pupils + quality + align, a 640×480 frame up to the crop. Both are
// medians (with p90) over -runs runs, 30 by default. challenge_frame_ms is
// one frame of a liveness challenge (engine.challenge's next) inside the
// module: the frame up to the pupils, the nose and mouth landmarks, and on
// the frames that look at the camera an embedding.
//
// wasm_brotli_bytes is the module compressed with brotli at quality 11 and
// the encoder's default 4 MiB window (github.com/andybalholm/brotli, pure
// Go: about 1.5 minutes for the 25 MB module, run after the timed stages
// and cached in build/ by the module's SHA-256).
//
// Usage:
//
//	go run ./cmd/bench [-runs 30] [-full=true] [-native=true] [-brotli=true] [-out build/bench.json]
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/draw"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/chromedp/chromedp"
	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/engine"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/internal/browsertest"
)

//go:embed page
var pageFS embed.FS

// stat is the page's statistics of one timed quantity, in ms.
type stat struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	P90    float64 `json:"p90"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// callStat is the page's statistics of one API call: its wall time and,
// when its answers carry the module's timings, those of each stage
// ("detect", "pupils", "quality", "align", "embed", "total", and the page's
// "detectAlign" = detect + pupils + quality + align and "overhead" = wall
// time − total, both computed run by run).
type callStat struct {
	stat
	Stages map[string]stat `json:"stages"`
}

// stage returns the statistics of one stage, and false when the call's
// answers had no timings.
func (c *callStat) stage(name string) (stat, bool) {
	if c == nil {
		return stat{}, false
	}
	s, ok := c.Stages[name]
	return s, ok && s.N > 0
}

// stageMedians lists the median of every stage of the call, and of its
// wall time as "call", for bench.json (keys in snake case).
func (c *callStat) stageMedians() map[string]float64 {
	out := map[string]float64{"call": round(c.Median)}
	for k, s := range c.Stages {
		if s.N > 0 {
			out[snake(k)] = round(s.Median)
		}
	}
	return out
}

// snake turns a camelCase name into snake_case ("detectAlign" → "detect_align").
func snake(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ftRun is one fine-tuning run of the page.
type ftRun struct {
	Seconds  float64 `json:"seconds"`
	Triplets int     `json:"triplets"`
	Epochs   int     `json:"epochs"`
	HeldOut  int     `json:"heldOut"`
	Kept     bool    `json:"kept"`
}

// pageResult is what B.run returns.
type pageResult struct {
	Detect         callStat  `json:"detect"`
	Embed          callStat  `json:"embed"`
	Enroll         callStat  `json:"enroll"`
	EnrollAccepted int       `json:"enrollAccepted"`
	Verify         callStat  `json:"verify"`
	VerifyMatch    bool      `json:"verifyMatch"`
	Challenge      callStat  `json:"challenge"`
	Head           *ftRun    `json:"head"`
	Full           []ftRun   `json:"full"`
	TeacherLoadMs  float64   `json:"teacherLoadMs"`
	TeacherEmbed   *callStat `json:"teacherEmbed"`
	TeacherError   string    `json:"teacherError"`
}

// pageConfig is B.run's argument.
type pageConfig struct {
	Runs        int        `json:"runs"`
	TeacherRuns int        `json:"teacherRuns"`
	Probe       string     `json:"probe"`
	Enroll      []string   `json:"enroll"`
	Verify      string     `json:"verify"`
	ID          string     `json:"id"`
	Triplets    [][]string `json:"triplets,omitempty"`
	Full        bool       `json:"full"`
	Teacher     string     `json:"teacher,omitempty"`
}

func main() {
	runs := flag.Int("runs", 30, "timed runs of each browser stage")
	teacherRuns := flag.Int("teacher-runs", 10, "timed runs of the teacher embed (0: skip)")
	full := flag.Bool("full", true, "time full-mode fine-tuning")
	native := flag.Bool("native", true, "run the native Go benchmarks")
	doBrotli := flag.Bool("brotli", true, "compress the module with brotli -q 11 for wasm_brotli_bytes (about 1.5 minutes; cached)")
	webOut := flag.String("web", "build/web", "where to build the web output")
	teacherPath := flag.String("teacher", "build/teacher.oneshot", "teacher model (timed when it exists and -accurate does not apply)")
	accurate := flag.Bool("accurate", true, "time the page's accurate model (the build's accurate.oneshot, the teacher with 8-bit weights) in the teacher's place when the build made it; its keys are accurate_*")
	out := flag.String("out", "build/bench.json", "JSON results")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("bench: ")
	if *runs < 1 || *teacherRuns < 0 {
		log.Fatalf("-runs is %d and -teacher-runs %d: want at least 1 and 0", *runs, *teacherRuns)
	}
	start := time.Now()
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		log.Fatal(err)
	}

	log.Printf("building %s", *webOut)
	build := exec.Command("bash", "scripts/build-web.sh", *webOut)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		log.Fatalf("scripts/build-web.sh: %v", err)
	}
	res := map[string]any{}
	var notes []string
	note := func(format string, a ...any) {
		s := fmt.Sprintf(format, a...)
		notes = append(notes, s)
		log.Print("note: " + s)
	}

	// Sizes.
	wasm, err := os.ReadFile(filepath.Join(*webOut, "oneshot.wasm"))
	if err != nil {
		log.Fatal(err)
	}
	res["wasm_bytes"] = len(wasm)
	res["wasm_gzip_bytes"] = gzipSize(wasm, gzip.BestCompression)
	res["wasm_gzip_fast_bytes"] = gzipSize(wasm, gzip.BestSpeed) // what cmd/serve sends
	model, err := os.ReadFile(filepath.Join(*webOut, "model.oneshot"))
	if err != nil {
		log.Fatalf("no model in %s: %v", *webOut, err)
	}
	res["model_bytes"] = len(model)

	// Face data: two people with six images that pass the quality check.
	people, files, err := pickPeople(model, 2, 6)
	if err != nil {
		log.Fatal(err)
	}
	a, b := people[0], people[1]
	log.Printf("people: %s, %s", a.name, b.name)
	cfg := pageConfig{
		Runs: *runs, TeacherRuns: *teacherRuns,
		Probe: a.urls[0], Enroll: a.urls[:5], Verify: a.urls[5], ID: a.name,
		Triplets: [][]string{a.urls[:4], b.urls[:4]}, Full: *full,
	}
	// The ResNet slot times the page's accurate model when the build made
	// it (keys accurate_*), else the float32 teacher (keys teacher_*).
	teacherFile, slot := "", "teacher"
	if acc := filepath.Join(*webOut, "accurate.oneshot"); *accurate && *teacherRuns > 0 {
		if st, err := os.Stat(acc); err == nil && !st.IsDir() {
			teacherFile, slot = acc, "accurate"
			cfg.Teacher = "/teacher.oneshot"
			res["accurate_model_bytes"] = st.Size()
		} else {
			note("accurate_embed_ms omitted: the build made no accurate.oneshot (see scripts/build-web.sh's message); timing %s instead", *teacherPath)
		}
	}
	if *teacherRuns > 0 && teacherFile == "" {
		if st, err := os.Stat(*teacherPath); err == nil && !st.IsDir() {
			teacherFile = *teacherPath
			cfg.Teacher = "/teacher.oneshot"
			res["teacher_model_bytes"] = st.Size()
		} else {
			note("teacher_embed_ms omitted: %s not found (make teacher creates it)", *teacherPath)
		}
	}

	// Serve.
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir(*webOut)))
	sub, _ := fs.Sub(pageFS, "page")
	mux.Handle("/bench/", http.StripPrefix("/bench/", http.FileServer(http.FS(sub))))
	mux.HandleFunc("/lfw/", func(w http.ResponseWriter, r *http.Request) {
		path, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, path)
	})
	if teacherFile != "" {
		mux.HandleFunc("/teacher.oneshot", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, teacherFile) })
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: withServeHeaders(mux)}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	// Browser.
	pr, readyMs, browser, err := runPage(base, cfg)
	if err != nil {
		log.Fatal(err)
	}
	res["ready_ms"] = round(readyMs)
	res["runs"] = pr.Embed.N
	if pr.Embed.N < 30 {
		note("only %d runs of each stage: the issue asks for at least 30 (-runs)", pr.Embed.N)
	}
	// The compact embed of one crop and the frame up to the crop, measured
	// in the module, from the same embed calls.
	res["embed_target_ms"] = embedTargetMs
	res["detect_align_target_ms"] = detectAlignTargetMs
	if fwd, ok := pr.Embed.stage("embed"); ok {
		res["embed_ms"] = round(fwd.Median)
		res["embed_p90_ms"] = round(fwd.P90)
	} else {
		note("embed_ms omitted: the embed answers carried no timings (an old oneshot.wasm?)")
	}
	if da, ok := pr.Embed.stage("detectAlign"); ok {
		res["detect_align_ms"] = round(da.Median)
		res["detect_align_p90_ms"] = round(da.P90)
		for key, name := range map[string]string{"detect_scan_ms": "detect", "pupils_ms": "pupils", "quality_ms": "quality", "align_ms": "align"} {
			if s, ok := pr.Embed.stage(name); ok {
				res[key] = round(s.Median)
			}
		}
	}
	if o, ok := pr.Embed.stage("overhead"); ok {
		res["embed_call_overhead_ms"] = round(o.Median)
	}
	// The calls' wall times.
	res["detect_call_ms"] = round(pr.Detect.Median)
	res["detect_call_p90_ms"] = round(pr.Detect.P90)
	res["embed_call_ms"] = round(pr.Embed.Median)
	res["embed_call_p90_ms"] = round(pr.Embed.P90)
	res["enroll_ms"] = round(pr.Enroll.Median)
	res["enroll_p90_ms"] = round(pr.Enroll.P90)
	res["verify_ms"] = round(pr.Verify.Median)
	res["verify_p90_ms"] = round(pr.Verify.P90)
	res["challenge_frame_target_ms"] = challengeTargetMs
	if tot, ok := pr.Challenge.stage("total"); ok {
		res["challenge_frame_ms"] = round(tot.Median)
		res["challenge_frame_p90_ms"] = round(tot.P90)
	}
	res["challenge_call_ms"] = round(pr.Challenge.Median)
	stages := map[string]any{
		"detect_call": pr.Detect.stageMedians(), "embed_call": pr.Embed.stageMedians(),
		"enroll_call": pr.Enroll.stageMedians(), "verify_call": pr.Verify.stageMedians(),
		"challenge_call": pr.Challenge.stageMedians(),
	}
	note("embed_ms and detect_align_ms are measured inside the module (timings of %d embed calls): the forward pass of one 64×64 crop, "+
		"and detect + pupils + quality + align of a 640×480 frame; the *_call_ms keys are the wall time of the whole API call", pr.Embed.N)
	if pr.EnrollAccepted != 5 {
		note("enroll accepted %d of 5 frames", pr.EnrollAccepted)
	}
	if pr.Head != nil {
		res["finetune_head_s"] = round(pr.Head.Seconds)
		res["finetune_head_triplets"] = pr.Head.Triplets
		res["finetune_head_epochs"] = pr.Head.Epochs
	}
	if len(pr.Full) == 2 && pr.Full[1].Epochs > pr.Full[0].Epochs && pr.Full[0].Triplets > 0 {
		per := (pr.Full[1].Seconds - pr.Full[0].Seconds) * 1000 / float64((pr.Full[1].Epochs-pr.Full[0].Epochs)*pr.Full[0].Triplets)
		res["finetune_full_1epoch_s"] = round(pr.Full[0].Seconds)
		res["finetune_full_3epochs_s"] = round(pr.Full[1].Seconds)
		if per > 0 {
			res["finetune_full_ms_per_triplet"] = round(per)
			note("finetune_full_ms_per_triplet: (3 epochs − 1 epoch) of %d triplets in full mode, per triplet and epoch (%.2fs, %.2fs)",
				pr.Full[0].Triplets, pr.Full[0].Seconds, pr.Full[1].Seconds)
		} else {
			note("finetune_full_ms_per_triplet omitted: 3 epochs of full fine-tuning took no longer than 1 (%.2fs, %.2fs): the machine was too busy to tell",
				pr.Full[1].Seconds, pr.Full[0].Seconds)
		}
	}
	switch {
	case pr.TeacherEmbed != nil:
		if fwd, ok := pr.TeacherEmbed.stage("embed"); ok {
			res[slot+"_embed_ms"] = round(fwd.Median)
			res[slot+"_embed_p90_ms"] = round(fwd.P90)
		}
		res[slot+"_embed_call_ms"] = round(pr.TeacherEmbed.Median)
		res[slot+"_embed_call_p90_ms"] = round(pr.TeacherEmbed.P90)
		res[slot+"_load_ms"] = round(pr.TeacherLoadMs)
		stages[slot+"_embed_call"] = pr.TeacherEmbed.stageMedians()
		note("%s_embed_ms: forward pass of one 150×150 crop measured in the module (%s_embed_call_ms: the whole call), "+
			"the %s loaded as the engine's model (%s), %d runs", slot, slot, slot, filepath.Base(teacherFile), pr.TeacherEmbed.N)
	case pr.TeacherError != "":
		note("%s_embed_ms omitted: the %s model did not load in the page: %s", slot, slot, pr.TeacherError)
	}
	res["stages_ms"] = stages

	// Native.
	if *native {
		nat := []struct{ key, pkg, bench, metric string }{
			{"native_embed_ms", "./embedder", "^BenchmarkCompactEmbed$", "ns/op"},
			{"native_detect_align_ms", "./face", "^BenchmarkPipeline640x480$", "ns/op"},
			{"native_detect_ms", "./face", "^BenchmarkDetect640x480Frame$", "ns/op"},
		}
		if teacherFile != "" {
			nat = append(nat, struct{ key, pkg, bench, metric string }{"native_teacher_embed_ms", "./teacher", "^BenchmarkForward$/^batch=1$", "ms/crop"})
		}
		for _, n := range nat {
			log.Printf("native %s %s", n.pkg, n.bench)
			v, err := nativeMedian(n.pkg, n.bench, n.metric)
			if err != nil {
				note("%s omitted: %v", n.key, err)
				continue
			}
			res[n.key] = round(v)
		}
		ratio := func(key, wasmKey, nativeKey string) {
			w, ok1 := res[wasmKey].(float64)
			n, ok2 := res[nativeKey].(float64)
			if ok1 && ok2 && n > 0 {
				res[key] = round(w / n)
			}
		}
		ratio("embed_ratio_wasm_native", "embed_ms", "native_embed_ms")
		ratio("detect_align_ratio_wasm_native", "detect_align_ms", "native_detect_align_ms")
		ratio("teacher_ratio_wasm_native", "teacher_embed_ms", "native_teacher_embed_ms")
	}

	// Brotli last: it keeps a core busy for a minute or two, which would
	// disturb the timings.
	if *doBrotli {
		log.Printf("brotli -q 11 of %s (%.1f MB)", filepath.Join(*webOut, "oneshot.wasm"), float64(len(wasm))/1e6)
		t0 := time.Now()
		n, cached, err := brotliSize(wasm, filepath.Join(filepath.Dir(*out), "bench-brotli.json"))
		if err != nil {
			note("wasm_brotli_bytes omitted: %v", err)
		} else {
			res["wasm_brotli_bytes"] = n
			if cached {
				log.Printf("brotli: %d bytes (this module's size, cached)", n)
			} else {
				log.Printf("brotli: %d bytes in %.0fs", n, time.Since(t0).Seconds())
			}
		}
	} else {
		note("wasm_brotli_bytes omitted: -brotli=false")
	}
	res["date"] = time.Now().UTC().Format("2006-01-02")
	res["browser"] = browser
	res["go"] = runtime.Version() // the native benchmarks'
	if v := wasmGoVersion(wasm); v != "" {
		res["wasm_go"] = v // scripts/build-web.sh may build the module with another toolchain
	}
	res["cpus"] = runtime.NumCPU()
	res["people"] = []string{a.name, b.name}
	res["notes"] = notes
	res["seconds"] = round(time.Since(start).Seconds())

	js, _ := json.MarshalIndent(res, "", "  ")
	if err := os.WriteFile(*out, append(js, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
	printTable(res, pr, slot)
	fmt.Printf("\nwrote %s in %.0fs\n", *out, time.Since(start).Seconds())
}

// goVersionRE matches a Go release's version string, as the runtime keeps
// it in every binary (runtime.buildVersion).
var goVersionRE = regexp.MustCompile(`go1\.[0-9]+(\.[0-9]+)?`)

// wasmGoVersion returns the version of the Go toolchain that built a
// module (the first Go version string in it), or "" when it has none.
// debug/buildinfo cannot read wasm files.
func wasmGoVersion(wasm []byte) string {
	return string(goVersionRE.Find(wasm))
}

// round rounds v to two decimals.
func round(v float64) float64 {
	return float64(int64(v*100+0.5)) / 100
}

// gzipSize is the size of b compressed with gzip at level.
func gzipSize(b []byte, level int) int {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, level)
	zw.Write(b)
	zw.Close()
	return buf.Len()
}

// The targets for the in-browser stages, in ms.
const (
	embedTargetMs       = 25
	detectAlignTargetMs = 20
	// challengeTargetMs bounds one frame of the liveness challenge in the
	// module (timings.total of challenge.next).
	challengeTargetMs = 25
	// accurateTargetMs is the bar of the accurate model's forward pass on
	// one 150×150 crop in the browser (median).
	accurateTargetMs = 120
)

// brotliQuality is the brotli quality of wasm_brotli_bytes (the highest,
// as for files compressed once at build time).
const brotliQuality = 11

// brotliCache is what cachePath remembers of the last compression.
type brotliCache struct {
	SHA256  string `json:"sha256"`
	Quality int    `json:"quality"`
	Bytes   int    `json:"bytes"`
}

// brotliSize returns the size of b compressed with brotli at
// brotliQuality and the encoder's default window (lgwin 22). The size is
// kept in cachePath with b's SHA-256, so an unchanged module is not
// compressed again; cached reports that it was not. A cache that cannot be
// read or written is ignored.
func brotliSize(b []byte, cachePath string) (n int, cached bool, err error) {
	sum := sha256.Sum256(b)
	key := hex.EncodeToString(sum[:])
	var c brotliCache
	if data, err := os.ReadFile(cachePath); err == nil && json.Unmarshal(data, &c) == nil &&
		c.SHA256 == key && c.Quality == brotliQuality && c.Bytes > 0 {
		return c.Bytes, true, nil
	}
	var cw countWriter
	zw := brotli.NewWriterLevel(&cw, brotliQuality)
	if _, err := zw.Write(b); err != nil {
		return 0, false, fmt.Errorf("brotli: %w", err)
	}
	if err := zw.Close(); err != nil {
		return 0, false, fmt.Errorf("brotli: %w", err)
	}
	if data, err := json.Marshal(brotliCache{SHA256: key, Quality: brotliQuality, Bytes: cw.n}); err == nil {
		_ = os.WriteFile(cachePath, data, 0o644)
	}
	return cw.n, false, nil
}

// countWriter counts the bytes written to it and keeps none.
type countWriter struct{ n int }

// Write counts p.
func (w *countWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	return len(p), nil
}

type person struct {
	name string
	urls []string
}

// pickPeople chooses n LFW people of peopleDevTest.txt with k images that
// pass the native engine's quality check, and the files to serve.
func pickPeople(model []byte, n, k int) ([]person, map[string]string, error) {
	root, err := dataset.Root()
	if err != nil {
		return nil, nil, err
	}
	lfw := filepath.Join(root, "lfw")
	people, err := dataset.ReadPeopleFile(filepath.Join(lfw, "peopleDevTest.txt"), filepath.Join(lfw, "images"))
	if err != nil {
		return nil, nil, fmt.Errorf("LFW lists: %w", err)
	}
	c, err := face.LoadCascadesFromModule()
	if err != nil {
		return nil, nil, err
	}
	e, err := engine.Load(c, model)
	if err != nil {
		return nil, nil, err
	}
	files := map[string]string{}
	var out []person
	for _, p := range people {
		if len(p.Images) < k+2 {
			continue
		}
		var urls []string
		for _, path := range p.Images {
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, nil, err
			}
			img, err := face.DecodeBytes(b)
			if err != nil {
				continue
			}
			d, err := e.Detect(frameOf(img))
			if err != nil || !d.Quality.OK {
				continue
			}
			u := "/lfw/" + p.Name + "/" + filepath.Base(path)
			files[u] = path
			urls = append(urls, u)
			if len(urls) == k {
				break
			}
		}
		if len(urls) == k {
			out = append(out, person{p.Name, urls})
			if len(out) == n {
				return out, files, nil
			}
		}
	}
	return nil, nil, fmt.Errorf("LFW: only %d people with %d good images", len(out), k)
}

func frameOf(img image.Image) engine.Frame {
	b := img.Bounds()
	rgba := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(rgba, rgba.Bounds(), img, b.Min, draw.Src)
	return engine.Frame{Pix: rgba.Pix, Width: b.Dx(), Height: b.Dy()}
}

// runPage starts headless Chromium, opens the benchmark page and runs it.
func runPage(base string, cfg pageConfig) (pr pageResult, readyMs float64, browser string, err error) {
	path := browsertest.ChromiumPath()
	if path == "" {
		return pr, 0, "", fmt.Errorf("no Chromium found (apt-get install chromium, or set $CHROMIUM)")
	}
	udd, err := os.MkdirTemp("", "oneshot-bench-")
	if err != nil {
		return pr, 0, "", err
	}
	defer os.RemoveAll(udd)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(udd),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancelC := chromedp.NewContext(actx)
	defer cancelC()
	ctx, cancelT := context.WithTimeout(ctx, 4*time.Minute)
	defer cancelT()

	log.Printf("Chromium: %s", base+"/bench/bench.html")
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/bench/bench.html")); err != nil {
		return pr, 0, "", err
	}
	state, err := chromedp.Run(ctx, chromedp.Poll[string](`B.ready ? "ok" : B.error`, chromedp.WithPollingTimeout(60*time.Second)))
	if err != nil {
		return pr, 0, "", fmt.Errorf("the engine never became ready: %v", err)
	}
	if state != "ok" {
		return pr, 0, "", fmt.Errorf("loading the engine: %s", state)
	}
	readyMs, err = chromedp.Run(ctx, chromedp.Evaluate[float64](`B.readyMs`))
	if err != nil {
		return pr, 0, "", err
	}
	browser, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.userAgent`))
	if m := regexp.MustCompile(`(?:Headless)?Chrome/[0-9.]+`).FindString(browser); m != "" {
		browser = m
	}
	log.Printf("engine ready in %.0f ms; running the stages", readyMs)
	cj, _ := json.Marshal(cfg)
	pr, err = chromedp.Run(ctx, chromedp.Evaluate[pageResult](`B.run(`+string(cj)+`)`, chromedp.EvalAwaitPromise))
	if err != nil {
		return pr, 0, "", fmt.Errorf("in the page: %v", err)
	}
	return pr, readyMs, browser, nil
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+)\s+\d+\s+(.*)$`)

// nativeMedian runs one Go benchmark 5 times and returns the median of
// metric (ns/op is returned in ms).
func nativeMedian(pkg, bench, metric string) (float64, error) {
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", bench, "-count", "5", pkg)
	cmd.Env = os.Environ()
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("go test %s: %v\n%s", pkg, err, b)
	}
	var xs []float64
	for _, line := range strings.Split(string(b), "\n") {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		f := strings.Fields(m[2])
		for i := 1; i < len(f); i++ {
			if f[i] == metric {
				v, err := strconv.ParseFloat(f[i-1], 64)
				if err == nil {
					xs = append(xs, v)
				}
			}
		}
	}
	if len(xs) == 0 {
		return 0, fmt.Errorf("no %s in the output of %s %s (skipped?)", metric, pkg, bench)
	}
	sort.Float64s(xs)
	med := xs[len(xs)/2]
	if len(xs)%2 == 0 {
		med = (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
	}
	if metric == "ns/op" {
		med /= 1e6
	}
	return med, nil
}

// printTable prints the results on stdout: the stages measured in the
// module beside native Go and the targets, the whole API calls,
// the sizes and the notes; slot names the ResNet timed ("accurate" or
// "teacher").
func printTable(res map[string]any, pr pageResult, slot string) {
	get := func(k string) string {
		v, ok := res[k]
		if !ok {
			return "—"
		}
		switch v := v.(type) {
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		default:
			return fmt.Sprint(v)
		}
	}
	mb := func(k string) string {
		v, ok := res[k]
		if !ok {
			return "—"
		}
		var n float64
		switch v := v.(type) {
		case int:
			n = float64(v)
		case int64:
			n = float64(v)
		}
		return fmt.Sprintf("%.2f MB", n/1e6)
	}
	ms := func(k string) string {
		if v := get(k); v != "—" {
			return v + " ms"
		}
		return "—"
	}
	const head = "%-44s %12s %12s %10s %7s  %s\n"
	fmt.Printf("\nOneshot benchmark — %s, %s, %d CPUs, wasm %s, native %s, %s runs\n\n", get("date"), get("browser"), runtime.NumCPU(), get("wasm_go"), get("go"), get("runs"))
	fmt.Printf(head, "stage", "wasm median", "wasm p90", "native", "ratio", "target")
	row := func(name string, s stat, ok bool, native, ratio, target string) {
		if !ok {
			fmt.Printf(head, name, "—", "—", native, ratio, target)
			return
		}
		fmt.Printf("%-44s %9.2f ms %9.2f ms %10s %7s  %s\n", name, s.Median, s.P90, native, ratio, target)
	}
	target := func(s stat, ok bool, limit float64) string {
		switch {
		case !ok:
			return fmt.Sprintf("≤ %g ms", limit)
		case s.Median <= limit:
			return fmt.Sprintf("≤ %g ms: met", limit)
		}
		return fmt.Sprintf("≤ %g ms: missed", limit)
	}
	fwd, okF := pr.Embed.stage("embed")
	da, okD := pr.Embed.stage("detectAlign")
	fmt.Println("in the module (the calls' own timings):")
	row("  compact embed of one crop (forward pass)", fwd, okF, ms("native_embed_ms"), get("embed_ratio_wasm_native"), target(fwd, okF, embedTargetMs))
	row("  detect + pupils + align, 640×480", da, okD, ms("native_detect_align_ms"), get("detect_align_ratio_wasm_native"), target(da, okD, detectAlignTargetMs))
	if okD {
		fmt.Printf("%-44s %s / %s / %s / %s (medians)\n", "    face scan / pupils / quality / align",
			ms("detect_scan_ms"), ms("pupils_ms"), ms("quality_ms"), ms("align_ms"))
	}
	if pr.TeacherEmbed != nil {
		tf, okT := pr.TeacherEmbed.stage("embed")
		if slot == "accurate" {
			row("  accurate embed of one crop (forward pass)", tf, okT, ms("native_teacher_embed_ms"), get("teacher_ratio_wasm_native"), target(tf, okT, accurateTargetMs))
		} else {
			row("  teacher embed of one crop (forward pass)", tf, okT, ms("native_teacher_embed_ms"), get("teacher_ratio_wasm_native"), "")
		}
	}
	fmt.Println("whole API calls (page → worker → page):")
	row("  detect", pr.Detect.stat, true, ms("native_detect_ms")+" ¹", "", "")
	row("  embed", pr.Embed.stat, true, "", "", "")
	if o, ok := pr.Embed.stage("overhead"); ok {
		fmt.Printf("%-44s %9.2f ms\n", "    of which outside the module", o.Median)
	}
	if pr.TeacherEmbed != nil {
		row("  "+slot+" embed", pr.TeacherEmbed.stat, true, "", "", "")
	}
	row("  enroll from 5 frames", pr.Enroll.stat, true, "", "", "")
	row("  verify one frame", pr.Verify.stat, true, "", "", "")
	if tot, ok := pr.Challenge.stage("total"); ok {
		row("  liveness challenge, one frame (module)", tot, true, "", "", target(tot, true, challengeTargetMs))
		row("  liveness challenge, one frame (call)", pr.Challenge.stat, true, "", "", "")
	}
	fmt.Printf("%-44s %12s\n", "engine ready (navigation → ready)", ms("ready_ms"))
	if v := get("finetune_head_s"); v != "—" {
		fmt.Printf("%-44s %12s\n", "fine-tune head 20 trip. × 30 ep.", v+" s")
	}
	if v := get("finetune_full_ms_per_triplet"); v != "—" {
		fmt.Printf("%-44s %12s\n", "fine-tune full, per triplet·epoch", v+" ms")
	}
	fmt.Printf("\n%-44s %12s\n", "wasm", mb("wasm_bytes"))
	fmt.Printf("%-44s %12s\n", "wasm gzip -9", mb("wasm_gzip_bytes"))
	fmt.Printf("%-44s %12s\n", "wasm brotli -q 11", mb("wasm_brotli_bytes"))
	fmt.Printf("%-44s %12s\n", "model (compact)", mb("model_bytes"))
	if slot == "accurate" {
		fmt.Printf("%-44s %12s\n", "model (accurate, 8-bit weights)", mb("accurate_model_bytes"))
	}
	fmt.Printf("\nnative: embed = forward pass of one crop (BenchmarkCompactEmbed), detect+align = BenchmarkPipeline640x480 (as the engine: its frame detector, the 64×64 crop), " +
		"¹ = BenchmarkDetect640x480Frame (the scan alone, as the engine), teacher = BenchmarkForward/batch=1; medians of 5.\n")
	if notes, ok := res["notes"].([]string); ok {
		for _, n := range notes {
			fmt.Println("note:", n)
		}
	}
}
