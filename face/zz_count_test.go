package face

import (
	"fmt"
	"os"
	"testing"
)

func TestCount(t *testing.T) {
	if os.Getenv("TUNE") == "" {
		t.Skip()
	}
	frame := benchFrame(&testing.B{})
	d := testDetector(t)
	d.Detect(frame)
	fc := d.c.face
	p := d.Params.withDefaults()
	minSize := max(p.MinFacePixels, int(p.MinFace*float64(min(d.imgW, d.imgH))))
	for size := minSize; size <= min(d.gw, d.gh)-2; {
		step := max(int(p.Shift*float64(size)), 1)
		off := size/2 + 1
		win, trees := 0, 0
		for r := max(off, d.pad); r <= min(d.gh-off, d.pad+d.imgH-1); r += step {
			for c := max(off, d.pad); c <= min(d.gw-off, d.pad+d.imgW-1); c += step {
				win++
				base := r*d.gw + c
				var out float32
				leaves := 1 << fc.depth
				nodes := leaves - 1
				for ti := 0; ti < fc.trees; ti++ {
					trees++
					code := fc.codes[ti*4*nodes:]
					idx := 1
					for range fc.depth {
						k := 4 * (idx - 1)
						o1 := ((int(code[k]) * size) >> 8 * d.gw) + (int(code[k+1])*size)>>8
						o2 := ((int(code[k+2]) * size) >> 8 * d.gw) + (int(code[k+3])*size)>>8
						idx *= 2
						if d.grey[base+o1] <= d.grey[base+o2] {
							idx++
						}
					}
					out += fc.preds[ti*leaves+idx-leaves]
					if out <= fc.thresholds[ti] {
						break
					}
				}
			}
		}
		fmt.Printf("size %d windows %d trees/window %.2f\n", size, win, float64(trees)/float64(win))
		size = int(float64(size) + max(2, float64(size)*p.ScaleStep-float64(size)))
	}
}
