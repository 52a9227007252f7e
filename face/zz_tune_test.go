package face

import (
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func tuneLoad(root string, every int) ([]image.Image, []string) {
	var paths []string
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if strings.HasSuffix(p, ".jpg") || strings.HasSuffix(p, ".png") {
			paths = append(paths, p)
		}
		return nil
	})
	sort.Strings(paths)
	var imgs []image.Image
	var names []string
	for i := 0; i < len(paths); i += every {
		f, _ := os.Open(paths[i])
		img, err := Decode(f)
		f.Close()
		if err == nil {
			imgs = append(imgs, img)
			names = append(names, paths[i])
		}
	}
	return imgs, names
}

func pct(v []float64, q float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return math.NaN()
	}
	return s[int(q*float64(len(s)-1))]
}

func TestTune(t *testing.T) {
	if os.Getenv("TUNE") == "" {
		t.Skip()
	}
	c, _ := LoadCascadesFromModule()
	d := c.NewDetector()
	imgs, names := tuneLoad("/work/shared/data/lfw/images", 7)
	var span, roll, spread, ly, lx, ry, rx []float64
	fails := 0
	for i, img := range imgs {
		faces, _ := d.Detect(img)
		if len(faces) == 0 {
			fmt.Println("NOFACE", names[i])
			continue
		}
		f := faces[0]
		p := d.Params.withDefaults()
		l, sl := d.pupil(f, -1, p.Perturbs)
		r, sr := d.pupil(f, +1, p.Perturbs)
		e := Eyes{Left: l, Right: r, Found: true}
		e.Spread = max(sl, sr) / e.Distance()
		span = append(span, e.Distance()/f.Size)
		roll = append(roll, e.Roll())
		spread = append(spread, e.Spread)
		lx = append(lx, (l.X-f.X)/f.Size)
		ly = append(ly, (l.Y-f.Y)/f.Size)
		rx = append(rx, (r.X-f.X)/f.Size)
		ry = append(ry, (r.Y-f.Y)/f.Size)
		if !saneEyes(e, f) || e.Spread > 0.3 {
			fails++
			fmt.Printf("FAIL %s span %.2f roll %.1f spread %.3f l(%.2f,%.2f) r(%.2f,%.2f)\n", filepath.Base(names[i]), e.Distance()/f.Size, e.Roll(), e.Spread, (l.X-f.X)/f.Size, (l.Y-f.Y)/f.Size, (r.X-f.X)/f.Size, (r.Y-f.Y)/f.Size)
		}
	}
	for _, q := range []struct {
		n string
		v []float64
	}{{"span", span}, {"roll", roll}, {"spread", spread}, {"lx", lx}, {"ly", ly}, {"rx", rx}, {"ry", ry}} {
		fmt.Printf("%-7s p1 %.3f p5 %.3f p50 %.3f p95 %.3f p99 %.3f\n", q.n, pct(q.v, 0.01), pct(q.v, 0.05), pct(q.v, 0.5), pct(q.v, 0.95), pct(q.v, 0.99))
	}
	fmt.Println("n", len(span), "fails", fails)
}
