package teacher

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/oneshotface/oneshot/nn"
)

// fakeWeights makes random weights with the names and shapes of face-api's
// face recognition manifest, so the structure is tested without npm.
func fakeWeights(seed uint64) Weights {
	rng := rand.New(rand.NewPCG(seed, 2))
	w := Weights{}
	rnd := func(std float64, shape ...int) Weight {
		n := 1
		for _, s := range shape {
			n *= s
		}
		d := make([]float32, n)
		for i := range d {
			d[i] = float32(rng.NormFloat64() * std)
		}
		return Weight{Shape: shape, Data: d}
	}
	conv := func(prefix string, in, out, k int) {
		w[prefix+"/conv/filters"] = rnd(math.Sqrt(1/float64(k*k*in)), k, k, in, out)
		w[prefix+"/conv/bias"] = rnd(0.1, out)
		s := rnd(0.1, out)
		for i := range s.Data {
			s.Data[i] += 1
		}
		w[prefix+"/scale/weights"] = s
		w[prefix+"/scale/biases"] = rnd(0.1, out)
	}
	conv("conv32_down", 3, 32, 7)
	in := 32
	for _, b := range []struct {
		name string
		out  int
	}{
		{"conv32_1", 32}, {"conv32_2", 32}, {"conv32_3", 32},
		{"conv64_down", 64}, {"conv64_1", 64}, {"conv64_2", 64}, {"conv64_3", 64},
		{"conv128_down", 128}, {"conv128_1", 128}, {"conv128_2", 128},
		{"conv256_down", 256}, {"conv256_1", 256}, {"conv256_2", 256}, {"conv256_down_out", 256},
	} {
		conv(b.name+"/conv1", in, b.out, 3)
		conv(b.name+"/conv2", b.out, b.out, 3)
		in = b.out
	}
	w["fc"] = rnd(0.06, 256, 128)
	return w
}

func TestBuildShapesAndFile(t *testing.T) {
	w := fakeWeights(1)
	m, err := Build(w)
	if err != nil {
		t.Fatal(err)
	}
	// every manifest tensor is a parameter, plus the frozen pad convolutions
	var frozen []string
	n := 0
	for _, p := range m.Params() {
		if p.Frozen {
			frozen = append(frozen, p.Name)
		} else {
			n++
		}
	}
	if n != len(w) {
		t.Errorf("%d trainable parameters, manifest has %d", n, len(w))
	}
	wantFrozen := []string{
		"conv64_down.shortcut.pad.weight", "conv128_down.shortcut.pad.weight",
		"conv256_down.body.pad.weight", "conv256_down.shortcut.pad.weight", "conv256_down_out.body.pad.weight",
	}
	if strings.Join(frozen, " ") != strings.Join(wantFrozen, " ") {
		t.Errorf("frozen %v, want %v", frozen, wantFrozen)
	}
	if p := m.Param("conv32_1.body.conv1.conv.weight"); p == nil || p.Value.Float32s()[0] != w["conv32_1/conv1/conv/filters"].Data[0] {
		t.Error("conv32_1/conv1/conv/filters not at conv32_1.body.conv1.conv.weight")
	}

	in := make([]float32, InputSize*InputSize*3)
	for i := range in {
		in[i] = float32(i%7)/7 - 0.4
	}
	out, err := Embed(m, in, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || len(out[0]) != DescriptorSize || maxAbsDiff(out[0], out[1]) != 0 {
		t.Fatalf("batch of two equal inputs gave %d outputs of %d, differing", len(out), len(out[0]))
	}
	for _, v := range out[0] {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatal("non-finite output")
		}
	}

	var buf bytes.Buffer
	if err := nn.Save(&buf, m); err != nil {
		t.Fatal(err)
	}
	m2, err := nn.Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	out2, err := Embed(m2, in)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(out[0], out2[0]); d != 0 {
		t.Errorf("saved and loaded model differs by %g", d)
	}
}

func TestBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(Weights)
		want   string
	}{
		{"missing", func(w Weights) { delete(w, "conv128_1/conv2/scale/biases") }, `lack "conv128_1/conv2/scale/biases"`},
		{"shape", func(w Weights) { w["fc"] = Weight{Shape: []int{128, 256}, Data: make([]float32, 128*256)} }, `"fc" has shape [128 256], want [256 128]`},
		{"extra", func(w Weights) { w["fc_bias"] = Weight{Shape: []int{128}, Data: make([]float32, 128)} }, "does not use: fc_bias"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := fakeWeights(2)
			tc.change(w)
			_, err := Build(w)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := Embed(nil, nil); err == nil {
		t.Error("Embed(nil model) accepted")
	}
}

// TestResidualDown checks the nn form of face-api's residualDown, padding
// tricks included, against a direct transcription of its TensorFlow.js
// code, both where the conv and pool maps agree (17 → 8) and where the
// conv map is padded (8 → 3, padded to 4).
func TestResidualDown(t *testing.T) {
	const in, out = 4, 8
	for _, side := range []int{17, 8, 4} {
		w := Weights{}
		rng := rand.New(rand.NewPCG(uint64(side), 9))
		rnd := func(shape ...int) Weight {
			n := 1
			for _, s := range shape {
				n *= s
			}
			d := make([]float32, n)
			for i := range d {
				d[i] = float32(rng.NormFloat64() * 0.5)
			}
			return Weight{Shape: shape, Data: d}
		}
		for _, c := range []struct {
			name string
			cin  int
		}{{"blk/conv1", in}, {"blk/conv2", out}} {
			w[c.name+"/conv/filters"] = rnd(3, 3, c.cin, out)
			w[c.name+"/conv/bias"] = rnd(out)
			w[c.name+"/scale/weights"] = rnd(out)
			w[c.name+"/scale/biases"] = rnd(out)
		}
		b := &builder{w: w, used: map[string]bool{}}
		res, gotSide, err := b.residual("blk", in, out, side, true)
		if err != nil {
			t.Fatal(err)
		}
		x := rnd(1, side, side, in).Data
		y, err := res.Forward(tensor.New(tensor.WithShape(1, side, side, in), tensor.WithBacking(x)), false)
		if err != nil {
			t.Fatalf("side %d: %v", side, err)
		}

		// face-api: convDown, convNoRelu, avgPool 2/2 valid, zero-pad, add
		h := naiveConv(x, side, in, w, "blk/conv1", 2, 0, true)
		hs := (side-3)/2 + 1
		h = naiveConv(h, hs, out, w, "blk/conv2", 1, 1, false)
		ps := (side-2)/2 + 1
		if gotSide != ps {
			t.Errorf("side %d: block says output side %d, want %d", side, gotSide, ps)
		}
		want := make([]float32, ps*ps*out)
		for oy := range ps {
			for ox := range ps {
				for c := range out {
					var v float32
					if c < in { // pooled input, zero channels after
						v = (x[((2*oy)*side+2*ox)*in+c] + x[((2*oy)*side+2*ox+1)*in+c] +
							x[((2*oy+1)*side+2*ox)*in+c] + x[((2*oy+1)*side+2*ox+1)*in+c]) / 4
					}
					if oy < hs && ox < hs { // conv output, zero rows/columns after
						v += h[(oy*hs+ox)*out+c]
					}
					want[(oy*ps+ox)*out+c] = v
				}
			}
		}
		if s := y.Shape(); s[1] != ps || s[2] != ps || s[3] != out {
			t.Fatalf("side %d: shape %v, want (1, %d, %d, %d)", side, s, ps, ps, out)
		}
		if d := maxAbsDiff(y.Float32s(), want); d > 1e-5 {
			t.Errorf("side %d: differs from the direct form by %g", side, d)
		}
	}
}

// naiveConv is conv2d (HWIO, square input) + bias, scale, optional ReLU,
// computed directly in float64.
func naiveConv(x []float32, side, cin int, w Weights, prefix string, stride, pad int, relu bool) []float32 {
	f := w[prefix+"/conv/filters"]
	k, cout := f.Shape[0], f.Shape[3]
	bias, sw, sb := w[prefix+"/conv/bias"].Data, w[prefix+"/scale/weights"].Data, w[prefix+"/scale/biases"].Data
	os := (side+2*pad-k)/stride + 1
	y := make([]float32, os*os*cout)
	for oy := range os {
		for ox := range os {
			for o := range cout {
				s := 0.0
				for kh := range k {
					for kw := range k {
						iy, ix := oy*stride-pad+kh, ox*stride-pad+kw
						if iy < 0 || iy >= side || ix < 0 || ix >= side {
							continue
						}
						for c := range cin {
							s += float64(x[(iy*side+ix)*cin+c]) * float64(f.Data[((kh*k+kw)*cin+c)*cout+o])
						}
					}
				}
				v := (s+float64(bias[o]))*float64(sw[o]) + float64(sb[o])
				if relu && v < 0 {
					v = 0
				}
				y[(oy*os+ox)*cout+o] = float32(v)
			}
		}
	}
	return y
}
