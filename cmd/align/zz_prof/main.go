package main

import (
	"flag"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/oneshotface/oneshot/face"
)

func load(glob string, every int) []image.Image {
	var paths []string
	filepath.Walk(glob, func(p string, info os.FileInfo, err error) error {
		if strings.HasSuffix(p, ".jpg") || strings.HasSuffix(p, ".png") {
			paths = append(paths, p)
		}
		return nil
	})
	sort.Strings(paths)
	var imgs []image.Image
	for i := 0; i < len(paths); i += every {
		f, _ := os.Open(paths[i])
		img, err := face.Decode(f)
		f.Close()
		if err == nil {
			imgs = append(imgs, img)
		}
	}
	return imgs
}

func main() {
	pad := flag.Float64("pad", 0.25, "")
	minf := flag.Float64("minface", 0.1, "")
	shift := flag.Float64("shift", 0.1, "")
	sc := flag.Float64("scalestep", 1.1, "")
	every := flag.Int("every", 66, "")
	flag.Parse()
	c, _ := face.LoadCascadesFromModule()
	d := c.NewDetector()
	d.Params.Pad, d.Params.MinFace, d.Params.Shift, d.Params.ScaleStep = *pad, *minf, *shift, *sc
	for _, set := range []struct{ name string; imgs []image.Image }{
		{"lfw", load("/work/shared/data/lfw/images", *every)},
		{"orl", load("/work/shared/data/orl", 4)},
	} {
		t := time.Now()
		nf, ne, nc := 0, 0, 0
		for _, img := range set.imgs {
			a, _ := d.Analyze(img)
			if len(a.Faces) > 0 { nf++ }
			if a.Eyes.Found && len(a.Faces) > 0 { ne++ }
			if len(a.Faces) > 0 {
				b := img.Bounds()
				if abs(a.Face.X-float64(b.Dx())/2) < 25 && abs(a.Face.Y-float64(b.Dy())/2) < 30 { nc++ }
			}
		}
		n := len(set.imgs)
		fmt.Printf("%s n=%d face %.1f%% eyes %.1f%% central %.1f%%  %.1f ms/img\n", set.name, n, 100*float64(nf)/float64(n), 100*float64(ne)/float64(n), 100*float64(nc)/float64(n), float64(time.Since(t).Microseconds())/1000/float64(n))
	}
}
func abs(x float64) float64 { if x < 0 { return -x }; return x }
