package face

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestFailList(t *testing.T) {
	if os.Getenv("TUNE") == "" {
		t.Skip()
	}
	d := testDetector(t)
	data, _ := os.ReadFile("/tmp/lfw_fail.txt")
	for _, p := range strings.Fields(string(data)) {
		img := decodeFile(t, p)
		faces, _ := d.Detect(img)
		if len(faces) == 0 {
			continue
		}
		f := faces[0]
		l, sl := d.pupil(f, -1, 31)
		r, sr := d.pupil(f, 1, 31)
		e := Eyes{Left: l, Right: r}
		e.Spread = max(sl, sr) / e.Distance()
		why := ""
		span := e.Distance() / f.Size
		if span < minEyeSpan || span > maxEyeSpan {
			why += fmt.Sprintf(" span %.2f", span)
		}
		if e.Roll() > maxEyeRoll || e.Roll() < -maxEyeRoll {
			why += fmt.Sprintf(" roll %.1f", e.Roll())
		}
		if e.Spread > maxSpread {
			why += fmt.Sprintf(" spread %.2f", e.Spread)
		}
		fmt.Printf("%-40s l(%.2f,%.2f) r(%.2f,%.2f) %s\n", p[strings.LastIndex(p, "/")+1:], (l.X-f.X)/f.Size, (l.Y-f.Y)/f.Size, (r.X-f.X)/f.Size, (r.Y-f.Y)/f.Size, why)
	}
}
