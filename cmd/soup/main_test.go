package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/nn"
)

// writeModel saves a fresh model of architecture a, made from seed, in dir.
func writeModel(t *testing.T, dir string, a embedder.CompactArch, seed uint64) string {
	t.Helper()
	m, err := a.New(seed)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-%d.oneshot", a.Name, seed))
	if _, err := nn.SaveFile(path, m); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSoup averages two trained models and calibrates the soup's
// threshold on 20 pairs of LFW training people (pairsDevTrain's first
// ten of each kind): the file it writes holds
// the mean of the two models' weights, a positive threshold and where it
// came from. A soup of untrained models, which tells the pairs apart
// little better than chance, is refused.
func TestSoup(t *testing.T) {
	data, err := dataset.Root()
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	if _, err := face.LoadCascadesFromModule(); err != nil {
		t.Skipf("skipping: no face cascades: %v", err)
	}
	images := filepath.Join(data, "lfw", "images")
	full, err := os.ReadFile(filepath.Join(data, "lfw", "pairsDevTrain.txt"))
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	// The first 10 matched and 10 mismatched pairs, in the LFW format: a
	// count n, n matched lines, n mismatched lines.
	lines := strings.Split(string(full), "\n")
	n, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || len(lines) < 2*n+1 {
		t.Fatalf("pairsDevTrain.txt: header %q, %d lines", lines[0], len(lines))
	}
	subset := append(append([]string{"10"}, lines[1:11]...), lines[1+n:11+n]...)
	dir := t.TempDir()
	pairsFile := filepath.Join(dir, "pairs.txt")
	if err := os.WriteFile(pairsFile, []byte(strings.Join(subset, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The shipped model and a copy of it nudged: two nearby trained models.
	shipped, err := embedder.Open(filepath.Join("..", "..", "models", "compact.oneshot"))
	if err != nil {
		t.Fatal(err)
	}
	a := filepath.Join(dir, "a.oneshot")
	if _, err := nn.SaveFile(a, shipped.Model); err != nil {
		t.Fatal(err)
	}
	for k, p := range shipped.Model.Params() {
		if !p.Buffer {
			for i, v := range p.Value.Float32s() {
				p.Value.Float32s()[i] = v * (1 + 0.01*float32((i+k)%3-1))
			}
		}
	}
	b := filepath.Join(dir, "b.oneshot")
	if _, err := nn.SaveFile(b, shipped.Model); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "soup.oneshot")
	untrained := []string{writeModel(t, dir, embedder.CompactV2, 1), writeModel(t, dir, embedder.CompactV2, 2)}
	if err := run(context.Background(), append([]string{"-out", out, "-pairs", pairsFile, "-root", images, "-format", "lfw"}, untrained...), io.Discard); err == nil || !strings.Contains(err.Error(), "does not verify faces") {
		t.Errorf("a soup of two untrained models: error %v, want 'it does not verify faces'", err)
	}
	if err := run(context.Background(), []string{"-out", out, "-pairs", pairsFile, "-root", images, "-format", "lfw", a, b}, io.Discard); err != nil {
		t.Fatal(err)
	}
	soup, err := embedder.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	if soup.Threshold <= 0 {
		t.Errorf("soup threshold %g, want a calibrated positive one", soup.Threshold)
	}
	if v, err := strconv.ParseFloat(soup.Model.Meta[embedder.MetaThreshold], 64); err != nil || v <= 0 {
		t.Errorf("soup file's threshold %q", soup.Model.Meta[embedder.MetaThreshold])
	}
	if got := soup.Model.Meta["soup_of"]; got != a+" "+b {
		t.Errorf("soup_of = %q, want the two files", got)
	}
	ea, _ := embedder.Open(a)
	eb, _ := embedder.Open(b)
	for _, p := range soup.Model.Params() {
		va, vb := ea.Model.Param(p.Name).Value.Float32s(), eb.Model.Param(p.Name).Value.Float32s()
		for i, v := range p.Value.Float32s() {
			if want := (va[i] + vb[i]) / 2; math.Abs(float64(v-want)) > 1e-6 {
				t.Fatalf("%s[%d] = %g, want the mean %g", p.Name, i, v, want)
			}
		}
	}
}

// TestSoupRefuses: too few models, no -out, a bad format, a missing file
// and models of two architectures are refused with an error, and nothing
// is written.
func TestSoupRefuses(t *testing.T) {
	dir := t.TempDir()
	a, b := writeModel(t, dir, embedder.CompactV2, 1), writeModel(t, dir, embedder.CompactV2, 2)
	v1 := writeModel(t, dir, embedder.CompactV1, 3)
	out := filepath.Join(dir, "soup.oneshot")
	for name, args := range map[string][]string{
		"one model":          {"-out", out, a},
		"no -out":            {a, b},
		"bad format":         {"-out", out, "-format", "csv", a, b},
		"missing file":       {"-out", out, a, filepath.Join(dir, "missing.oneshot")},
		"two architectures":  {"-out", out, "-pairs", "unused", "-root", dir, a, v1},
		"not a model at all": {"-out", out, a, writeJunk(t, dir)},
	} {
		if err := run(context.Background(), args, io.Discard); err == nil {
			t.Errorf("%s: no error", name)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%s: a soup was written", name)
		}
	}
	if _, err := nn.Average(); err == nil {
		t.Error("nn.Average of nothing: no error")
	}
}

func writeJunk(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "junk.oneshot")
	if err := os.WriteFile(p, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
