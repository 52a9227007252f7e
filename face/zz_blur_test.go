package face

import (
	"fmt"
	"image"
	"image/draw"
	"os"
	"testing"
)

func TestBlurStats(t *testing.T) {
	if os.Getenv("TUNE") == "" {
		t.Skip()
	}
	d := testDetector(t)
	_, names := tuneLoad("/work/shared/data/lfw/images", 131)
	for _, sigma := range []float64{0, 1, 1.5, 2, 3, 4} {
		var sh []float64
		for _, p := range names {
			img := decodeFile(t, p)
			m := image.NewRGBA(img.Bounds())
			draw.Draw(m, m.Bounds(), img, image.Point{}, draw.Src)
			if sigma > 0 {
				gaussianBlur(m, sigma)
			}
			a, _ := d.Analyze(m)
			if len(a.Faces) > 0 {
				sh = append(sh, a.Quality.Sharpness)
			}
		}
		fmt.Printf("sigma %.1f (%.2f of eye distance) sharp p5 %.1f p50 %.1f p95 %.1f n %d\n", sigma, sigma/42, pct(sh, .05), pct(sh, .5), pct(sh, .95), len(sh))
	}
}
