package whiten

import (
	"context"
	"image"
	"runtime"

	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/eval"
	"github.com/oneshotface/oneshot/face"
)

// Outputs runs the face pipeline on every image of paths (the photo
// detector, as cmd/eval) and returns, per image, the outputs before L2
// normalisation (z) of the model at modelPath for the aligned crop and for
// its mirror image, or nil where no face was found: what Learn takes, and
// what the model, mirrored, would have embedded. One worker per CPU.
func Outputs(ctx context.Context, modelPath string, paths []string, progress func(done, total int)) ([][][]float32, error) {
	e, err := embedder.Open(modelPath)
	if err != nil {
		return nil, err
	}
	if err := DropNormalization(e.Model); err != nil {
		return nil, err
	}
	e.Mirror = false // each crop on its own; the mirror image is a second pass
	embs, err := e.Workers(runtime.NumCPU())
	if err != nil {
		return nil, err
	}
	cascades, err := face.LoadCascadesFromModule()
	if err != nil {
		return nil, err
	}
	// One pass: each face is found and aligned once, and embedded as
	// aligned and mirrored.
	vecs, err := eval.EmbedAlterations(ctx, embs, cascades.NewDetector, paths, []func(*image.RGBA){nil, mirrorCrop}, progress)
	if err != nil {
		return nil, err
	}
	out := make([][][]float32, len(paths))
	for i := range paths {
		if vecs[0][i] != nil {
			out[i] = [][]float32{vecs[0][i], vecs[1][i]}
		}
	}
	return out, nil
}

// mirrorCrop flips a crop left to right in place.
func mirrorCrop(c *image.RGBA) {
	b := c.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for l, r := b.Min.X, b.Max.X-1; l < r; l, r = l+1, r-1 {
			a, z := c.RGBAAt(l, y), c.RGBAAt(r, y)
			c.SetRGBA(l, y, z)
			c.SetRGBA(r, y, a)
		}
	}
}
