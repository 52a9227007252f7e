package face

import (
	"fmt"
	"math"
	"os"
	"testing"
)

func TestRank(t *testing.T) {
	if os.Getenv("TUNE") == "" {
		t.Skip()
	}
	c, _ := LoadCascadesFromModule()
	d := c.NewDetector()
	imgs, _ := tuneLoad("/work/shared/data/lfw/images", 7)
	var all [][]Face
	for _, img := range imgs {
		faces, _ := d.Detect(img)
		all = append(all, append([]Face(nil), faces...))
	}
	ranks := map[string]func(f Face) float64{
		"size*cen2": func(f Face) float64 { r := math.Hypot(f.X-125, f.Y-125) / 125; return f.Size / (1 + 4*r*r) },
		"sqscore*size*cen2": func(f Face) float64 {
			r := math.Hypot(f.X-125, f.Y-125) / 125
			return math.Sqrt(float64(f.Score)) * f.Size / (1 + 4*r*r)
		},
		"score*size*cen2": func(f Face) float64 {
			r := math.Hypot(f.X-125, f.Y-125) / 125
			return float64(f.Score) * f.Size / (1 + 4*r*r)
		},
		"score*sqrt*cen4": func(f Face) float64 {
			r := math.Hypot(f.X-125, f.Y-125) / 125
			return float64(f.Score) * math.Sqrt(f.Size) / (1 + 8*r*r)
		},
		"score":      func(f Face) float64 { return float64(f.Score) },
		"score*sqrt": func(f Face) float64 { return float64(f.Score) * math.Sqrt(f.Size) },
		"score*size": func(f Face) float64 { return float64(f.Score) * f.Size },
		"size":       func(f Face) float64 { return f.Size },
		"score*sqrt*cen": func(f Face) float64 {
			r := math.Hypot(f.X-125, f.Y-125) / 125
			return float64(f.Score) * math.Sqrt(f.Size) / (1 + r*r)
		},
		"score*sqrt*cen2": func(f Face) float64 {
			r := math.Hypot(f.X-125, f.Y-125) / 125
			return float64(f.Score) * math.Sqrt(f.Size) / (1 + 4*r*r)
		},
		"score*size*cen": func(f Face) float64 {
			r := math.Hypot(f.X-125, f.Y-125) / 125
			return float64(f.Score) * f.Size / (1 + r*r)
		},
	}
	for name, rk := range ranks {
		ok, n := 0, 0
		for _, faces := range all {
			if len(faces) == 0 {
				continue
			}
			n++
			best := faces[0]
			for _, f := range faces {
				if rk(f) > rk(best) {
					best = f
				}
			}
			if math.Abs(best.X-125) < 25 && math.Abs(best.Y-125) < 30 {
				ok++
			}
		}
		fmt.Printf("%-16s %d/%d central %.2f%%\n", name, ok, n, 100*float64(ok)/float64(n))
	}
	// how many faces have their best central face with score < x
	for _, faces := range all {
		for _, f := range faces {
			if math.Abs(f.X-125) < 25 && math.Abs(f.Y-125) < 30 {
				_ = f
			}
		}
	}
}
