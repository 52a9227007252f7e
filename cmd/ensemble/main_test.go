package main

import (
	"context"
	"fmt"
	"image"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/nn"
)

const shipped = "../../models/compact.oneshot"

// TestEnsembleOfTheShippedModel joins the shipped model with itself,
// measuring agreement on ten training people: the members agree fully, and
// the joined file embeds a crop exactly as the shipped network does (the
// unit sum of two equal unit vectors is the vector). The cohort and
// thresholds, which were the member's, are dropped. Two untrained networks
// do not agree and are refused.
func TestEnsembleOfTheShippedModel(t *testing.T) {
	data, err := dataset.Root()
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	if _, err := os.Stat(shipped); err != nil {
		t.Fatalf("the shipped model: %v (it is part of the repository)", err)
	}
	if _, err := face.LoadCascadesFromModule(); err != nil {
		t.Skipf("skipping: no face cascades: %v", err)
	}
	dir := t.TempDir()
	people := filepath.Join(dir, "people.txt")
	if err := os.WriteFile(people, []byte("3\nAJ_Cook\t1\nAaron_Eckhart\t1\nAaron_Guiel\t1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(data, "lfw", "images")
	out := filepath.Join(dir, "e.oneshot")
	if err := run(context.Background(), []string{"-out", out, "-people", people, "-root", root, "-agree", "3", shipped, shipped}, io.Discard); err != nil {
		t.Fatal(err)
	}
	e, err := embedder.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	if e.Cohort != nil || e.Threshold != 0 || e.StrictThreshold != 0 {
		t.Fatalf("the joined file kept the member's cohort or thresholds (%v, %g, %g)", e.Cohort != nil, e.Threshold, e.StrictThreshold)
	}
	if !strings.Contains(e.Model.Meta["ensemble_of"], "compact.oneshot") {
		t.Fatalf("ensemble_of = %q", e.Model.Meta["ensemble_of"])
	}
	if got, want := e.Model.Meta["architecture"], "ensemble of compact-v2 and compact-v2"; got != want {
		t.Fatalf("architecture %q, want %q", got, want)
	}
	one, err := embedder.Open(shipped)
	if err != nil {
		t.Fatal(err)
	}
	crop := image.NewRGBA(image.Rect(0, 0, one.Template.Width, one.Template.Height))
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range crop.Pix {
		crop.Pix[i] = uint8(rng.IntN(256))
	}
	a, err := one.EmbedCrop(crop)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.EmbedCrop(crop)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-5 {
			t.Fatalf("component %d: the ensemble of the model with itself gives %g, the model %g", i, b[i], a[i])
		}
	}

	// Untrained networks of two seeds map faces into unrelated spaces.
	var paths []string
	for _, seed := range []uint64{1, 2} {
		m, err := embedder.CompactV2.New(seed)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("fresh%d.oneshot", seed))
		if _, err := nn.SaveFile(p, m); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	err = run(context.Background(), []string{"-out", filepath.Join(dir, "bad.oneshot"), "-people", people, "-root", root, "-agree", "3", "-min-agree", "0.9", paths[0], paths[1]}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "do not map faces into one space") {
		t.Fatalf("two untrained networks: %v, want a refusal", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.oneshot")); !os.IsNotExist(err) {
		t.Fatalf("a refused ensemble left a file: %v", err)
	}
}

func TestEnsembleFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"a", "b"}, "want -out"},
		{[]string{"-out", "x", "a"}, "exactly two"},
		{[]string{"-out", "x", "-agree", "-1", "a", "b"}, "negative"},
		{[]string{"-out", "x", "-agree", "0", "no-such-a.oneshot", "b"}, "no-such-a.oneshot"},
	} {
		err := run(context.Background(), c.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error containing %q", c.args, err, c.want)
		}
	}
}
