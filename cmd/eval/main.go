// Command eval measures how well a face embedder verifies pairs of faces,
// with the LFW protocol:
//
//	go run ./cmd/eval                       # models/compact.oneshot on LFW pairsDevTest.txt
//	go run ./cmd/eval -model m.oneshot -json -roc build/roc.png -hist build/hist.png
//	go run ./cmd/eval -pairs my-pairs.txt -root my-faces -format plain
//
// It embeds every distinct image of the pairs once (detect, align, embed,
// on -workers goroutines), compares each pair by d = ‖f(x1) − f(x2)‖², and
// prints the 10-fold accuracy (mean ± std, each fold's threshold chosen on
// the other nine), the AUC, the equal error rate, the true accept rate at a
// false accept rate of 1%, the threshold chosen on all pairs, the failures
// (pairs with an image in which no face was found: counted as errors) and
// the images whose pupils were not found (aligned from the face box). When
// the model file stores thresholds, it also prints the accuracy at its
// threshold and, at its strict threshold, how many pairs of two people are
// accepted (the file promises about 1% on people like its training people).
//
// Flags:
//
//	-model FILE    model file (default models/compact.oneshot)
//	-pairs FILE    pairs file (default $ONESHOT_DATA/lfw/pairsDevTest.txt)
//	-root DIR      folder the pairs' image paths are under (default $ONESHOT_DATA/lfw/images)
//	-format F      lfw (LFW pairs files) or plain ("path1 path2 label" lines)
//	-json          end the output with the report as one line of JSON
//	-roc FILE      write the ROC curve as a PNG
//	-hist FILE     write the histogram of distances as a PNG
//	-workers N     images embedded in parallel (default: the number of CPUs)
//
// Progress (images embedded, rate, time left) goes to stderr; the summary,
// and with -json a last line holding one JSON object with the keys
// accuracy, std, auc, eer, tar_at_far_1pct, threshold, failures and pairs
// (and more: see eval.Report), to stdout. $ONESHOT_DATA defaults to
// ../shared/data; the data are read where they are, never copied.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/eval"
	"github.com/oneshotface/oneshot/face"
)

// defaultModel is the compact model the project ships.
const defaultModel = "models/compact.oneshot"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "eval:", err)
		os.Exit(1)
	}
}

