package eval

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"

	"github.com/oneshotface/oneshot/loss"
)

// Size of the plots, in pixels.
const (
	PlotWidth  = 760
	PlotHeight = 540
)

// Margins around the plot area: room for the titles, tick labels and
// axis labels.
const (
	marginLeft   = 72
	marginRight  = 24
	marginTop    = 52
	marginBottom = 58
)

// ROC axis range: the false accept rates a log axis shows.
const (
	rocMinFAR = 1e-3
	rocMaxFAR = 1
)

func plotArea() image.Rectangle {
	return image.Rect(marginLeft, marginTop, PlotWidth-marginRight, PlotHeight-marginBottom)
}

// titles writes the bold title and the line under it, centred.
func (c canvas) titles(title, sub string) {
	c.text((PlotWidth-textWidth(title))/2, 10, title, black, true)
	c.text((PlotWidth-textWidth(sub))/2, 10+lineH+4, sub, grey, false)
}

// pct formats a rate as a percentage.
func pct(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) }

// summaryLine is the sub-title both plots share.
func summaryLine(r Report) string {
	s := fmt.Sprintf("accuracy %s +/- %s (%d-fold), %d pairs", pct(r.Accuracy), pct(r.Std), len(r.Folds), r.Pairs)
	if r.Failures > 0 {
		s += fmt.Sprintf(", %d failed", r.Failures)
	}
	return s
}

// PlotROC writes the report's ROC curve as a PNG: the true accept rate
// against the false accept rate on a log axis from 0.1% to 100% (pairs
// accepted below 0.1% FAR are drawn at the left edge), with the chance
// line, the point of TAR at FAR = 1% and the equal error rate marked, and
// the AUC in the title. It needs the report's per-pair distances.
func PlotROC(w io.Writer, r Report) error {
	if len(r.Distances) == 0 || len(r.Same) != len(r.Distances) {
		return errors.New("eval: the report has no per-pair distances to plot")
	}
	roc, err := loss.ROC(r.Distances, r.Same)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	c := newCanvas(PlotWidth, PlotHeight)
	f := frame{r: plotArea(), xmin: rocMinFAR, xmax: rocMaxFAR, ymin: 0, ymax: 1, logX: true}
	c.titles(fmt.Sprintf("ROC curve: AUC %.4f", r.AUC), summaryLine(r))

	// Grid and ticks: decades labelled, 2…9 light; TAR every 0.1.
	for dec := rocMinFAR; dec <= rocMaxFAR*1.0001; dec *= 10 {
		for m := 1; m <= 9; m++ {
			x := dec * float64(m)
			if x > rocMaxFAR*1.0001 {
				break
			}
			px := f.px(x)
			if m == 1 {
				c.line(px, float64(f.r.Min.Y), px, float64(f.r.Max.Y), gridGrey, 1, 0)
				c.line(px, float64(f.r.Max.Y), px, float64(f.r.Max.Y)+6, black, 1, 0)
				c.textAt(int(px), f.r.Max.Y+15, trimFloat(x), black, alignCenter)
			} else {
				c.line(px, float64(f.r.Max.Y), px, float64(f.r.Max.Y)+3, black, 1, 0)
			}
		}
	}
	for i := 0; i <= 10; i++ {
		y := float64(i) / 10
		py := f.py(y)
		c.line(float64(f.r.Min.X), py, float64(f.r.Max.X), py, gridGrey, 1, 0)
		c.line(float64(f.r.Min.X)-5, py, float64(f.r.Min.X), py, black, 1, 0)
		c.textAt(f.r.Min.X-8, int(py), fmt.Sprintf("%.1f", y), black, alignRight)
	}
	c.box(f.r, black)
	c.textAt((f.r.Min.X+f.r.Max.X)/2, PlotHeight-16, "false accept rate (FAR, log scale)", black, alignCenter)
	c.textUp(16, (f.r.Min.Y+f.r.Max.Y)/2, "true accept rate (TAR)", black)

	// Chance: TAR = FAR, a curve on the log axis.
	const chanceSteps = 120
	for i := range chanceSteps {
		a := rocMinFAR * math.Pow(rocMaxFAR/rocMinFAR, float64(i)/chanceSteps)
		b := rocMinFAR * math.Pow(rocMaxFAR/rocMinFAR, float64(i+1)/chanceSteps)
		c.line(f.px(a), f.py(a), f.px(b), f.py(b), grey, 1, 0)
	}
	c.textAt(int(f.px(0.3))+4, int(f.py(0.3))+10, "chance", grey, alignLeft)

	// FAR = 1%.
	x1 := f.px(FAR1)
	c.line(x1, float64(f.r.Min.Y), x1, float64(f.r.Max.Y), darkRed, 1, 4)

	// The curve.
	// Between two points only one rate changes, except at ties of a
	// matched and a mismatched distance, where the curve is the straight
	// line of linear axes: sample it so the log axis bends it right. Rates
	// below the axis are drawn at its left edge.
	clamp := func(far float64) float64 { return math.Max(far, rocMinFAR) }
	for i := 1; i < len(roc); i++ {
		p, q := roc[i-1], roc[i]
		steps := 1
		if p.FAR != q.FAR && p.TAR != q.TAR {
			steps = 60
		}
		for s := range steps {
			a, b := float64(s)/float64(steps), float64(s+1)/float64(steps)
			fa, ta := p.FAR+a*(q.FAR-p.FAR), p.TAR+a*(q.TAR-p.TAR)
			fb, tb := p.FAR+b*(q.FAR-p.FAR), p.TAR+b*(q.TAR-p.TAR)
			c.line(f.px(clamp(fa)), f.py(ta), f.px(clamp(fb)), f.py(tb), blue, 2.5, 0)
		}
	}

	// Marks: TAR at FAR 1% and the EER point.
	ty := f.py(r.TARAtFAR1)
	c.disc(x1, ty, 4.5, darkRed)
	label := fmt.Sprintf("TAR %s at FAR 1%%", pct(r.TARAtFAR1))
	ly := int(ty) + 14
	if ly > f.r.Max.Y-10 {
		ly = int(ty) - 14
	}
	c.textAt(int(x1)+8, ly, label, darkRed, alignLeft)
	if r.EER >= rocMinFAR && r.EER <= rocMaxFAR {
		ex, ey := f.px(r.EER), f.py(1-r.EER)
		c.disc(ex, ey, 4.5, orange)
		c.textAt(int(ex)+8, int(ey)+14, "EER "+pct(r.EER), orange, alignLeft)
	}

	// Legend, bottom right (the curve hugs the top).
	lx, ly2 := f.r.Max.X-200, f.r.Max.Y-64
	c.fill(image.Rect(lx, ly2, f.r.Max.X-10, f.r.Max.Y-10), white)
	c.box(image.Rect(lx, ly2, f.r.Max.X-10, f.r.Max.Y-10), grey)
	c.line(float64(lx+8), float64(ly2+13), float64(lx+30), float64(ly2+13), blue, 2.5, 0)
	c.textAt(lx+38, ly2+13, fmt.Sprintf("embedder, AUC %.4f", r.AUC), black, alignLeft)
	c.line(float64(lx+8), float64(ly2+28), float64(lx+30), float64(ly2+28), grey, 1, 0)
	c.textAt(lx+38, ly2+28, "chance", black, alignLeft)
	c.line(float64(lx+19), float64(ly2+37), float64(lx+19), float64(ly2+50), darkRed, 1, 3)
	c.textAt(lx+38, ly2+43, "FAR = 1%", black, alignLeft)

	return png.Encode(w, c.RGBA)
}

