// Command inputprobe asks whether the compact embedder's input is what
// limits it: it measures the teacher (dlib's ResNet, build/teacher.oneshot)
// on LFW pairsDevTest through our pipeline (eval.PairsAltered), first as
// usual, then on its 150×150 crops degraded to what a compact crop holds:
// the field of view of the compact template (10% padding instead of 25%;
// the rest grey) and/or its resolution (downsampled to the compact crop's
// pixels per face and back up).
//
//	go run ./cmd/inputprobe
//
// takes about six minutes on 2 cores and prints one line per condition.
// Measured 2026-11-28 (MODEL_CARD.md): base 0.974, compact field of view
// 0.967, field of view and 64-px resolution 0.965.
package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"log"
	"os"
	"path/filepath"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/eval"
	"github.com/oneshotface/oneshot/face"
	"golang.org/x/image/draw"
)

// cond is one way of degrading the teacher's crop: fov greys everything
// outside the compact template's field of view; down > 0 resamples the
// 150-px crop to down px and back.
type cond struct {
	name string
	fov  bool
	down int
}

// The compact crop (64 px, 10% padding) has 53 px per face width, the
// teacher's (150 px, 25%) 100: 64-px resolution is 80 px of the 150-px
// crop, 80-px 100, 96-px 120. Its field of view is the middle 120 px.
var conds = []cond{{"base", false, 0}, {"fov", true, 0}, {"fov+res64", true, 80}, {"fov+res80", true, 100}, {"fov+res96", true, 120}, {"res64", false, 80}}

// degrade degrades the 150×150 crop c in place as cd says.
func (cd cond) degrade(c *image.RGBA) {
	if cd.down > 0 {
		s := image.NewRGBA(image.Rect(0, 0, cd.down, cd.down))
		draw.ApproxBiLinear.Scale(s, s.Bounds(), c, c.Bounds(), draw.Src, nil)
		draw.CatmullRom.Scale(c, c.Bounds(), s, s.Bounds(), draw.Src, nil)
	}
	if cd.fov {
		b := c.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if x-b.Min.X < 15 || x-b.Min.X >= 135 || y-b.Min.Y < 15 || y-b.Min.Y >= 135 {
					c.SetRGBA(x, y, color.RGBA{128, 128, 128, 255})
				}
			}
		}
	}
}

func main() {
	log.SetFlags(0)
	e, err := embedder.Open("build/teacher.oneshot")
	if errors.Is(err, os.ErrNotExist) {
		log.Fatalf("%v (make it with: make teacher)", err)
	}
	if err != nil {
		log.Fatal(err)
	}
	e2, err := e.Clone()
	if err != nil {
		log.Fatal(err)
	}
	data, err := dataset.Root()
	if err != nil {
		log.Fatal(err)
	}
	lfw := filepath.Join(data, "lfw")
	pairs, err := dataset.ReadPairsFile(filepath.Join(lfw, "pairsDevTest.txt"), filepath.Join(lfw, "images"), "lfw")
	if err != nil {
		log.Fatal(err)
	}
	cascades, err := face.LoadCascadesFromModule()
	if err != nil {
		log.Fatal(err)
	}
	for _, cd := range conds {
		r, err := eval.PairsAltered(context.Background(), []*embedder.Embedder{e, e2}, cascades.NewDetector, pairs, cd.degrade, nil)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-10s accuracy %.4f ± %.4f auc %.4f\n", cd.name, r.Accuracy, r.Std, r.AUC)
	}
}
