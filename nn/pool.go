package nn

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"
)

// The pools' loops are close to their math already; maxPoolForwardRef and
// the other pooling references (reference.go) are it written one output
// value at a time.

// window is the geometry shared by MaxPool and AvgPool: a Kernel×Kernel
// window moved by Stride over the input padded by Pad on every side, each
// channel pooled separately. Pad must be smaller than Kernel, so every
// window holds at least one real cell.
type window struct {
	Kernel, Stride, Pad int

	n, h, w, c, oh, ow int // sizes of the last Forward
}

func (p *window) valid(layer layerName) error {
	if p.Kernel < 1 || p.Stride < 1 || p.Pad < 0 || p.Pad >= p.Kernel {
		return fmt.Errorf("nn: %s: window %d, stride %d, pad %d: need window ≥ 1, stride ≥ 1, 0 ≤ pad < window", layer, p.Kernel, p.Stride, p.Pad)
	}
	return nil
}

// setup checks x and records the sizes of this call.
func (p *window) setup(layer layerName, x *tensor.Dense) error {
	if err := p.valid(layer); err != nil {
		return err
	}
	n, h, w, c, err := input4(layer, x, 0)
	if err != nil {
		return err
	}
	oh, err := windowOut(layer, h, p.Kernel, p.Stride, p.Pad)
	if err != nil {
		return err
	}
	ow, err := windowOut(layer, w, p.Kernel, p.Stride, p.Pad)
	if err != nil {
		return err
	}
	p.n, p.h, p.w, p.c, p.oh, p.ow = n, h, w, c, oh, ow
	return nil
}

// span is the range [lo, hi) of input rows (or columns) under output
// position o along an axis of n cells.
func (p *window) span(o, n int) (lo, hi int) {
	lo = o*p.Stride - p.Pad
	hi = min(lo+p.Kernel, n)
	return max(lo, 0), hi
}

// poolSpec builds a pool's window from a Spec; stride 0 means stride = window.
func poolSpec(s Spec) window {
	w := window{Kernel: s.Kernel, Stride: s.Stride, Pad: s.Pad}
	if w.Stride == 0 {
		w.Stride = w.Kernel
	}
	return w
}

// MaxPool takes the maximum of each window, per channel, of an NHWC tensor.
// Padding counts as −∞, so it never wins. Backward sends each output's
// gradient to the cell that won (the first one on ties).
type MaxPool struct {
	Name string
	window

	trained bool
	arg     []int32 // input index of each output's maximum
	y, dx   *tensor.Dense
}

func init() {
	register("maxpool", func(s Spec) (Layer, error) {
		w := poolSpec(s)
		return NewMaxPool(s.Name, w.Kernel, w.Stride, w.Pad)
	})
	register("avgpool", func(s Spec) (Layer, error) {
		w := poolSpec(s)
		return NewAvgPool(s.Name, w.Kernel, w.Stride, w.Pad)
	})
	register("globalavgpool", func(s Spec) (Layer, error) { return &GlobalAvgPool{Name: s.Name}, nil })
}

// NewMaxPool makes a kernel×kernel max pool with the given stride and
// padding (0 ≤ pad < kernel).
func NewMaxPool(name string, kernel, stride, pad int) (*MaxPool, error) {
	m := &MaxPool{Name: name, window: window{Kernel: kernel, Stride: stride, Pad: pad}}
	if err := m.valid(m.id()); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *MaxPool) id() layerName { return layerID("maxpool", m.Name) }

