// Command inputprobe asks whether the compact embedder's input is what
// limits it: it measures the teacher (dlib's ResNet, build/teacher.oneshot)
// on LFW pairsDevTest through our pipeline, first as usual, then on its
// 150×150 crops degraded to what a compact crop holds: the field of view
// of the compact template (10% padding instead of 25%; the rest grey)
// and/or its resolution (downsampled to the compact crop's pixels per face
// and back up).
//
//	go run ./cmd/inputprobe
//
// takes about five minutes on 2 cores and prints one line per condition.
// Measured 2026-11-28 (MODEL_CARD.md): base 0.974, compact field of view
// 0.967, field of view and 64-px resolution 0.965.
package main

import (
	"fmt"
	"image"
	"image/color"
	"log"
	"os"
	"path/filepath"
	"sync"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/eval"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/nn"
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

// degrade returns a degraded copy of the 150×150 crop c.
func degrade(c *image.RGBA, cd cond) *image.RGBA {
	out := image.NewRGBA(c.Bounds())
	draw.Copy(out, image.Point{}, c, c.Bounds(), draw.Src, nil)
	if cd.down > 0 {
		s := image.NewRGBA(image.Rect(0, 0, cd.down, cd.down))
		draw.ApproxBiLinear.Scale(s, s.Bounds(), out, out.Bounds(), draw.Src, nil)
		draw.CatmullRom.Scale(out, out.Bounds(), s, s.Bounds(), draw.Src, nil)
	}
	if cd.fov {
		for y := 0; y < 150; y++ {
			for x := 0; x < 150; x++ {
				if x < 15 || x >= 135 || y < 15 || y >= 135 {
					out.SetRGBA(x, y, color.RGBA{128, 128, 128, 255})
				}
			}
		}
	}
	return out
}

func main() {
	f, err := os.Open("build/teacher.oneshot")
	if err != nil {
		log.Fatalf("%v (make it with: make teacher)", err)
	}
	m, err := nn.Load(f)
	f.Close()
	if err != nil {
		log.Fatal(err)
	}
	e, err := embedder.New(m)
	if err != nil {
		log.Fatal(err)
	}
	e2, err := e.Clone()
	if err != nil {
		log.Fatal(err)
	}
	embs := []*embedder.Embedder{e, e2}
	data, err := dataset.Root()
	if err != nil {
		log.Fatal(err)
	}
	lfw := filepath.Join(data, "lfw")
	pairs, err := dataset.ReadPairsFile(filepath.Join(lfw, "pairsDevTest.txt"), filepath.Join(lfw, "images"), "lfw")
	if err != nil {
		log.Fatal(err)
	}
	cas, err := face.LoadCascadesFromModule()
	if err != nil {
		log.Fatal(err)
	}
	idx := map[string]int{}
	var paths []string
	for _, p := range pairs {
		for _, q := range []string{p.A, p.B} {
			if _, ok := idx[q]; !ok {
				idx[q] = len(paths)
				paths = append(paths, q)
			}
		}
	}
	// The compact crop (64 px, 10% padding) has 53 px per face width, the
	// teacher's (150 px, 25%) 100: 64-px resolution is 80 px of the 150-px
	// crop, 80-px 100, 96-px 120. Its field of view is the middle 120 px.
	conds := []cond{{"base", false, 0}, {"fov", true, 0}, {"fov+res64", true, 80}, {"fov+res80", true, 100}, {"fov+res96", true, 120}, {"res64", false, 80}}
	res := make([][][]float32, len(conds))
	for i := range res {
		res[i] = make([][]float32, len(paths))
	}
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			det := cas.NewDetector()
			for k := w; k < len(paths); k += 2 {
				fi, err := os.Open(paths[k])
				if err != nil {
					log.Fatal(err)
				}
				img, err := face.Decode(fi)
				fi.Close()
				if err != nil {
					log.Fatalf("%s: %v", paths[k], err)
				}
				a, err := det.Analyze(img)
				if err != nil || len(a.Faces) == 0 {
					continue
				}
				crop := face.TemplateDlib150.NewCrop()
				if err := face.Align(crop, img, a.Eyes, face.TemplateDlib150); err != nil {
					continue
				}
				var cs []*image.RGBA
				for _, cd := range conds {
					cs = append(cs, degrade(crop, cd))
				}
				out, err := embs[w].EmbedCrops(cs)
				if err != nil {
					log.Fatal(err)
				}
				for i := range conds {
					res[i][k] = out[i]
				}
				if k%200 == 0 {
					log.Printf("%d of %d images", k, len(paths))
				}
			}
		}(w)
	}
	wg.Wait()
	for i, cd := range conds {
		dist := make([]float32, len(pairs))
		same := make([]bool, len(pairs))
		failed := make([]bool, len(pairs))
		fold := make([]int, len(pairs))
		for j, p := range pairs {
			a, b := res[i][idx[p.A]], res[i][idx[p.B]]
			same[j] = p.Same
			fold[j] = p.Fold
			if a == nil || b == nil {
				failed[j] = true
				continue
			}
			var s float32
			for t := range a {
				d := a[t] - b[t]
				s += d * d
			}
			dist[j] = s
		}
		r, err := eval.FromDistances(dist, same, failed, fold)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-10s accuracy %.4f ± %.4f auc %.4f\n", cd.name, r.Accuracy, r.Std, r.AUC)
	}
}
