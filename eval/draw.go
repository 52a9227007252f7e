package eval

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// A small raster toolkit for the plots: a white canvas, thick and dashed
// lines, filled rectangles and text in basicfont's 7×13 face.

var (
	white     = color.RGBA{255, 255, 255, 255}
	black     = color.RGBA{0, 0, 0, 255}
	grey      = color.RGBA{120, 120, 120, 255}
	gridGrey  = color.RGBA{225, 225, 225, 255}
	blue      = color.RGBA{31, 100, 180, 255}
	orange    = color.RGBA{230, 110, 20, 255}
	darkRed   = color.RGBA{190, 20, 30, 255}
	textFace  = basicfont.Face7x13
	lineH     = 13 // height of a line of text
	textAscnt = 11 // baseline below the top of a line of text
)

// canvas is an RGBA image being drawn on.
type canvas struct{ *image.RGBA }

func newCanvas(w, h int) canvas {
	c := canvas{image.NewRGBA(image.Rect(0, 0, w, h))}
	draw.Draw(c.RGBA, c.Bounds(), image.NewUniform(white), image.Point{}, draw.Src)
	return c
}

// fill paints r with col, blending when col is translucent.
func (c canvas) fill(r image.Rectangle, col color.Color) {
	draw.Draw(c.RGBA, r, image.NewUniform(col), image.Point{}, draw.Over)
}

// line draws a line of the given width from (x0, y0) to (x1, y1) by
// stamping squares along it; dash > 0 draws dashes and gaps of that length.
func (c canvas) line(x0, y0, x1, y1 float64, col color.RGBA, width, dash float64) {
	dx, dy := x1-x0, y1-y0
	length := math.Hypot(dx, dy)
	steps := int(math.Ceil(length*2)) + 1
	for s := 0; s <= steps; s++ {
		t := float64(s) / float64(steps)
		if dash > 0 && int(t*length/dash)%2 == 1 {
			continue
		}
		c.dot(x0+t*dx, y0+t*dy, col, width)
	}
}

// dot paints a width×width square centred on (x, y).
func (c canvas) dot(x, y float64, col color.RGBA, width float64) {
	h := width / 2
	r := image.Rect(int(math.Round(x-h)), int(math.Round(y-h)), int(math.Round(x+h)), int(math.Round(y+h)))
	if r.Empty() {
		r = image.Rect(int(x), int(y), int(x)+1, int(y)+1)
	}
	draw.Draw(c.RGBA, r.Intersect(c.Bounds()), image.NewUniform(col), image.Point{}, draw.Src)
}

// disc paints a filled circle of radius rad centred on (x, y).
func (c canvas) disc(x, y, rad float64, col color.RGBA) {
	for py := int(y - rad - 1); py <= int(y+rad+1); py++ {
		for px := int(x - rad - 1); px <= int(x+rad+1); px++ {
			if math.Hypot(float64(px)+0.5-x, float64(py)+0.5-y) <= rad {
				if (image.Point{px, py}).In(c.Bounds()) {
					c.SetRGBA(px, py, col)
				}
			}
		}
	}
}

// textWidth is the width of s in pixels.
func textWidth(s string) int {
	return font.MeasureString(textFace, s).Round()
}

// text writes s with its top-left corner at (x, y); bold draws it twice,
// one pixel apart.
func (c canvas) text(x, y int, s string, col color.Color, bold bool) {
	d := font.Drawer{Dst: c.RGBA, Src: image.NewUniform(col), Face: textFace,
		Dot: fixed.P(x, y+textAscnt)}
	d.DrawString(s)
	if bold {
		d.Dot = fixed.P(x+1, y+textAscnt)
		d.DrawString(s)
	}
}

// align says where a text goes relative to its anchor point.
type align int

const (
	alignLeft align = iota
	alignCenter
	alignRight
)

// textAt writes s with its vertical middle at y and its left edge, centre
// or right edge at x.
func (c canvas) textAt(x, y int, s string, col color.Color, a align) {
	w := textWidth(s)
	switch a {
	case alignCenter:
		x -= w / 2
	case alignRight:
		x -= w
	}
	c.text(x, y-lineH/2, s, col, false)
}

// textUp writes s rotated a quarter turn anticlockwise (reading upwards),
// centred on (x, y): for the label of a vertical axis.
func (c canvas) textUp(x, y int, s string, col color.Color) {
	w := textWidth(s)
	tmp := newCanvas(w, lineH)
	tmp.text(0, 0, s, col, false)
	// Pixel (u, v) of the text goes to (x0 + v, y0 + w−1−u).
	x0, y0 := x-lineH/2, y-w/2
	for v := 0; v < lineH; v++ {
		for u := 0; u < w; u++ {
			p := tmp.RGBAAt(u, v)
			if p != white {
				if q := (image.Point{x0 + v, y0 + w - 1 - u}); q.In(c.Bounds()) {
					c.SetRGBA(q.X, q.Y, p)
				}
			}
		}
	}
}

// frame is a plot area: pixel rectangle and the data ranges it shows.
type frame struct {
	r                      image.Rectangle
	xmin, xmax, ymin, ymax float64
	logX                   bool
}

// px maps a data x to a pixel column.
func (f frame) px(x float64) float64 {
	lo, hi := f.xmin, f.xmax
	if f.logX {
		x, lo, hi = math.Log10(x), math.Log10(lo), math.Log10(hi)
	}
	return float64(f.r.Min.X) + (x-lo)/(hi-lo)*float64(f.r.Dx())
}

// py maps a data y to a pixel row (up is larger).
func (f frame) py(y float64) float64 {
	return float64(f.r.Max.Y) - (y-f.ymin)/(f.ymax-f.ymin)*float64(f.r.Dy())
}

// box draws the frame's outline.
func (c canvas) box(r image.Rectangle, col color.RGBA) {
	x0, y0, x1, y1 := float64(r.Min.X), float64(r.Min.Y), float64(r.Max.X), float64(r.Max.Y)
	c.line(x0, y0, x1, y0, col, 1, 0)
	c.line(x0, y1, x1, y1, col, 1, 0)
	c.line(x0, y0, x0, y1, col, 1, 0)
	c.line(x1, y0, x1, y1, col, 1, 0)
}

// niceStep returns a tick spacing of 1, 2 or 5 times a power of ten giving
// about n ticks over span.
func niceStep(span float64, n int) float64 {
	if span <= 0 || n < 1 {
		return 1
	}
	raw := span / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}
