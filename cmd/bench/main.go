// Command bench measures Oneshot in the browser, side by side with native Go:
// it builds the release web output (scripts/build-web.sh), serves it with
// cmd/serve's headers and gzip on 127.0.0.1, loads a benchmark page
// (page/, embedded) in headless Chromium that drives oneshot.js, runs the
// native Go benchmarks of the same stages, prints one table and writes
// build/bench.json. `make bench` runs it.
//
// Browser times are measured in the page with performance.now(), each call
// through the public API (postMessage to the worker and back, pixels
// transferred). The API has no crop-only embed: embed_ms is the full embed
// call (detect + pupils + align + forward pass); embed_minus_detect_ms
// estimates the forward pass alone.
//
// Usage:
//
//	go run ./cmd/bench [-runs 30] [-full=true] [-native=true] [-out build/bench.json]
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"embed"
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

	"github.com/chromedp/chromedp"
	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/engine"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/internal/browsertest"
)

//go:embed page
var pageFS embed.FS

// stat is the page's statistics of one timed stage, in ms.
type stat struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	P90    float64 `json:"p90"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

type ftRun struct {
	Seconds  float64 `json:"seconds"`
	Triplets int     `json:"triplets"`
	Epochs   int     `json:"epochs"`
	HeldOut  int     `json:"heldOut"`
	Kept     bool    `json:"kept"`
}

// pageResult is what B.run returns.
type pageResult struct {
	Detect         stat    `json:"detect"`
	Embed          stat    `json:"embed"`
	Enroll         stat    `json:"enroll"`
	EnrollAccepted int     `json:"enrollAccepted"`
	Verify         stat    `json:"verify"`
	VerifyMatch    bool    `json:"verifyMatch"`
	Head           *ftRun  `json:"head"`
	Full           []ftRun `json:"full"`
	TeacherLoadMs  float64 `json:"teacherLoadMs"`
	TeacherEmbed   *stat   `json:"teacherEmbed"`
	TeacherDetect  *stat   `json:"teacherDetect"`
	TeacherError   string  `json:"teacherError"`
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
	webOut := flag.String("web", "build/web", "where to build the web output")
	teacherPath := flag.String("teacher", "build/teacher.oneshot", "teacher model (timed when it exists)")
	out := flag.String("out", "build/bench.json", "JSON results")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("bench: ")
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
	if n, err := brotliSize(filepath.Join(*webOut, "oneshot.wasm")); err == nil {
		res["wasm_brotli_bytes"] = n
	} else {
		note("wasm_brotli_bytes omitted: %v (github.com/andybalholm/brotli is not in the module graph)", err)
	}
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
	teacherFile := ""
	if *teacherRuns > 0 {
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
	res["detect_align_ms"] = round(pr.Detect.Median)
	res["detect_align_p90_ms"] = round(pr.Detect.P90)
	res["embed_ms"] = round(pr.Embed.Median)
	res["embed_p90_ms"] = round(pr.Embed.P90)
	res["embed_minus_detect_ms"] = round(pr.Embed.Median - pr.Detect.Median)
	res["enroll_ms"] = round(pr.Enroll.Median)
	res["enroll_p90_ms"] = round(pr.Enroll.P90)
	res["verify_ms"] = round(pr.Verify.Median)
	res["verify_p90_ms"] = round(pr.Verify.P90)
	res["runs"] = pr.Embed.N
	note("the API has no crop-only embed: embed_ms is the full embed call (detect + pupils + align + forward); embed_minus_detect_ms estimates the forward pass")
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
		res["finetune_full_ms_per_triplet"] = round(per)
		res["finetune_full_1epoch_s"] = round(pr.Full[0].Seconds)
		res["finetune_full_3epochs_s"] = round(pr.Full[1].Seconds)
		note("finetune_full_ms_per_triplet: (3 epochs − 1 epoch) of %d triplets in full mode, per triplet and epoch (%.2fs, %.2fs)",
			pr.Full[0].Triplets, pr.Full[0].Seconds, pr.Full[1].Seconds)
	}
	switch {
	case pr.TeacherEmbed != nil:
		res["teacher_embed_ms"] = round(pr.TeacherEmbed.Median)
		res["teacher_embed_p90_ms"] = round(pr.TeacherEmbed.P90)
		res["teacher_load_ms"] = round(pr.TeacherLoadMs)
		if pr.TeacherDetect != nil {
			res["teacher_embed_minus_detect_ms"] = round(pr.TeacherEmbed.Median - pr.TeacherDetect.Median)
		}
		note("teacher_embed_ms: full embed call with the teacher loaded as the engine's model, %d runs", pr.TeacherEmbed.N)
	case pr.TeacherError != "":
		note("teacher_embed_ms omitted: the teacher did not load in the page: %s", pr.TeacherError)
	}

	// Native.
	if *native {
		nat := []struct{ key, pkg, bench, metric string }{
			{"native_embed_ms", "./embedder", "^BenchmarkCompactEmbed$", "ns/op"},
			{"native_detect_align_ms", "./face", "^BenchmarkPipeline640x480$", "ns/op"},
			{"native_detect_ms", "./face", "^BenchmarkDetect640x480$", "ns/op"},
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
		if v, ok := res["native_embed_ms"].(float64); ok && v > 0 {
			res["embed_ratio_wasm_native"] = round(pr.Embed.Median / v)
			res["embed_minus_detect_ratio_wasm_native"] = round((pr.Embed.Median - pr.Detect.Median) / v)
		}
		if v, ok := res["native_detect_align_ms"].(float64); ok && v > 0 {
			res["detect_align_ratio_wasm_native"] = round(pr.Detect.Median / v)
		}
		if v, ok := res["native_teacher_embed_ms"].(float64); ok && v > 0 && pr.TeacherEmbed != nil && pr.TeacherDetect != nil {
			res["teacher_ratio_wasm_native"] = round((pr.TeacherEmbed.Median - pr.TeacherDetect.Median) / v)
		}
	}
	res["date"] = time.Now().UTC().Format("2006-01-02")
	res["browser"] = browser
	res["go"] = runtime.Version()
	res["cpus"] = runtime.NumCPU()
	res["people"] = []string{a.name, b.name}
	res["notes"] = notes
	res["seconds"] = round(time.Since(start).Seconds())

	js, _ := json.MarshalIndent(res, "", "  ")
	if err := os.WriteFile(*out, append(js, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
	printTable(res, pr)
	fmt.Printf("\nwrote %s in %.0fs\n", *out, time.Since(start).Seconds())
}

func round(v float64) float64 {
	return float64(int64(v*100+0.5)) / 100
}

func gzipSize(b []byte, level int) int {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, level)
	zw.Write(b)
	zw.Close()
	return buf.Len()
}

// brotliSize runs the brotli CLI (quality 11) when it is installed.
func brotliSize(path string) (int, error) {
	bin, err := exec.LookPath("brotli")
	if err != nil {
		return 0, fmt.Errorf("the brotli command is not installed")
	}
	b, err := exec.Command(bin, "-c", "-q", "11", path).Output()
	if err != nil {
		return 0, fmt.Errorf("brotli: %v", err)
	}
	return len(b), nil
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
		return pr, 0, "", fmt.Errorf("Chromium not found (apt-get install chromium, or set $CHROMIUM)")
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

func printTable(res map[string]any, pr pageResult) {
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
	fmt.Printf("\nOneshot benchmark — %s, %s, %d CPUs, %s\n\n", get("date"), get("browser"), runtime.NumCPU(), get("go"))
	fmt.Printf("%-34s %12s %12s %12s %8s\n", "stage", "wasm median", "wasm p90", "native", "ratio")
	row := func(name string, s stat, native, ratio string) {
		fmt.Printf("%-34s %9.2f ms %9.2f ms %12s %8s\n", name, s.Median, s.P90, native, ratio)
	}
	ms := func(k string) string {
		if v := get(k); v != "—" {
			return v + " ms"
		}
		return "—"
	}
	row("detect + pupils + align 640×480", pr.Detect, ms("native_detect_align_ms"), get("detect_align_ratio_wasm_native"))
	row("embed (full call, incl. detect)", pr.Embed, "", "")
	fmt.Printf("%-34s %9.2f ms %12s %12s %8s\n", "  embed − detect (forward, est.)", pr.Embed.Median-pr.Detect.Median, "", ms("native_embed_ms"), get("embed_minus_detect_ratio_wasm_native"))
	if pr.TeacherEmbed != nil {
		row("teacher embed (full call)", *pr.TeacherEmbed, "", "")
		if pr.TeacherDetect != nil {
			fmt.Printf("%-34s %9.2f ms %12s %12s %8s\n", "  teacher − detect (forward, est.)", pr.TeacherEmbed.Median-pr.TeacherDetect.Median, "", ms("native_teacher_embed_ms"), get("teacher_ratio_wasm_native"))
		}
	}
	row("enroll from 5 frames", pr.Enroll, "", "")
	row("verify one frame", pr.Verify, "", "")
	fmt.Printf("%-34s %12s\n", "engine ready (navigation → ready)", ms("ready_ms"))
	if v := get("finetune_head_s"); v != "—" {
		fmt.Printf("%-34s %12s\n", "fine-tune head 20 trip. × 30 ep.", v+" s")
	}
	if v := get("finetune_full_ms_per_triplet"); v != "—" {
		fmt.Printf("%-34s %12s\n", "fine-tune full, per triplet·epoch", v+" ms")
	}
	fmt.Printf("\n%-34s %12s\n", "wasm", mb("wasm_bytes"))
	fmt.Printf("%-34s %12s\n", "wasm gzip -9", mb("wasm_gzip_bytes"))
	fmt.Printf("%-34s %12s\n", "wasm brotli -q 11", mb("wasm_brotli_bytes"))
	fmt.Printf("%-34s %12s\n", "model (compact)", mb("model_bytes"))
	fmt.Printf("\nnative: embed = forward pass of one crop (BenchmarkCompactEmbed), detect+align = BenchmarkPipeline640x480, teacher = BenchmarkForward/batch=1; medians of 5.\n")
	if notes, ok := res["notes"].([]string); ok {
		for _, n := range notes {
			fmt.Println("note:", n)
		}
	}
}
