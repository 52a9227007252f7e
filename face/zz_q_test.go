package face

import (
	"fmt"
	"os"
	"testing"
)

func TestQStats(t *testing.T) {
	if os.Getenv("TUNE") == "" {
		t.Skip()
	}
	d := testDetector(t)
	for _, root := range []string{"/work/shared/data/lfw/images", "/work/shared/data/orl"} {
		_, names := tuneLoad(root, map[bool]int{true: 23, false: 2}[root[len(root)-1] == 's'])
		counts := map[string]int{}
		var ed, br, co, sh, ro []float64
		n := 0
		for _, p := range names {
			a, _ := d.Analyze(decodeFile(t, p))
			n++
			for _, m := range a.Quality.Problems.Messages() {
				counts[m]++
			}
			if len(a.Faces) > 0 {
				q := a.Quality
				ed, br, co, sh, ro = append(ed, q.EyeDistance), append(br, q.Brightness), append(co, q.Contrast), append(sh, q.Sharpness), append(ro, q.Roll)
			}
		}
		fmt.Println(root, n, counts)
		for _, x := range []struct {
			n string
			v []float64
		}{{"eyedist", ed}, {"bright", br}, {"contrast", co}, {"sharp", sh}, {"roll", ro}} {
			fmt.Printf("  %-9s p1 %.1f p5 %.1f p50 %.1f p95 %.1f p99 %.1f\n", x.n, pct(x.v, .01), pct(x.v, .05), pct(x.v, .5), pct(x.v, .95), pct(x.v, .99))
		}
	}
}