// Forward: y[n, oy, ox, c] = max over the window of x[n, ·, ·, c].
func (m *MaxPool) Forward(x *tensor.Dense, training bool) (*tensor.Dense, error) {
	m.trained = false
	if err := m.setup(m.id(), x); err != nil {
		return nil, err
	}
	c := m.c
	m.y = reuse(m.y, m.n, m.oh, m.ow, c)
	m.arg = growI32(m.arg, m.y.Shape().TotalSize())
	xs, ys := x.Float32s(), m.y.Float32s()
	inf := float32(math.Inf(-1))
	r := 0
	for b := 0; b < m.n; b++ {
		for oy := 0; oy < m.oh; oy++ {
			y0, y1 := m.span(oy, m.h)
			for ox := 0; ox < m.ow; ox++ {
				x0, x1 := m.span(ox, m.w)
				yr, ar := ys[r*c:(r+1)*c], m.arg[r*c:(r+1)*c]
				ar = ar[:len(yr)]
				r++
				for i := range yr {
					yr[i], ar[i] = inf, -1
				}
				for iy := y0; iy < y1; iy++ {
					for ix := x0; ix < x1; ix++ {
						off := ((b*m.h+iy)*m.w + ix) * c
						xr := xs[off : off+c][:len(yr)]
						for i, v := range xr {
							if v > yr[i] {
								yr[i], ar[i] = v, int32(off+i)
							}
						}
					}
				}
			}
		}
	}
	m.trained = training
	return m.y, nil
}

// Backward: dx at each window's maximum gets that output's gradient.
func (m *MaxPool) Backward(dy *tensor.Dense) (*tensor.Dense, error) {
	if err := checkBackward(m.id(), m.trained, m.y, dy); err != nil {
		return nil, err
	}
	m.dx = reuse(m.dx, m.n, m.h, m.w, m.c)
	gs, dxs := dy.Float32s(), m.dx.Float32s()
	clear(dxs)
	for j, a := range m.arg[:len(gs)] {
		if a >= 0 { // −1: the window held only NaN
			dxs[a] += gs[j]
		}
	}
	return m.dx, nil
}

// Params: MaxPool has none.
func (m *MaxPool) Params() []*Param { return nil }

// Spec describes the layer.
func (m *MaxPool) Spec() Spec {
	return Spec{Type: "maxpool", Name: m.Name, Kernel: m.Kernel, Stride: m.Stride, Pad: m.Pad}
}

// AvgPool averages each window, per channel, of an NHWC tensor. Only cells
// inside the input count: a window that overlaps the padding is divided by
// its number of real cells, not by Kernel² (TensorFlow's "SAME" average
// pooling, PyTorch's count_include_pad=false), so borders are not darkened.
type AvgPool struct {
	Name string
	window

	trained bool
	y, dx   *tensor.Dense
}

// NewAvgPool makes a kernel×kernel average pool with the given stride and
// padding (0 ≤ pad < kernel).
func NewAvgPool(name string, kernel, stride, pad int) (*AvgPool, error) {
	a := &AvgPool{Name: name, window: window{Kernel: kernel, Stride: stride, Pad: pad}}
	if err := a.valid(a.id()); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *AvgPool) id() layerName { return layerID("avgpool", a.Name) }

// Forward: y[n, oy, ox, c] = mean over the real cells of the window.
func (a *AvgPool) Forward(x *tensor.Dense, training bool) (*tensor.Dense, error) {
	a.trained = false
	if err := a.setup(a.id(), x); err != nil {
		return nil, err
	}
	c := a.c
	a.y = reuse(a.y, a.n, a.oh, a.ow, c)
	xs, ys := x.Float32s(), a.y.Float32s()
	r := 0
	for b := 0; b < a.n; b++ {
		for oy := 0; oy < a.oh; oy++ {
			y0, y1 := a.span(oy, a.h)
			for ox := 0; ox < a.ow; ox++ {
				x0, x1 := a.span(ox, a.w)
				yr := ys[r*c : (r+1)*c]
				r++
				clear(yr)
				for iy := y0; iy < y1; iy++ {
					for ix := x0; ix < x1; ix++ {
						off := ((b*a.h+iy)*a.w + ix) * c
						for i, v := range xs[off : off+c][:len(yr)] {
							yr[i] += v
						}
					}
				}
				inv := 1 / float32((y1-y0)*(x1-x0))
				for i := range yr {
					yr[i] *= inv
				}
			}
		}
	}
	a.trained = training
	return a.y, nil
}