// trimFloat formats a tick value without trailing zeros.
func trimFloat(x float64) string { return fmt.Sprintf("%.6g", x) }

// tickLabel formats a tick at spacing step.
func tickLabel(x, step float64) string {
	digits := max(0, int(math.Ceil(-math.Log10(step)-1e-9)))
	return fmt.Sprintf("%.*f", digits, x)
}

// PlotHistogram writes a PNG histogram of the distances of the report's
// matched (blue) and mismatched (orange) pairs, overlaid translucently,
// with the threshold chosen on all pairs as a dashed vertical line and a
// legend. Failed pairs (no face) have no real distance and are not drawn;
// the legend counts them. It needs the report's per-pair distances.
func PlotHistogram(w io.Writer, r Report) error {
	if len(r.Distances) == 0 || len(r.Same) != len(r.Distances) {
		return errors.New("eval: the report has no per-pair distances to plot")
	}
	failed := r.failedSet()
	var dmax float64
	nMatched, nMismatched := 0, 0
	for i, d := range r.Distances {
		if failed[i] {
			continue
		}
		if math.IsNaN(float64(d)) || math.IsInf(float64(d), 0) {
			return fmt.Errorf("eval: pair %d has distance %v", i, d)
		}
		dmax = math.Max(dmax, float64(d))
		if r.Same[i] {
			nMatched++
		} else {
			nMismatched++
		}
	}
	thr := float64(r.Threshold)
	if thr < 0 || math.IsNaN(thr) || thr > 4*dmax+1 {
		thr = math.NaN() // not drawable on this axis
	} else {
		dmax = math.Max(dmax, thr)
	}
	if dmax <= 0 {
		dmax = 1
	}
	xstep := niceStep(dmax, 8)
	xmax := math.Ceil(dmax*1.02/xstep) * xstep

	// Bins.
	nb := min(50, max(10, (nMatched+nMismatched)/15))
	width := xmax / float64(nb)
	hm, hn := make([]int, nb), make([]int, nb)
	for i, d := range r.Distances {
		if failed[i] {
			continue
		}
		b := min(nb-1, max(0, int(float64(d)/width)))
		if r.Same[i] {
			hm[b]++
		} else {
			hn[b]++
		}
	}
	top := 1
	for b := range nb {
		top = max(top, hm[b], hn[b])
	}
	// Leave the top quarter free for the legend.
	ystep := niceStep(float64(top)/0.75, 6)
	ystep = math.Max(1, math.Round(ystep))
	ymax := math.Ceil(float64(top)/0.75/ystep) * ystep

	c := newCanvas(PlotWidth, PlotHeight)
	f := frame{r: plotArea(), xmin: 0, xmax: xmax, ymin: 0, ymax: ymax}
	c.titles("Distances of matched and mismatched pairs", summaryLine(r))

	for y := 0.0; y <= ymax+ystep/2; y += ystep {
		py := f.py(y)
		c.line(float64(f.r.Min.X), py, float64(f.r.Max.X), py, gridGrey, 1, 0)
		c.line(float64(f.r.Min.X)-5, py, float64(f.r.Min.X), py, black, 1, 0)
		c.textAt(f.r.Min.X-8, int(py), fmt.Sprintf("%.0f", y), black, alignRight)
	}
	for x := 0.0; x <= xmax+xstep/2; x += xstep {
		px := f.px(x)
		c.line(px, float64(f.r.Max.Y), px, float64(f.r.Max.Y)+6, black, 1, 0)
		c.textAt(int(px), f.r.Max.Y+15, tickLabel(x, xstep), black, alignCenter)
	}
	c.textAt((f.r.Min.X+f.r.Max.X)/2, PlotHeight-16, "squared distance d = |f(x1) - f(x2)|^2", black, alignCenter)
	c.textUp(16, (f.r.Min.Y+f.r.Max.Y)/2, "pairs per bin", black)

	// Bars: translucent fills, then solid outlines of each histogram.
	fillM := color.NRGBA{blue.R, blue.G, blue.B, 110}
	fillN := color.NRGBA{orange.R, orange.G, orange.B, 110}
	bar := func(b, n int, col color.Color) {
		if n == 0 {
			return
		}
		x0, x1 := int(math.Round(f.px(float64(b)*width))), int(math.Round(f.px(float64(b+1)*width)))
		c.fill(image.Rect(x0, int(math.Round(f.py(float64(n)))), x1, f.r.Max.Y), col)
	}
	for b := range nb {
		bar(b, hn[b], fillN)
		bar(b, hm[b], fillM)
	}
	outline := func(h []int, col color.RGBA) {
		prev := 0
		for b := 0; b <= nb; b++ {
			n := 0
			if b < nb {
				n = h[b]
			}
			x := f.px(float64(b) * width)
			if n != prev {
				c.line(x, f.py(float64(prev)), x, f.py(float64(n)), col, 1.5, 0)
			}
			if b < nb && n > 0 {
				c.line(x, f.py(float64(n)), f.px(float64(b+1)*width), f.py(float64(n)), col, 1.5, 0)
			}
			prev = n
		}
	}
	outline(hn, orange)
	outline(hm, blue)
	c.box(f.r, black)

	// Threshold.
	if !math.IsNaN(thr) {
		tx := f.px(thr)
		c.line(tx, float64(f.r.Min.Y), tx, float64(f.r.Max.Y), black, 2, 6)
		lbl := fmt.Sprintf("threshold %.4g", thr)
		if int(tx)+6+textWidth(lbl) < f.r.Max.X-215 || int(tx)-6-textWidth(lbl) < f.r.Min.X {
			c.textAt(int(tx)+6, f.r.Min.Y+12, lbl, black, alignLeft)
		} else {
			c.textAt(int(tx)-6, f.r.Min.Y+12, lbl, black, alignRight)
		}
	}

	// Legend, top right.
	lines := 3
	if r.Failures > 0 {
		lines++
	}
	lx, ly := f.r.Max.X-210, f.r.Min.Y+8
	lr := image.Rect(lx, ly, f.r.Max.X-8, ly+10+lines*16)
	c.fill(lr, white)
	c.box(lr, grey)
	sw := func(i int, col color.Color, edge color.RGBA, label string) {
		y := ly + 6 + i*16
		c.fill(image.Rect(lx+8, y+2, lx+30, y+12), col)
		c.box(image.Rect(lx+8, y+2, lx+30, y+12), edge)
		c.textAt(lx+38, y+7, label, black, alignLeft)
	}
	sw(0, fillM, blue, fmt.Sprintf("matched (%d pairs)", nMatched))
	sw(1, fillN, orange, fmt.Sprintf("mismatched (%d pairs)", nMismatched))
	y := ly + 6 + 2*16 + 7
	c.line(float64(lx+8), float64(y), float64(lx+30), float64(y), black, 2, 6)
	if math.IsNaN(thr) {
		c.textAt(lx+38, y, "threshold (off the axis)", black, alignLeft)
	} else {
		c.textAt(lx+38, y, fmt.Sprintf("threshold %.4g", thr), black, alignLeft)
	}
	if r.Failures > 0 {
		c.textAt(lx+8, ly+6+3*16+7, fmt.Sprintf("%d failed pairs not shown", r.Failures), grey, alignLeft)
	}
	return png.Encode(w, c.RGBA)
}