// output is the JSON line: the report and what it was measured on.
type output struct {
	eval.Report
	// Set names the data set (eval.Set.Name) and Note its caveat.
	Set            string  `json:"set"`
	Note           string  `json:"note,omitempty"`
	Model          string  `json:"model"`
	PairsFile      string  `json:"pairs_file"`
	Format         string  `json:"format"`
	Workers        int     `json:"workers"`
	ModelThreshold float32 `json:"model_threshold,omitempty"`
	// AccuracyAtModelThreshold is the accuracy on all pairs of the
	// threshold stored in the model file, when it has one.
	AccuracyAtModelThreshold float64 `json:"accuracy_at_model_threshold,omitempty"`
	// ModelStrict is what the strict threshold stored in the model file
	// (calibrated where 1% of the training people's pairs of two people
	// are accepted) does on these pairs, when the file has one.
	ModelStrict *eval.OperatingPoint `json:"model_strict,omitempty"`
	// ModelDefault is what the default threshold stored in the model file
	// does on these pairs, when the file has one.
	ModelDefault *eval.OperatingPoint `json:"model_default,omitempty"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		modelPath = fs.String("model", defaultModel, "model file")
		pairsPath = fs.String("pairs", "", "pairs file (default $ONESHOT_DATA/lfw/pairsDevTest.txt)")
		root      = fs.String("root", "", "folder the pairs' image paths are under (default $ONESHOT_DATA/lfw/images)")
		format    = fs.String("format", "lfw", "pairs file format: lfw or plain (\"path1 path2 label\" lines)")
		asJSON    = fs.Bool("json", false, "end the output with the report as one line of JSON")
		rocPath   = fs.String("roc", "", "write the ROC curve to this PNG file")
		histPath  = fs.String("hist", "", "write the histogram of distances to this PNG file")
		workers   = fs.Int("workers", runtime.NumCPU(), "images embedded in parallel")
		suite     = fs.Bool("suite", false, "measure on every data set of the yardstick side by side (eval.Sets: LFW pairsDevTest, FIW pairsVal and pairsValKin, ORL) and end with a table; plots get the set's name before .png")
	)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: eval [-model FILE] [-suite | -pairs FILE -root DIR -format lfw|plain] [-json] [-roc PNG] [-hist PNG] [-workers N]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	if *format != "lfw" && *format != "plain" {
		return fmt.Errorf("-format %q: use lfw or plain", *format)
	}
	if *workers < 1 {
		return fmt.Errorf("-workers %d: need at least 1", *workers)
	}

	// The model first: its absence is the likeliest mistake.
	e, err := loadModel(*modelPath)
	if err != nil {
		return err
	}
	var data string
	if *suite {
		if *pairsPath != "" || *root != "" {
			return errors.New("-suite measures on the yardstick's own pairs: give -pairs and -root without it")
		}
		if data, err = dataset.Root(); err != nil {
			return fmt.Errorf("-suite: %v", err)
		}
	} else if *pairsPath == "" || *root == "" {
		data, err := dataset.Root()
		if err != nil {
			return fmt.Errorf("no -pairs or -root given and %v", err)
		}
		if *pairsPath == "" {
			*pairsPath = filepath.Join(data, "lfw", "pairsDevTest.txt")
		}
		if *root == "" {
			*root = filepath.Join(data, "lfw", "images")
		}
	}
	var sets []eval.Set
	if *suite {
		if sets, err = eval.Sets(data); err != nil {
			return err
		}
	} else {
		pairs, err := dataset.ReadPairsFile(*pairsPath, *root, *format)
		if err != nil {
			return err
		}
		if len(pairs) == 0 {
			return fmt.Errorf("%s holds no pairs", *pairsPath)
		}
		sets = []eval.Set{{Name: filepath.Base(*pairsPath), File: *pairsPath, Pairs: pairs}}
	}
	cascades, err := face.LoadCascadesFromModule()
	if err != nil {
		return err
	}
	embs := []*embedder.Embedder{e}
	for len(embs) < *workers {
		c, err := e.Clone()
		if err != nil {
			return err
		}
		embs = append(embs, c)
	}

	var outs []output
	for _, set := range sets {
		fmt.Fprintf(stderr, "eval: %s: %d pairs from %s, model %s%s, %d workers\n", set.Name, len(set.Pairs), set.File, *modelPath, comparison(e), *workers)
		meter := newMeter(stderr)
		report, err := eval.Pairs(ctx, embs, cascades.NewDetector, set.Pairs, meter.update)
		meter.finish()
		if err != nil {
			return fmt.Errorf("%s: %w", set.Name, err)
		}
		out := output{Report: report, Set: set.Name, Note: set.Note, Model: *modelPath, PairsFile: set.File, Format: *format, Workers: *workers}
		if *suite {
			out.Format = ""
		}
		if e.Threshold > 0 {
			out.ModelThreshold = e.Threshold
			out.AccuracyAtModelThreshold = report.AccuracyAt(e.Threshold)
			p := report.At(e.Threshold)
			out.ModelDefault = &p
		}
		if e.StrictThreshold > 0 {
			p := report.At(e.StrictThreshold)
			out.ModelStrict = &p
		}
		printSummary(stdout, out)

		for _, p := range []struct {
			path string
			plot func(io.Writer, eval.Report) error
		}{{*rocPath, eval.PlotROC}, {*histPath, eval.PlotHistogram}} {
			if p.path == "" {
				continue
			}
			path := p.path
			if *suite {
				path = setPath(path, set.Name)
			}
			if err := writePlot(path, report, p.plot); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "wrote %s\n", path)
		}
		outs = append(outs, out)
	}
	if *suite {
		printTable(stdout, outs)
	}

	if *asJSON {
		var v any = outs[0]
		if *suite {
			v = struct {
				Model string   `json:"model"`
				Sets  []output `json:"sets"`
			}{*modelPath, outs}
		}
		line, err := json.Marshal(v)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", line)
	}
	return nil
}

// loadModel reads a model file and makes its Embedder.
func loadModel(path string) (*embedder.Embedder, error) {
	e, err := embedder.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no model at %s; train one with cmd/train or pass -model", path)
	}
	return e, err
}

// writePlot draws r into a new PNG file at path, making its folder.
func writePlot(path string, r eval.Report, plot func(io.Writer, eval.Report) error) error {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := plot(f, r); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// printSummary writes the human-readable report.
func printSummary(w io.Writer, o output) {
	r := o.Report
	pct := func(x float64) string { return fmt.Sprintf("%.2f%%", 100*x) }
	fmt.Fprintf(w, "%s: %d pairs (%d matched, %d mismatched), %d images, model %s\n",
		filepath.Base(o.PairsFile), r.Pairs, r.Matched, r.Pairs-r.Matched, r.Images, o.Model)
	switch filepath.Base(o.PairsFile) {
	case "pairs.txt":
		fmt.Fprintln(w, "  caveat: LFW View 2 mixes people of peopleDevTrain and peopleDevTest; a model trained on peopleDevTrain is not clean on it")
	case "pairsDevTrain.txt":
		fmt.Fprintln(w, "  caveat: these pairs are of the training people (peopleDevTrain); the figures are optimistic")
	}
	fmt.Fprintf(w, "  accuracy       %s ± %s  (%d-fold: each fold's threshold chosen on the others; std err %s)\n",
		pct(r.Accuracy), pct(r.Std), len(r.Folds), pct(r.StdErr))
	fmt.Fprintf(w, "  AUC            %.4f\n", r.AUC)
	fmt.Fprintf(w, "  EER            %s  (at d = %.4g)\n", pct(r.EER), r.EERThreshold)
	if f := r.FailureFAR(); f > eval.FAR1 {
		fmt.Fprintf(w, "  TAR@FAR=1%%     %s  (unreachable: the mismatched pairs without a face count as accepted, a false accept rate of %s by themselves)\n", pct(r.TARAtFAR1), pct(f))
	} else {
		fmt.Fprintf(w, "  TAR@FAR=1%%     %s  (at d ≤ %.4g)\n", pct(r.TARAtFAR1), r.TARThreshold)
	}
	fmt.Fprintf(w, "  threshold      %.4g  (chosen on all pairs; accuracy there %s)\n", r.Threshold, pct(r.AccuracyAt(r.Threshold)))
	if o.ModelThreshold > 0 {
		fmt.Fprintf(w, "  model's threshold %.4g: accuracy %s on all pairs\n", o.ModelThreshold, pct(o.AccuracyAtModelThreshold))
	}
	if p := o.ModelStrict; p != nil {
		fmt.Fprintf(w, "  model's strict threshold %.4g: %d of %d pairs of two people accepted (FAR %s), TAR %s\n",
			p.Threshold, p.FalseAccepts, p.Mismatched, pct(p.FAR()), pct(p.TAR()))
	}
	fmt.Fprintf(w, "  failures       %d pairs  (%d images without a face; counted as errors)\n", r.Failures, len(r.NoFace))
	for i, p := range r.NoFace {
		if i == 5 {
			fmt.Fprintf(w, "                 … and %d more\n", len(r.NoFace)-5)
			break
		}
		fmt.Fprintf(w, "                 no face: %s\n", p)
	}
	fmt.Fprintf(w, "  fallback eyes  %d images, %d pairs  (pupils not found: aligned from the face box)\n",
		r.FallbackEyes, r.FallbackEyesPairs)
	rate := 0.0
	if r.Seconds > 0 {
		rate = float64(r.Images) / r.Seconds
	}
	fmt.Fprintf(w, "  time           %.1f s  (%.1f images/s, %d workers)\n", r.Seconds, rate, o.Workers)
}

// meter shows progress on stderr: on a terminal one line rewritten in
// place, elsewhere (a log file, CI) a line every 10% or 15 s.
type meter struct {
	w        io.Writer
	tty      bool
	start    time.Time
	last     time.Time
	lastFrac int
	shown    bool
}

func newMeter(w io.Writer) *meter {
	m := &meter{w: w, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			m.tty = true
		}
	}
	return m
}

func (m *meter) update(done, total int) {
	now := time.Now()
	frac := 10 * done / max(total, 1)
	if m.tty {
		if done < total && now.Sub(m.last) < 200*time.Millisecond {
			return
		}
	} else if frac == m.lastFrac && now.Sub(m.last) < 15*time.Second && done < total {
		return
	}
	m.last, m.lastFrac = now, frac
	el := now.Sub(m.start).Seconds()
	rate := float64(done) / max(el, 1e-9)
	eta := "?"
	if rate > 0 {
		eta = fmtDuration(float64(total-done) / rate)
	}
	line := fmt.Sprintf("embedded %d/%d images  %.1f images/s  ETA %s  elapsed %s", done, total, rate, eta, fmtDuration(el))
	if m.tty {
		fmt.Fprintf(m.w, "\r%-78s", line)
		m.shown = true
	} else {
		fmt.Fprintln(m.w, line)
	}
}

func (m *meter) finish() {
	if m.tty && m.shown {
		fmt.Fprintln(m.w)
	}
}

// fmtDuration formats seconds as m:ss (or h:mm:ss).
func fmtDuration(s float64) string {
	t := int(s + 0.5)
	if t >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", t/3600, t/60%60, t%60)
	}
	return fmt.Sprintf("%d:%02d", t/60, t%60)
}

// comparison says how the model compares faces when that is not the plain
// squared distance: mirroring and a cohort (see cmd/cohort).
func comparison(e *embedder.Embedder) string {
	var s string
	if e.Mirror {
		s += ", faces embedded with their mirror images"
	}
	if e.Cohort != nil {
		s += fmt.Sprintf(", distances normalised against a cohort of %d faces (k %d)", e.Cohort.Len(), e.Cohort.K())
	}
	return s
}

// setPath is path with the set's name before its extension:
// build/roc.png, "FIW kin" → build/roc-fiw-kin.png.
func setPath(path, set string) string {
	ext := filepath.Ext(path)
	slug := strings.ToLower(strings.ReplaceAll(set, " ", "-"))
	return strings.TrimSuffix(path, ext) + "-" + slug + ext
}

// printTable writes the sets' figures side by side: the yardstick a
// candidate model is judged by.
func printTable(w io.Writer, outs []output) {
	pct := func(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) }
	point := func(p *eval.OperatingPoint) string {
		if p == nil {
			return "–"
		}
		return fmt.Sprintf("%s (%d/%d)", pct(p.FAR()), p.FalseAccepts, p.Mismatched)
	}
	fmt.Fprintf(w, "\nmodel %s, 10-fold on each set\n", outs[0].Model)
	fmt.Fprintf(w, "%-8s %6s  %-15s %-7s %-10s %-20s %-20s %s\n", "set", "pairs", "accuracy", "AUC", "TAR@FAR1%", "FA at threshold", "FA at strict", "failures")
	unreachable := false
	for _, o := range outs {
		tar := pct(o.TARAtFAR1)
		if o.FailureFAR() > eval.FAR1 {
			tar, unreachable = "n/a*", true
		}
		fmt.Fprintf(w, "%-8s %6d  %.3f ± %.3f   %.4f  %-10s %-20s %-20s %d\n", o.Set, o.Pairs, o.Accuracy, o.Std, o.AUC,
			tar, point(o.ModelDefault), point(o.ModelStrict), o.Failures)
	}
	if unreachable {
		fmt.Fprintln(w, "*: the pairs of two people with an image without a face count as accepted, more than 1% by themselves")
	}
	for _, o := range outs {
		if o.Note != "" {
			fmt.Fprintf(w, "%s: %s\n", o.Set, o.Note)
		}
	}
}
