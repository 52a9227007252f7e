package face

import (
	"fmt"
	"math"
	"os"
	"slices"
	"testing"
)

type eyeCfg struct {
	name                 string
	row, col, scale      float64
	flip                 bool
	n                    int
	twoPass              bool
	pass2scale           float64
}

func (d *Detector) pupilCfg(f Face, side float64, cfg eyeCfg) (Point, float64) {
	pad := float32(d.pad)
	r0 := float32(f.Y+cfg.row*f.Size-0.5) + pad
	c0 := float32(f.X+side*cfg.col*f.Size-0.5) + pad
	s0 := float32(cfg.scale * f.Size)
	return d.pupilAt(r0, c0, s0, side, cfg)
}

func (d *Detector) pupilAt(r0, c0, s0 float32, side float64, cfg eyeCfg) (Point, float64) {
	n := cfg.n
	rows, cols := make([]float32, n), make([]float32, n)
	for i := range n {
		pt := perturbations[i]
		r, c, _ := d.c.pupil.locate(r0+s0*pt[0], c0+s0*pt[1], s0*pt[2], d.grey, d.gh, d.gw, d.gw, cfg.flip && side > 0)
		rows[i], cols[i] = r, c
	}
	slices.Sort(rows)
	slices.Sort(cols)
	m := n / 2
	iqr := max(rows[3*n/4]-rows[n/4], cols[3*n/4]-cols[n/4])
	return Point{X: float64(cols[m]) - float64(d.pad) + 0.5, Y: float64(rows[m]) - float64(d.pad) + 0.5}, float64(iqr)
}

func TestEyesTune(t *testing.T) {
	if os.Getenv("TUNE") == "" {
		t.Skip()
	}
	d := testDetector(t)
	imgs, _ := tuneLoad("/work/shared/data/lfw/images", 13)
	cfgs := []eyeCfg{
		{"base flip n31", -0.075, 0.175, 0.25, true, 31, false, 0},
		//{"base noflip n31", -0.075, 0.175, 0.25, false, 31, false, 0},
		//{"base flip n63", -0.075, 0.175, 0.25, true, 63, false, 0},
		//{"base flip n15", -0.075, 0.175, 0.25, true, 15, false, 0},
		//{"wasm flip n31", -0.085, 0.185, 0.4, true, 31, false, 0},
		//{"r07 c18 s30 flip", -0.07, 0.18, 0.30, true, 31, false, 0},
		//{"base flip 2pass .6", -0.075, 0.175, 0.25, true, 31, true, 0.6},
		//{"base flip 2pass .8", -0.075, 0.175, 0.25, true, 31, true, 0.8},
		//{"base flip 2pass 1.0", -0.075, 0.175, 0.25, true, 31, true, 1.0},
	}
	type res struct{ l, r Point; sp float64; ok bool; f Face }
	for _, cfg := range cfgs {
		var out []res
		for _, img := range imgs {
			faces, _ := d.Detect(img)
			if len(faces) == 0 {
				continue
			}
			f := faces[0]
			l, sl := d.pupilCfg(f, -1, cfg)
			r, sr := d.pupilCfg(f, 1, cfg)
			if cfg.twoPass {
				e := Eyes{Left: l, Right: r}
				s := float32(cfg.pass2scale * e.Distance())
				pad := float32(d.pad)
				l, sl = d.pupilAt(float32(l.Y-0.5)+pad, float32(l.X-0.5)+pad, s, -1, cfg)
				r, sr = d.pupilAt(float32(r.Y-0.5)+pad, float32(r.X-0.5)+pad, s, 1, cfg)
			}
			e := Eyes{Left: l, Right: r}
			e.Spread = max(sl, sr) / e.Distance()
			out = append(out, res{l, r, e.Spread, saneEyes(e, f), f})
		}
		// canonical = median
		var lx, ly, rx, ry []float64
		for _, o := range out {
			lx, ly, rx, ry = append(lx, o.l.X), append(ly, o.l.Y), append(rx, o.r.X), append(ry, o.r.Y)
		}
		cl := Point{pct(lx, .5), pct(ly, .5)}
		cr := Point{pct(rx, .5), pct(ry, .5)}
		var errs []float64
		big, fails := 0, 0
		for _, o := range out {
			e := max(math.Hypot(o.l.X-cl.X, o.l.Y-cl.Y), math.Hypot(o.r.X-cr.X, o.r.Y-cr.Y))
			errs = append(errs, e)
			if e > 8 {
				big++
			}
			if !o.ok {
				fails++
			}
		}
		for _, th := range []float64{0.15, 0.2, 0.3, 0.5} {
			rej, rejBig := 0, 0
			for i, o := range out {
				if o.sp > th {
					rej++
					if errs[i] > 10 {
						rejBig++
					}
				}
			}
			big10 := 0
			for _, e := range errs {
				if e > 10 {
					big10++
				}
			}
			fmt.Printf("   spread>%.2f rejects %d, of which err>10: %d (of %d err>10)\n", th, rej, rejBig, big10)
		}
		fmt.Printf("%-22s canon L(%.1f,%.1f) R(%.1f,%.1f) err p50 %.2f p90 %.2f p99 %.2f  >8px %d  insane %d / %d\n", cfg.name, cl.X, cl.Y, cr.X, cr.Y, pct(errs, .5), pct(errs, .9), pct(errs, .99), big, fails, len(out))
	}
}
