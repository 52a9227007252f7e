package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// convConfigs covers the code paths of Conv2D: im2col with one group,
// stride and padding, several groups, depthwise (with stride, and wide
// enough for the SIMD kernels' vectors), and the 1×1 pointwise shortcut.
// TestLayersMatchReference compares each with conv2dForwardRef and
// conv2dBackwardRef (more shapes there), TestConv2DGradient with finite
// differences.
var convConfigs = []struct {
	name                                 string
	in, out, kernel, stride, pad, groups int
	bias                                 bool
	h, w                                 int
}{
	{"3x3", 3, 4, 3, 1, 0, 1, true, 5, 5},
	{"3x3-pad", 2, 3, 3, 1, 1, 1, false, 4, 5},
	{"3x3-stride2-pad", 3, 4, 3, 2, 1, 1, true, 5, 6},
	{"2x2-stride2", 2, 2, 2, 2, 0, 1, false, 4, 4},
	{"groups2", 4, 6, 3, 1, 1, 2, true, 4, 4},
	{"groups2-stride2", 4, 2, 3, 2, 1, 2, false, 5, 5},
	{"depthwise", 4, 4, 3, 1, 1, 4, true, 4, 5},
	{"depthwise-stride2", 3, 3, 3, 2, 1, 3, false, 5, 5},
	// 37 channels: whole SIMD vectors (4, 8 or 16 lanes) and a tail.
	{"depthwise-37", 37, 37, 3, 1, 1, 37, true, 4, 4},
	{"depthwise-37-stride2", 37, 37, 3, 2, 1, 37, false, 5, 5},
	{"pointwise", 4, 5, 1, 1, 0, 1, true, 3, 3},
	{"1x1-stride2", 3, 2, 1, 2, 0, 1, true, 5, 5},
}

func newTestConv(t *testing.T, rng *rand.Rand, in, out, k, s, p, g int, bias bool) *Conv2D {
	t.Helper()
	c, err := NewConv2D("c", in, out, k, s, p, g, bias, rng)
	if err != nil {
		t.Fatal(err)
	}
	if bias {
		for i, b := 0, c.Bias.Value.Float32s(); i < len(b); i++ {
			b[i] = float32(rng.Float64() - 0.5)
		}
	}
	return c
}

func TestConv2DGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range convConfigs {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestConv(t, rng, tc.in, tc.out, tc.kernel, tc.stride, tc.pad, tc.groups, tc.bias)
			checkGradients(t, c, randTensor(rng, 2, tc.h, tc.w, tc.in))
		})
	}
}

// TestDepthwiseAcrossShapes runs one 3×3 depthwise layer on images of
// several sizes, larger first, and compares each output with
// conv2dForwardRef: the zero-padded copies the layer keeps between calls
// must hold zeros in their border whatever an earlier, larger image left
// there.
func TestDepthwiseAcrossShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	c := newTestConv(t, rng, 11, 11, 3, 1, 1, 11, true)
	for _, hw := range [][2]int{{9, 8}, {6, 7}, {3, 3}, {8, 9}} {
		x := randTensor(rng, 2, hw[0], hw[1], 11)
		y, err := c.Forward(x, false)
		if err != nil {
			t.Fatal(err)
		}
		s := convShape{n: 2, h: hw[0], w: hw[1], in: 11, out: 11, k: 3, stride: 1, pad: 1, groups: 11, oh: hw[0], ow: hw[1]}
		want := conv2dForwardRef(s, x.Float32s(), c.Weight.Value.Float32s(), c.Bias.Value.Float32s())
		for i, v := range y.Float32s() {
			if math.Abs(float64(v-want[i])) > 1e-4 {
				t.Fatalf("%d×%d images after larger ones: output %d is %g, want %g", hw[0], hw[1], i, v, want[i])
			}
		}
	}
}

func TestConv2DRejectsBadInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	c := newTestConv(t, rng, 3, 4, 3, 1, 0, 1, false)
	if _, err := c.Backward(randTensor(rng, 1, 2, 2, 4)); err == nil {
		t.Error("Backward before Forward: no error")
	}
	for _, x := range [][]int{{4, 4, 3}, {1, 4, 4, 2}, {1, 2, 2, 3}} {
		if _, err := c.Forward(randTensor(rng, x...), true); err == nil {
			t.Errorf("input %v: no error", x)
		}
	}
	if _, err := c.Forward(nil, true); err == nil {
		t.Error("nil input: no error")
	}
	if _, err := c.Forward(randTensor(rng, 1, 4, 4, 3), false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Backward(randTensor(rng, 1, 2, 2, 4)); err == nil {
		t.Error("Backward after an inference Forward: no error")
	}
	if _, err := c.Forward(randTensor(rng, 1, 4, 4, 3), true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Backward(randTensor(rng, 1, 3, 2, 4)); err == nil {
		t.Error("gradient of the wrong shape: no error")
	}
	for _, bad := range [][7]int{{0, 4, 3, 1, 0, 1}, {3, 4, 0, 1, 0, 1}, {3, 4, 3, 0, 0, 1}, {3, 4, 3, 1, -1, 1}, {4, 6, 3, 1, 0, 4}, {3, 4, 3, 1, 0, 0}} {
		if _, err := NewConv2D("", bad[0], bad[1], bad[2], bad[3], bad[4], bad[5], false, nil); err == nil {
			t.Errorf("NewConv2D%v: no error", bad[:6])
		}
	}
	c.In = 5 // changed behind the constructor's back
	if _, err := c.Forward(randTensor(rng, 1, 4, 4, 5), false); err == nil {
		t.Error("configuration not matching the weights: no error")
	}
}

func TestConv2DHeInit(t *testing.T) {
	c, err := NewConv2D("", 16, 64, 3, 1, 1, 1, false, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	var ss float64
	w := c.Weight.Value.Float32s()
	for _, v := range w {
		ss += float64(v) * float64(v)
	}
	std, want := math.Sqrt(ss/float64(len(w))), math.Sqrt(2.0/(3*3*16))
	if math.Abs(std-want) > 0.05*want {
		t.Errorf("weight std %.4f, want He %.4f", std, want)
	}
}
