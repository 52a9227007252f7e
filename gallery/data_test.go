//go:build !js

package gallery_test

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/gallery"
)

// It is an external test: embedder imports gallery (for the model's
// cohort), so the gallery's own tests cannot import embedder.

// TestEnrollLFW runs the real face pipeline into the gallery: three LFW
// images of one person are analysed, aligned to the embedder's template and
// embedded by an untrained compact embedder, enrolled, saved, read back and
// re-embedded, and a fourth image is verified and identified. The model is
// untrained, so only the plumbing is checked, not whether the answers are
// right. It is skipped when the face data or pigo's cascades are absent.
func TestEnrollLFW(t *testing.T) {
	root, err := dataset.Root()
	if err != nil {
		t.Skip(err)
	}
	cascades, err := face.LoadCascadesFromModule()
	if err != nil {
		t.Skip(err)
	}
	m, err := embedder.NewCompact(1)
	if err != nil {
		t.Fatal(err)
	}
	e, err := embedder.New(m)
	if err != nil {
		t.Fatal(err)
	}
	det := cascades.NewDetector()
	capture := func(n int) gallery.Capture {
		t.Helper()
		path := dataset.LFWImage(filepath.Join(root, "lfw", "images"), "Tony_Blair", n)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Skip(err)
		}
		img, err := face.DecodeBytes(data)
		if err != nil {
			t.Fatal(err)
		}
		a, err := det.Analyze(img)
		if err != nil {
			t.Fatal(err)
		}
		c := gallery.Capture{Crop: e.Template.NewCrop(), Quality: a.Quality}
		if len(a.Faces) == 0 {
			return c // refused for "no face"; the crop stays black
		}
		if err := face.Align(c.Crop, img, a.Eyes, e.Template); err != nil {
			t.Fatal(err)
		}
		if c.Embedding, err = e.EmbedCrop(c.Crop); err != nil {
			t.Fatal(err)
		}
		return c
	}

	g, err := gallery.New(gallery.Config{Threshold: 1, Model: "compact-untrained-seed-1", Dim: embedder.EmbeddingDim})
	if err != nil {
		t.Fatal(err)
	}
	res, err := g.Enroll("Tony Blair", []gallery.Capture{capture(1), capture(2), capture(3)})
	for i, f := range res.Frames {
		t.Logf("frame %d: accepted %v, reasons %q, distance to template %.3f", i+1, f.Accepted, f.Reasons, f.Distance)
	}
	if err != nil {
		t.Fatal(err)
	}
	p, err := g.Person("Tony Blair")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Crops) != res.Accepted || p.Crops[0].Bounds() != e.Template.NewCrop().Bounds() || len(p.Template) != embedder.EmbeddingDim {
		t.Fatalf("person: %d crops of %v, template of %d values", len(p.Crops), p.Crops[0].Bounds(), len(p.Template))
	}

	probe := capture(4)
	if probe.Embedding == nil {
		t.Skip("no face found in the fourth image")
	}
	v, err := g.Verify("Tony Blair", probe.Embedding, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("verify image 4: %+v", v)
	cands, unknown, err := g.Identify(probe.Embedding, 0, 1)
	if err != nil || len(cands) != 1 || cands[0].Distance != v.Distance || unknown == v.Match {
		t.Fatalf("identify disagrees with verify: %+v unknown=%v %v", cands, unknown, err)
	}

	// Save, read back, and re-embed the kept crops with the same model:
	// the embeddings must come out as they went in.
	var buf bytes.Buffer
	if _, err := g.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	h, err := gallery.Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Reembed(e.EmbedCrop); err != nil {
		t.Fatal(err)
	}
	w, err := h.Verify("Tony Blair", probe.Embedding, 0)
	if err != nil || math.Abs(float64(w.Distance-v.Distance)) > 1e-4 {
		t.Errorf("after saving and re-embedding: %+v (%v), before %+v", w, err, v)
	}
}
