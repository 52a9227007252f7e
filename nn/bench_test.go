package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// benchNet is a small mobile-style embedder on 64×64×3 crops: a strided
// stem, depthwise-separable blocks, one residual block, global pooling and
// a 128-d unit-length embedding.
func benchNet(tb testing.TB) *Sequential {
	tb.Helper()
	rng := rand.New(rand.NewPCG(42, 42))
	var layers []Layer
	add := func(l Layer, err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		layers = append(layers, l)
	}
	conv := func(name string, in, out, k, s, p, g int) {
		tb.Helper()
		add(NewConv2D(name, in, out, k, s, p, g, false, rng))
		add(NewBatchNorm(name+"_bn", out, 0, 0))
		layers = append(layers, &ReLU{Name: name + "_relu"})
	}
	conv("stem", 3, 16, 3, 2, 1, 1) // 32×32×16
	conv("dw1", 16, 16, 3, 1, 1, 16)
	conv("pw1", 16, 32, 1, 1, 0, 1)
	conv("dw2", 32, 32, 3, 2, 1, 32) // 16×16×32
	conv("pw2", 32, 64, 1, 1, 0, 1)
	body := NewSequential("")
	for _, c := range []struct {
		name string
		g    int
	}{{"dw", 64}, {"pw", 1}} {
		k, p := 3, 1
		if c.g == 1 {
			k, p = 1, 0
		}
		cv, err := NewConv2D(c.name, 64, 64, k, 1, p, c.g, false, rng)
		if err != nil {
			tb.Fatal(err)
		}
		bn, _ := NewBatchNorm(c.name+"_bn", 64, 0, 0)
		body.Layers = append(body.Layers, cv, bn)
	}
	layers = append(layers, NewResidual("res", body, nil), &ReLU{Name: "res_relu"})
	conv("dw3", 64, 64, 3, 2, 1, 64) // 8×8×64
	conv("pw3", 64, 128, 1, 1, 0, 1)
	layers = append(layers, &GlobalAvgPool{Name: "pool"})
	add(NewDense("embed", 128, 128, true, rng))
	layers = append(layers, NewL2Normalize("l2", 0))
	return NewSequential("net", layers...)
}

func benchmarkNet(b *testing.B, batch int, backward bool) {
	net := benchNet(b)
	rng := rand.New(rand.NewPCG(1, 1))
	x := randTensor(rng, batch, 64, 64, 3)
	dy := randTensor(rng, batch, 128)
	step := func() {
		if _, err := net.Forward(x, backward); err != nil {
			b.Fatal(err)
		}
		if backward {
			if _, err := net.Backward(dy); err != nil {
				b.Fatal(err)
			}
		}
	}
	step() // the first call of a shape allocates the buffers
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N)/float64(batch), "ms/image")
}

func BenchmarkNet(b *testing.B) {
	for _, batch := range []int{1, 32} {
		b.Run(fmt.Sprintf("forward/batch%d", batch), func(b *testing.B) { benchmarkNet(b, batch, false) })
		b.Run(fmt.Sprintf("train/batch%d", batch), func(b *testing.B) { benchmarkNet(b, batch, true) })
	}
}

// TestNetSteadyStateAllocs checks that repeated calls of the same shape
// reuse their buffers: what still allocates is gemm's tensor headers and
// whatever gorgonia's MatMul allocates per call, not the layers.
func TestNetSteadyStateAllocs(t *testing.T) {
	net := benchNet(t)
	rng := rand.New(rand.NewPCG(1, 1))
	x := randTensor(rng, 2, 64, 64, 3)
	dy := randTensor(rng, 2, 128)
	step := func() {
		if _, err := net.Forward(x, true); err != nil {
			t.Fatal(err)
		}
		if _, err := net.Backward(dy); err != nil {
			t.Fatal(err)
		}
	}
	step()
	allocs := testing.AllocsPerRun(5, step)
	infer := testing.AllocsPerRun(5, func() {
		if _, err := net.Forward(x, false); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("allocations per step: training %.0f, inference %.0f", allocs, infer)
}

// The layer benchmarks time one layer on the compact embedder's shapes:
// the passes that run outside the matrix products (batch norm, PReLU,
// depthwise convolutions, im2col) at cmd/train's batch of 64 crops, and
// the convolutions' four paths at a batch of 16.

// benchLayer times a training step of l (Forward, then Backward of a fixed
// gradient) or, with train false, an inference Forward, on input x.
func benchLayer(b *testing.B, l Layer, x *tensor.Dense, train bool) {
	y, err := l.Forward(x, true)
	if err != nil {
		b.Fatal(err)
	}
	dy := randTensor(rand.New(rand.NewPCG(3, 3)), y.Shape()...)
	step := func() {
		if _, err := l.Forward(x, train); err != nil {
			b.Fatal(err)
		}
		if train {
			if _, err := l.Backward(dy); err != nil {
				b.Fatal(err)
			}
		}
	}
	step()
	for b.Loop() {
		step()
	}
}

func BenchmarkConv2D(b *testing.B) {
	for _, s := range []struct {
		name                                 string
		in, out, kernel, stride, pad, groups int
		hw                                   int
	}{
		{"stem", 3, 24, 3, 2, 1, 1, 64},     // im2col, one group
		{"dw", 32, 32, 3, 1, 1, 32, 32},     // depthwise 3×3
		{"dw-s2", 64, 64, 3, 2, 1, 64, 16},  // depthwise 3×3, stride 2
		{"pw", 64, 64, 1, 1, 0, 1, 16},      // pointwise
		{"gdc", 320, 320, 4, 1, 0, 320, 4},  // depthwise 4×4 (the general loop)
		{"groups4", 32, 32, 3, 1, 1, 4, 16}, // grouped im2col
	} {
		b.Run(s.name+"/train", func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			c, err := NewConv2D("", s.in, s.out, s.kernel, s.stride, s.pad, s.groups, false, rng)
			if err != nil {
				b.Fatal(err)
			}
			benchLayer(b, c, randTensor(rng, 16, s.hw, s.hw, s.in), true)
		})
	}
}

// channelShapes are the (N, H, W, C) inputs of the per-channel layers:
// the first and the widest stage of the compact embedder.
var channelShapes = [][4]int{{64, 32, 32, 32}, {64, 8, 8, 160}}

func BenchmarkBatchNorm(b *testing.B) {
	for _, s := range channelShapes {
		for _, train := range []bool{true, false} {
			name := fmt.Sprintf("%dx%dx%d/infer", s[1], s[2], s[3])
			if train {
				name = fmt.Sprintf("%dx%dx%d/train", s[1], s[2], s[3])
			}
			b.Run(name, func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 2))
				bn := must(NewBatchNorm("", s[3], 0, 0))
				randomizeBN(bn, rng)
				benchLayer(b, bn, randTensor(rng, s[:]...), train)
			})
		}
	}
}

func BenchmarkPReLU(b *testing.B) {
	for _, s := range channelShapes {
		b.Run(fmt.Sprintf("%dx%dx%d/train", s[1], s[2], s[3]), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			benchLayer(b, must(NewPReLU("", s[3])), randTensor(rng, s[:]...), true)
		})
	}
}
