package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/eval"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/gallery"
	"github.com/oneshotface/oneshot/nn"
)

func TestMissingModel(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"-model", filepath.Join(dir, "none.oneshot")}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "no model at") || !strings.Contains(err.Error(), "train one with cmd/train or pass -model") {
		t.Errorf("missing model: error %v", err)
	}
	// The default path, from a folder without models/.
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	err = run(context.Background(), nil, &out, &errOut)
	if want := "no model at models/compact.oneshot; train one with cmd/train or pass -model"; err == nil || err.Error() != want {
		t.Errorf("default model missing: error %v, want %q", err, want)
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-format", "csv"},
		{"-workers", "0"},
		{"stray"},
		{"-suite", "-pairs", "p.txt"},
	} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, &out, &errOut); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// TestRunPlain evaluates an untrained model on 20 LFW pairs written as a
// plain pairs file, and checks the summary, the JSON last line and the
// plots.
func TestRunPlain(t *testing.T) {
	data, err := dataset.Root()
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	if _, err := face.LoadCascadesFromModule(); err != nil {
		t.Skipf("skipping: no face cascades: %v", err)
	}
	images := filepath.Join(data, "lfw", "images")
	pairs, err := dataset.ReadPairsFile(filepath.Join(data, "lfw", "pairsDevTest.txt"), images, "lfw")
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	// 10 matched and 10 mismatched pairs, alternating, so each of the 10
	// folds of the plain format holds one of each.
	var matched, mismatched []dataset.Pair
	for _, p := range pairs {
		if p.Same && len(matched) < 10 {
			matched = append(matched, p)
		} else if !p.Same && len(mismatched) < 10 {
			mismatched = append(mismatched, p)
		}
	}
	dir := t.TempDir()
	var list strings.Builder
	list.WriteString("# 20 pairs of LFW pairsDevTest, for a test\n")
	for i := range 10 {
		for j, p := range []dataset.Pair{matched[i], mismatched[i]} {
			a, _ := filepath.Rel(images, p.A)
			b, _ := filepath.Rel(images, p.B)
			fmt.Fprintf(&list, "%s %s %d\n", a, b, 1-j)
		}
	}
	pairsFile := filepath.Join(dir, "pairs.tsv")
	if err := os.WriteFile(pairsFile, []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := embedder.NewCompact(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := embedder.Describe(m, embedder.CompactTemplate, embedder.CompactNorm, 0.9); err != nil {
		t.Fatal(err)
	}
	if err := embedder.DescribeStrict(m, 0.5); err != nil {
		t.Fatal(err)
	}
	modelFile := filepath.Join(dir, "m.oneshot")
	f, err := os.Create(modelFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := nn.Save(f, m); err != nil {
		t.Fatal(err)
	}
	f.Close()

	roc, hist := filepath.Join(dir, "plots", "roc.png"), filepath.Join(dir, "plots", "hist.png")
	var out, errOut bytes.Buffer
	err = run(context.Background(), []string{"-model", modelFile, "-pairs", pairsFile, "-root", images,
		"-format", "plain", "-json", "-roc", roc, "-hist", hist, "-workers", "2"}, &out, &errOut)
	if err != nil {
		t.Fatalf("%v\nstderr: %s", err, errOut.String())
	}
	t.Logf("stdout:\n%s", out.String())
	for _, want := range []string{"accuracy", "AUC", "EER", "TAR@FAR=1%", "threshold", "failures", "fallback eyes", "model's threshold 0.9",
		"model's strict threshold 0.5: "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var got map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatalf("last line is not JSON: %v", err)
	}
	for _, k := range []string{"accuracy", "std", "auc", "eer", "tar_at_far_1pct", "threshold", "failures", "pairs"} {
		if _, ok := got[k].(float64); !ok {
			t.Errorf("JSON key %q: %v", k, got[k])
		}
	}
	if !regexp.MustCompile(`embedded (\d+)/(\d+) images .*ETA`).MatchString(errOut.String()) ||
		!strings.Contains(errOut.String(), fmt.Sprintf("embedded %v/%v images", got["images"], got["images"])) {
		t.Errorf("no progress on stderr: %q", errOut.String())
	}
	if got["pairs"] != 20.0 || got["model"] != modelFile {
		t.Errorf("JSON pairs %v, model %v", got["pairs"], got["model"])
	}
	// The strict point counts every pair once: 10 of each kind.
	strict, _ := got["model_strict"].(map[string]any)
	if strict["threshold"] != 0.5 || strict["matched"] != 10.0 || strict["mismatched"] != 10.0 {
		t.Errorf("JSON model_strict %v: want threshold 0.5 over 10 matched and 10 mismatched pairs", got["model_strict"])
	}
	if fa, ok := strict["false_accepts"].(float64); !ok || fa < 0 || fa > 10 {
		t.Errorf("JSON model_strict false_accepts %v", strict["false_accepts"])
	}
	for _, p := range []string{roc, hist} {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(f); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		f.Close()
	}
}

// TestSummaryUnreachableTAR: when mismatched pairs without a face alone
// accept more than 1% of impostors, the summary says why TAR at FAR 1% is
// 0 instead of quoting a threshold; otherwise it quotes the threshold.
func TestSummaryUnreachableTAR(t *testing.T) {
	dist := []float32{0.5, 0.6, 1.5, -1, 0.4, 0.7, 1.6, 1.7}
	same := []bool{true, true, false, false, true, true, false, false}
	fold := []int{0, 0, 0, 0, 1, 1, 1, 1}
	for _, c := range []struct {
		failed []bool
		want   string
	}{
		{[]bool{false, false, false, true, false, false, false, false}, "unreachable"},
		{nil, "(at d ≤"},
	} {
		d := append([]float32(nil), dist...)
		if c.failed == nil {
			d[3] = 1.8
		}
		r, err := eval.FromDistances(d, same, c.failed, fold)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		printSummary(&out, output{Report: r, PairsFile: "pairs.txt"})
		line := ""
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.Contains(l, "TAR@FAR=1%") {
				line = l
			}
		}
		if !strings.Contains(line, c.want) {
			t.Errorf("failed pairs %v: TAR line %q, want it to contain %q", c.failed, line, c.want)
		}
	}
}

// TestTable checks the side-by-side table of -suite: one row per set with
// its false accepts at the model's thresholds, and a TAR the failed pairs
// make unreachable shown as such.
func TestTable(t *testing.T) {
	dist := []float32{0.5, 0.6, 1.5, -1, 0.4, 0.7, 1.6, 1.7}
	same := []bool{true, true, false, false, true, true, false, false}
	fold := []int{0, 0, 0, 0, 1, 1, 1, 1}
	clean, err := eval.FromDistances(dist[:3:3], same[:3], nil, fold[:3])
	if err != nil {
		t.Fatal(err)
	}
	failing, err := eval.FromDistances(dist, same, []bool{false, false, false, true, false, false, false, false}, fold)
	if err != nil {
		t.Fatal(err)
	}
	def, strict := failing.At(1.55), failing.At(0.55)
	var out bytes.Buffer
	printTable(&out, []output{
		{Report: clean, Set: "LFW", Model: "m.oneshot"},
		{Report: failing, Set: "FIW", Note: "a caveat", ModelDefault: &def, ModelStrict: &strict},
	})
	text := out.String()
	rows := map[string]string{}
	for _, l := range strings.Split(text, "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			rows[f[0]] = l
		}
	}
	if !strings.Contains(rows["FIW"], "n/a*") || strings.Contains(rows["LFW"], "n/a") {
		t.Errorf("TAR: LFW row %q, FIW row %q; want n/a for FIW only", rows["LFW"], rows["FIW"])
	}
	// At 1.55 the failed pair of two people and the one at 1.5 are
	// accepted, 2 of 4; at 0.55 only the failed one.
	if !strings.Contains(rows["FIW"], "50.0% (2/4)") || !strings.Contains(rows["FIW"], "25.0% (1/4)") {
		t.Errorf("FIW row %q: want the false accepts 2/4 at the threshold and 1/4 at the strict one", rows["FIW"])
	}
	if !strings.Contains(text, "FIW: a caveat") || !strings.Contains(text, "more than 1% by themselves") {
		t.Errorf("table %q lacks the set's note or the n/a footnote", text)
	}
}

func TestComparison(t *testing.T) {
	var e embedder.Embedder
	if s := comparison(&e); s != "" {
		t.Errorf("plain model: %q", s)
	}
	faces := make([][]float32, 10)
	for i := range faces {
		faces[i] = make([]float32, 4)
		faces[i][i%4] = 1
		faces[i][(i+1)%4] = float32(i)
	}
	c, err := gallery.NewCohort(faces, 3)
	if err != nil {
		t.Fatal(err)
	}
	e.Mirror, e.Cohort = true, c
	if s := comparison(&e); !strings.Contains(s, "mirror") || !strings.Contains(s, "cohort of 10 faces (k 3)") {
		t.Errorf("mirrored model with a cohort: %q", s)
	}
}