// Backward: each real cell of a window gets the window's gradient divided
// by the window's count of real cells.
func (a *AvgPool) Backward(dy *tensor.Dense) (*tensor.Dense, error) {
	if err := checkBackward(a.id(), a.trained, a.y, dy); err != nil {
		return nil, err
	}
	c := a.c
	a.dx = reuse(a.dx, a.n, a.h, a.w, c)
	gs, dxs := dy.Float32s(), a.dx.Float32s()
	clear(dxs)
	r := 0
	for b := 0; b < a.n; b++ {
		for oy := 0; oy < a.oh; oy++ {
			y0, y1 := a.span(oy, a.h)
			for ox := 0; ox < a.ow; ox++ {
				x0, x1 := a.span(ox, a.w)
				gr := gs[r*c : (r+1)*c]
				r++
				inv := 1 / float32((y1-y0)*(x1-x0))
				for iy := y0; iy < y1; iy++ {
					for ix := x0; ix < x1; ix++ {
						off := ((b*a.h+iy)*a.w + ix) * c
						dr := dxs[off : off+c][:len(gr)]
						for i, g := range gr {
							dr[i] += g * inv
						}
					}
				}
			}
		}
	}
	return a.dx, nil
}

// Params: AvgPool has none.
func (a *AvgPool) Params() []*Param { return nil }

// Spec describes the layer.
func (a *AvgPool) Spec() Spec {
	return Spec{Type: "avgpool", Name: a.Name, Kernel: a.Kernel, Stride: a.Stride, Pad: a.Pad}
}

// GlobalAvgPool averages each channel over all positions: (N, H, W, C) →
// (N, C).
type GlobalAvgPool struct {
	Name string

	trained    bool
	n, h, w, c int
	y, dx      *tensor.Dense
}

func (g *GlobalAvgPool) id() layerName { return layerID("globalavgpool", g.Name) }

// Forward: y[n, c] = mean over h, w of x[n, h, w, c].
func (g *GlobalAvgPool) Forward(x *tensor.Dense, training bool) (*tensor.Dense, error) {
	g.trained = false
	n, h, w, c, err := input4(g.id(), x, 0)
	if err != nil {
		return nil, err
	}
	g.n, g.h, g.w, g.c = n, h, w, c
	g.y = reuse(g.y, n, c)
	xs, ys := x.Float32s(), g.y.Float32s()
	hw := h * w
	inv := 1 / float32(hw)
	for b := 0; b < n; b++ {
		yr := ys[b*c : (b+1)*c]
		clear(yr)
		for p := 0; p < hw; p++ {
			off := (b*hw + p) * c
			for i, v := range xs[off : off+c][:len(yr)] {
				yr[i] += v
			}
		}
		for i := range yr {
			yr[i] *= inv
		}
	}
	g.trained = training
	return g.y, nil
}

// Backward: dx[n, h, w, c] = dy[n, c] / (H·W).
func (g *GlobalAvgPool) Backward(dy *tensor.Dense) (*tensor.Dense, error) {
	if err := checkBackward(g.id(), g.trained, g.y, dy); err != nil {
		return nil, err
	}
	c, hw := g.c, g.h*g.w
	g.dx = reuse(g.dx, g.n, g.h, g.w, c)
	gs, dxs := dy.Float32s(), g.dx.Float32s()
	inv := 1 / float32(hw)
	for b := 0; b < g.n; b++ {
		gr := gs[b*c : (b+1)*c]
		for p := 0; p < hw; p++ {
			off := (b*hw + p) * c
			dr := dxs[off : off+c][:len(gr)]
			for i, v := range gr {
				dr[i] = v * inv
			}
		}
	}
	return g.dx, nil
}

// Params: GlobalAvgPool has none.
func (g *GlobalAvgPool) Params() []*Param { return nil }

// Spec describes the layer.
func (g *GlobalAvgPool) Spec() Spec { return Spec{Type: "globalavgpool", Name: g.Name} }
