package whiten

import (
	"context"
	"image"
	"image/color"
	"math"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/eval"
	"github.com/oneshotface/oneshot/face"
)

func TestMirrorCrop(t *testing.T) {
	c := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for x := range 3 {
		for y := range 2 {
			c.SetRGBA(x, y, color.RGBA{uint8(10*x + y), 0, 0, 255})
		}
	}
	mirrorCrop(c)
	for x := range 3 {
		for y := range 2 {
			if got, want := c.RGBAAt(x, y).R, uint8(10*(2-x)+y); got != want {
				t.Errorf("pixel (%d, %d) = %d after mirroring, want %d", x, y, got, want)
			}
		}
	}
}

// TestOutputsAreTheMirroredEmbedding checks on three LFW pictures that the
// unit mean of the unit-length outputs Outputs returns is what the shipped
// model, mirrored, embeds: Learn sees the values the model computes.
func TestOutputsAreTheMirroredEmbedding(t *testing.T) {
	root, err := dataset.Root()
	if err != nil {
		t.Skipf("skipping: no face data: %v", err)
	}
	images := filepath.Join(root, "lfw", "images")
	paths := []string{
		dataset.LFWImage(images, "Aaron_Peirsol", 1),
		dataset.LFWImage(images, "Aaron_Peirsol", 2),
		dataset.LFWImage(images, "Abdullah_Gul", 1),
	}
	model := filepath.Join("..", "models", "compact.oneshot")
	outs, err := Outputs(context.Background(), model, paths, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := embedder.Open(model)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Mirror {
		t.Fatal("the shipped model does not mirror: the test compares with its mirrored embeddings")
	}
	embs, err := e.Workers(runtime.NumCPU())
	if err != nil {
		t.Fatal(err)
	}
	cascades, err := face.LoadCascadesFromModule()
	if err != nil {
		t.Fatal(err)
	}
	want, err := eval.EmbedAltered(context.Background(), embs, cascades.NewDetector, paths, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range outs {
		if len(o) != 2 || want[i] == nil {
			t.Fatalf("%s: %d outputs (want the crop's and its mirror image's), embedding %v", paths[i], len(o), want[i] != nil)
		}
		sum := make([]float64, len(o[0]))
		for _, z := range o {
			var n float64
			for _, x := range z {
				n += float64(x) * float64(x)
			}
			if math.Abs(math.Sqrt(n)-1) < 1e-3 {
				t.Errorf("%s: an output of length %.4f: the L2 normalisation was not dropped", paths[i], math.Sqrt(n))
			}
			for k, x := range z {
				sum[k] += float64(x) / math.Sqrt(n)
			}
		}
		var n float64
		for _, x := range sum {
			n += x * x
		}
		for k, x := range sum {
			if d := math.Abs(x/math.Sqrt(n) - float64(want[i][k])); d > 1e-4 {
				t.Fatalf("%s: value %d of the outputs' mean %.5f, the mirrored embedding's %.5f", paths[i], k, x/math.Sqrt(n), want[i][k])
			}
		}
	}
}
