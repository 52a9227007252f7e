// Command compare says whether one embedder verifies faces better than
// another, or only seems to, from two reports of cmd/eval on the same
// pairs:
//
//	go run ./cmd/eval -model a.oneshot -json > build/a.json
//	go run ./cmd/eval -model b.oneshot -json > build/b.json
//	go run ./cmd/compare build/a.json build/b.json
//
// It pairs the two reports' fold accuracies and bootstraps the difference
// of their AUCs pair by pair (eval.Compare), and prints each difference
// (B − A) with its uncertainty: the accuracy difference ± its standard
// error, the AUC difference with a 95% interval, and how often B's AUC was
// the higher over the bootstrap rounds. On LFW's 1,000 test pairs two
// models' accuracies each carry a standard error of about 0.009, yet the
// difference between two related models is known far better than that,
// because both stumble on the same hard pairs: this is the figure to
// choose between them by.
//
// A report file is cmd/eval's output with -json: its last line that is a
// JSON object is read (so the whole output may be redirected into it). With
// cmd/eval -suite (make eval) that line holds one report per data set of
// the yardstick; two such files are compared set by set:
//
//	make eval MODEL=build/candidate.oneshot > build/candidate.txt
//	make eval > build/shipped.txt
//	go run ./cmd/compare build/shipped.txt build/candidate.txt
//
// Flags:
//
//	-rounds N   bootstrap rounds (default 2000, eval.MinRounds to eval.MaxRounds)
//	-seed S     seed of the bootstrap's draws (default 1)
//	-json       end the output with the comparison as one line of JSON
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/oneshotface/oneshot/eval"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		rounds = fs.Int("rounds", 2000, "bootstrap rounds")
		seed   = fs.Uint64("seed", 1, "seed of the bootstrap's draws")
		asJSON = fs.Bool("json", false, "end the output with the comparison as one line of JSON")
	)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: compare [-rounds N] [-seed S] [-json] A.json B.json   (reports of cmd/eval -json, or both of cmd/eval -suite -json, on the same pairs)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return fmt.Errorf("need two report files (cmd/eval -json), got %d arguments; see -h", fs.NArg())
	}
	a, suiteA, err := readReports(fs.Arg(0))
	if err != nil {
		return err
	}
	b, suiteB, err := readReports(fs.Arg(1))
	if err != nil {
		return err
	}
	if suiteA != suiteB {
		return fmt.Errorf("one of %s and %s is a report of cmd/eval -suite and the other is not: measure both the same way", fs.Arg(0), fs.Arg(1))
	}
	if len(a) != len(b) {
		return fmt.Errorf("%s holds %d data sets and %s %d: measure both with the same cmd/eval", fs.Arg(0), len(a), fs.Arg(1), len(b))
	}
	fmt.Fprintf(stdout, "B = %s against A = %s\n", fs.Arg(1), fs.Arg(0))
	comparisons := make([]setComparison, len(a))
	for i := range a {
		if suiteA && a[i].Set != b[i].Set {
			return fmt.Errorf("data set %d is %q in %s and %q in %s: measure both with the same cmd/eval", i+1, a[i].Set, fs.Arg(0), b[i].Set, fs.Arg(1))
		}
		c, err := eval.Compare(a[i].Report, b[i].Report, *rounds, *seed)
		if err != nil && suiteA {
			return fmt.Errorf("%s: %w", a[i].Set, err)
		} else if err != nil {
			return err
		}
		comparisons[i] = setComparison{Set: a[i].Set, Comparison: c}
		if suiteA {
			fmt.Fprintf(stdout, "%s:\n", a[i].Set)
		}
		printComparison(stdout, a[i].Report, b[i].Report, c)
	}
	if !*asJSON {
		return nil
	}
	// One line, newline-terminated: the comparison, or of suites one per set.
	if !suiteA {
		return json.NewEncoder(stdout).Encode(comparisons[0].Comparison)
	}
	return json.NewEncoder(stdout).Encode(struct {
		Sets []setComparison `json:"sets"`
	}{comparisons})
}

// setComparison is the comparison of one data set's reports.
type setComparison struct {
	Set string `json:"set"`
	eval.Comparison
}

// printComparison prints c, the comparison of b with a, in three lines.
func printComparison(w io.Writer, a, b eval.Report, c eval.Comparison) {
	pct := func(x float64) string { return fmt.Sprintf("%+.2f%%", 100*x) }
	fmt.Fprintf(w, "  %d pairs, %d folds\n", c.Pairs, c.Folds)
	fmt.Fprintf(w, "  accuracy   A %.2f%%, B %.2f%%; B − A %s ± %.2f%% (mean of the per-fold differences ± its std err)\n",
		100*a.Accuracy, 100*b.Accuracy, pct(c.AccuracyDiff), 100*c.AccuracyDiffStdErr)
	fmt.Fprintf(w, "  AUC        A %.4f, B %.4f; B − A %+.4f, 95%% interval [%+.4f, %+.4f] (paired bootstrap, %d rounds)\n",
		a.AUC, b.AUC, c.AUCDiff, c.AUCDiffLow, c.AUCDiffHigh, c.Rounds)
	fmt.Fprintf(w, "  B's AUC the higher in %.1f%% of the rounds\n", 100*c.AUCBFirst)
}

// setReport is one data set's report in a report file; Set is its name
// (eval.Set.Name).
type setReport struct {
	eval.Report
	Set string `json:"set"`
}

// readReports reads the last line of path that is a JSON object: one
// eval.Report (cmd/eval -json), or with suite true the reports of every data
// set of the yardstick (cmd/eval -suite -json: {"model": …, "sets": […]}).
func readReports(path string) (reports []setReport, suite bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	var last []byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 64<<20) // a report of many pairs is one long line
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 && line[0] == '{' {
			last = append(last[:0], line...)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	if last == nil {
		return nil, false, fmt.Errorf("%s holds no JSON report: make it with cmd/eval -json", path)
	}
	var v struct {
		setReport
		Sets []setReport `json:"sets"`
	}
	if err := json.Unmarshal(last, &v); err != nil {
		return nil, false, fmt.Errorf("%s: its JSON line is not an eval report: %w", path, err)
	}
	if v.Sets != nil {
		if len(v.Sets) == 0 {
			return nil, false, fmt.Errorf("%s: its JSON line is a suite of no data sets", path)
		}
		return v.Sets, true, nil
	}
	return []setReport{v.setReport}, false, nil
}
