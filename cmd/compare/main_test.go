package main

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oneshotface/oneshot/eval"
)

// writeReport writes a report of 200 synthetic pairs as cmd/eval -json
// does — a summary, then the JSON line — and returns it and its path.
// spread sets how far each pair's distance strays from its class's centre.
func writeReport(t *testing.T, dir, name string, spread float64) (eval.Report, string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2)) // the same draws for every report: the same hard pairs
	var dist []float32
	var same []bool
	var fold []int
	for i := range 200 {
		centre := 1.6
		if i < 100 {
			centre = 0.8
		}
		dist = append(dist, float32(centre+spread*rng.NormFloat64()))
		same = append(same, i < 100)
		fold = append(fold, i%100/10)
	}
	r, err := eval.FromDistances(dist, same, nil, fold)
	if err != nil {
		t.Fatal(err)
	}
	line, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("pairs.txt: 200 pairs …\n  accuracy 90%\n"+string(line)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return r, path
}

// writeSuite writes what cmd/eval -suite -json writes — a table, then one
// JSON line with a report per data set — with one synthetic report per
// name, each set's spreads scaled by its position, and returns the reports
// and the path.
func writeSuite(t *testing.T, dir, name string, spread float64, sets ...string) ([]eval.Report, string) {
	t.Helper()
	type set struct {
		eval.Report
		Set string `json:"set"`
	}
	var reports []eval.Report
	var out []set
	for i, s := range sets {
		r, _ := writeReport(t, dir, name+"-"+s, spread*float64(i+1))
		reports = append(reports, r)
		out = append(out, set{r, s})
	}
	line, err := json.Marshal(struct {
		Model string `json:"model"`
		Sets  []set  `json:"sets"`
	}{name, out})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("set  accuracy  AUC\nLFW  0.9  0.97\n"+string(line)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return reports, path
}

func TestRunSuites(t *testing.T) {
	dir := t.TempDir()
	a, pa := writeSuite(t, dir, "a.txt", 0.4, "LFW", "ORL")
	b, pb := writeSuite(t, dir, "b.txt", 0.2, "LFW", "ORL")
	var out, errOut bytes.Buffer
	if err := run([]string{"-rounds", "300", "-seed", "7", "-json", pa, pb}, &out, &errOut); err != nil {
		t.Fatalf("%v (stderr %s)", err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var got struct {
		Sets []struct {
			Set string `json:"set"`
			eval.Comparison
		} `json:"sets"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	if len(got.Sets) != 2 {
		t.Fatalf("%d comparisons, want one per set (2):\n%s", len(got.Sets), out.String())
	}
	for i, name := range []string{"LFW", "ORL"} {
		want, err := eval.Compare(a[i], b[i], 300, 7)
		if err != nil {
			t.Fatal(err)
		}
		if got.Sets[i].Set != name || got.Sets[i].Comparison != want {
			t.Errorf("set %d: printed %s %+v; eval.Compare of its reports gives %s %+v", i, got.Sets[i].Set, got.Sets[i].Comparison, name, want)
		}
		if !strings.Contains(out.String(), name+":\n") {
			t.Errorf("the summary has no heading for %s:\n%s", name, out.String())
		}
	}
	if got.Sets[0].Comparison == got.Sets[1].Comparison {
		t.Error("both sets have the same comparison: the sets were not told apart")
	}

	_, single := writeReport(t, dir, "single.json", 0.3)
	_, other := writeSuite(t, dir, "c.txt", 0.2, "LFW", "FIW")
	_, short := writeSuite(t, dir, "d.txt", 0.2, "LFW")
	for _, tc := range []struct {
		b, want string
	}{
		{single, "the same way"},
		{other, `"FIW"`},
		{short, "2 data sets"},
	} {
		var out, errOut bytes.Buffer
		if err := run([]string{pa, tc.b}, &out, &errOut); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("compare %s %s: error %v, want one saying %q", pa, tc.b, err, tc.want)
		}
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	a, pa := writeReport(t, dir, "a.json", 0.4)
	b, pb := writeReport(t, dir, "b.json", 0.2)
	var out, errOut bytes.Buffer
	if err := run([]string{"-rounds", "300", "-seed", "7", "-json", pa, pb}, &out, &errOut); err != nil {
		t.Fatalf("%v (stderr %s)", err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var got eval.Comparison
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	want, err := eval.Compare(a, b, 300, 7)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("compare printed %+v; eval.Compare of the reports written gives %+v", got, want)
	}
	if got.AUCDiff <= 0 {
		t.Errorf("B (half the spread) has AUC difference %v, want positive", got.AUCDiff)
	}
	for _, s := range []string{"accuracy", "AUC", "95% interval", "300 rounds"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("the summary does not say %q:\n%s", s, out.String())
		}
	}
}

func TestRunRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	_, pa := writeReport(t, dir, "a.json", 0.4)
	text := filepath.Join(dir, "text.txt")
	if err := os.WriteFile(text, []byte("accuracy 0.9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, []byte(`{"accuracy": "high"`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{pa}, "need two report files"},
		{[]string{pa, filepath.Join(dir, "missing.json")}, "no such file"},
		{[]string{pa, text}, "holds no JSON report"},
		{[]string{pa, broken}, "not an eval report"},
		{[]string{"-rounds", "10", pa, pa}, "rounds"},
	} {
		var out, errOut bytes.Buffer
		err := run(tc.args, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("compare %v: error %v, want one saying %q", tc.args, err, tc.want)
		}
	}
}
