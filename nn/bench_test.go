package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"
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
