package teacher

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"gorgonia.org/tensor"

	"github.com/oneshotface/oneshot/nn"
)

// DescriptorSize is the length of the teacher's output.
const DescriptorSize = 128

// SameThreshold is the Euclidean distance between two descriptors below
// which dlib and face-api call two faces the same person.
const SameThreshold = 0.6

// Load reads face-api's face recognition weights (the manifest JSON and the
// shards it names, opened through open) and builds the network as an
// nn.Model with Input {150, 150, 3}. It never panics on bad input; errors
// say which tensor is missing or misshapen.
func Load(manifestJSON io.Reader, open Opener) (*nn.Model, error) {
	w, err := ReadWeights(manifestJSON, open)
	if err != nil {
		return nil, err
	}
	return Build(w)
}

// LoadDir is Load for a model folder holding ManifestName and its shards,
// such as the one ModelDir returns.
func LoadDir(dir string) (*nn.Model, error) {
	f, err := os.Open(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, fmt.Errorf("teacher: %w (run scripts/fetch-faceapi.sh?)", err)
	}
	defer f.Close()
	return Load(f, FSOpener(os.DirFS(dir)))
}

// Build makes the teacher network from weights read by ReadWeights.
//
// The network is face-api's FaceRecognitionNet (dlib's
// dlib_face_recognition_resnet_model_v1, a 29-convolution ResNet), layer
// for layer. Every "conv" of face-api is a Sequential of Conv2D (with bias)
// and Affine (face-api's scale layer, dlib's folded batch norm), plus ReLU
// where face-api has one; parameter names follow the weight names:
// "conv32_1/conv1/conv/filters" is "conv32_1.body.conv1.conv.weight".
//
//	150×150×3  conv32_down   7×7/2 valid, 32, scale, relu     → 72×72×32
//	           pool          max 3×3/2 valid                   → 35×35×32
//	           conv32_1..3   residual: [3×3 conv, scale, relu, 3×3 conv, scale] + x, relu
//	           conv64_down   residual down: [3×3/2 valid conv, …] + pad(avgpool 2×2/2 x), relu → 17×17×64
//	           conv64_1..3
//	           conv128_down  → 8×8×128, conv128_1..2
//	           conv256_down  → 4×4×256, conv256_1..2
//	           conv256_down_out → 2×2×256
//	           gap, fc       mean over 2×2, 256→128 without bias
//
// face-api's down blocks zero-pad what does not fit: the shortcut's
// channels (avgpool output, 32 → 64 and so on) and, where the strided
// valid convolution gives a smaller map than the pool (8→3 vs 4, 4→1 vs 2),
// the body's output at the bottom and right. nn has no padding layer, so
// both are fixed convolutions without bias that copy exactly: a 1×1
// convolution whose weight is the identity on the first channels
// ("shortcut.pad") and a depthwise 2×2 convolution with padding 1 whose
// only non-zero tap is the last ("body.pad"). They are frozen here; the
// model file does not store that, so keep them frozen when training.
func Build(w Weights) (*nn.Model, error) {
	b := &builder{w: w, used: map[string]bool{}}
	net := nn.NewSequential("faceapi_resnet")
	add := func(l nn.Layer) { net.Layers = append(net.Layers, l) }

	side := InputSize
	first, err := b.conv("conv32_down", "conv32_down", 3, 32, 7, 2, 0, true)
	if err != nil {
		return nil, err
	}
	add(first)
	side = (side-7)/2 + 1
	pool, err := nn.NewMaxPool("pool", 3, 2, 0)
	if err != nil {
		return nil, err
	}
	add(pool)
	side = (side-3)/2 + 1

	ch := 32
	for _, blk := range []struct {
		name string
		out  int
		down bool
	}{
		{"conv32_1", 32, false}, {"conv32_2", 32, false}, {"conv32_3", 32, false},
		{"conv64_down", 64, true}, {"conv64_1", 64, false}, {"conv64_2", 64, false}, {"conv64_3", 64, false},
		{"conv128_down", 128, true}, {"conv128_1", 128, false}, {"conv128_2", 128, false},
		{"conv256_down", 256, true}, {"conv256_1", 256, false}, {"conv256_2", 256, false},
		{"conv256_down_out", 256, true},
	} {
		res, next, err := b.residual(blk.name, ch, blk.out, side, blk.down)
		if err != nil {
			return nil, err
		}
		add(res)
		add(&nn.ReLU{Name: blk.name + "_relu"})
		ch, side = blk.out, next
	}
	add(&nn.GlobalAvgPool{Name: "gap"})
	fc, err := nn.NewDense("fc", ch, DescriptorSize, false, nil)
	if err != nil {
		return nil, err
	}
	if err := b.set(fc.Weight, "fc"); err != nil {
		return nil, err
	}
	add(fc)

	if unused := b.unused(); len(unused) > 0 {
		return nil, fmt.Errorf("teacher: the weights hold tensors face-api's face recognition net does not use: %s (wrong manifest?)", strings.Join(unused, ", "))
	}
	m := nn.NewModel(net, InputSize, InputSize, 3)
	m.Meta["name"] = "faceapi-resnet"
	m.Meta["source"] = "face-api.js face_recognition_model, a port of dlib_face_recognition_resnet_model_v1 (Davis King, public domain)"
	m.Meta["input"] = fmt.Sprintf("150x150 RGB, (v - [%g %g %g]) / 255 for v in 0..255; see teacher.Preprocess", MeanRGB[0], MeanRGB[1], MeanRGB[2])
	m.Meta["output"] = "128-d descriptor, not normalised; same person below Euclidean distance 0.6"
	m.Meta["threshold"] = fmt.Sprint(SameThreshold)
	return m, nil
}

// builder makes layers from the weights and records which it used.
type builder struct {
	w    Weights
	used map[string]bool
}

// set copies weight name into p, checking its shape.
func (b *builder) set(p *nn.Param, name string) error {
	wt, ok := b.w[name]
	if !ok {
		return fmt.Errorf("teacher: the weights lack %q (not face-api's face recognition model?)", name)
	}
	want := []int(p.Value.Shape())
	if !slices.Equal(wt.Shape, want) {
		return fmt.Errorf("teacher: weight %q has shape %v, want %v", name, wt.Shape, want)
	}
	copy(p.Value.Float32s(), wt.Data)
	b.used[name] = true
	return nil
}

func (b *builder) unused() []string {
	var out []string
	for k := range b.w {
		if !b.used[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// conv makes face-api's conv layer "prefix": conv (with bias), scale, and
// a ReLU if relu.
func (b *builder) conv(name, prefix string, in, out, k, stride, pad int, relu bool) (*nn.Sequential, error) {
	c, err := nn.NewConv2D("conv", in, out, k, stride, pad, 1, true, nil)
	if err != nil {
		return nil, err
	}
	a, err := nn.NewAffine("scale", out)
	if err != nil {
		return nil, err
	}
	for _, s := range []struct {
		p    *nn.Param
		name string
	}{{c.Weight, "/conv/filters"}, {c.Bias, "/conv/bias"}, {a.Scale, "/scale/weights"}, {a.Bias, "/scale/biases"}} {
		if err := b.set(s.p, prefix+s.name); err != nil {
			return nil, err
		}
	}
	seq := nn.NewSequential(name, c, a)
	if relu {
		seq.Layers = append(seq.Layers, &nn.ReLU{Name: "relu"})
	}
	return seq, nil
}

// residual makes face-api's residual (down=false) or residualDown block for
// an input of side×side×in, without the final ReLU, and returns the side of
// its output.
func (b *builder) residual(name string, in, out, side int, down bool) (*nn.Residual, int, error) {
	stride, pad := 1, 1
	if down {
		stride, pad = 2, 0
	}
	c1, err := b.conv("conv1", name+"/conv1", in, out, 3, stride, pad, true)
	if err != nil {
		return nil, 0, err
	}
	c2, err := b.conv("conv2", name+"/conv2", out, out, 3, 1, 1, false)
	if err != nil {
		return nil, 0, err
	}
	body := nn.NewSequential("body", c1, c2)
	if !down {
		if in != out {
			return nil, 0, fmt.Errorf("teacher: internal: residual %s changes channels %d→%d without down-sampling", name, in, out)
		}
		return nn.NewResidual(name, body, nil), side, nil
	}

	convSide := (side-3)/2 + 1
	poolSide := (side-2)/2 + 1
	shortcut := nn.NewSequential("shortcut")
	avg, err := nn.NewAvgPool("pool", 2, 2, 0)
	if err != nil {
		return nil, 0, err
	}
	shortcut.Layers = append(shortcut.Layers, avg)
	if in != out {
		// zero channels after the pooled ones: tf.concat([pooled, zeros], 3)
		cp, err := nn.NewConv2D("pad", in, out, 1, 1, 0, 1, false, nil)
		if err != nil {
			return nil, 0, err
		}
		wv := cp.Weight.Value.Float32s()
		clear(wv)
		for c := range in {
			wv[c*out+c] = 1
		}
		cp.Weight.SetFrozen(true)
		shortcut.Layers = append(shortcut.Layers, cp)
	}
	switch d := poolSide - convSide; d {
	case 0:
	case 1:
		// a zero row at the bottom and a zero column at the right:
		// tf.concat([out, zeros], 1) then 2. Depthwise 2×2, padding 1,
		// output (i, j) = x(i, j) where it exists, else 0.
		sp, err := nn.NewConv2D("pad", out, out, 2, 1, 1, out, false, nil)
		if err != nil {
			return nil, 0, err
		}
		wv := sp.Weight.Value.Float32s() // (2, 2, 1, out)
		clear(wv)
		for c := range out {
			wv[3*out+c] = 1 // tap (1, 1)
		}
		sp.Weight.SetFrozen(true)
		body.Layers = append(body.Layers, sp)
	default:
		return nil, 0, fmt.Errorf("teacher: internal: block %s on %d×%d gives %d from the convolution and %d from the pool; face-api pads only by one", name, side, side, convSide, poolSide)
	}
	return nn.NewResidual(name, body, shortcut), poolSide, nil
}

// Embed runs the teacher on a batch of inputs made by Preprocess (each
// InputSize·InputSize·3 values) and returns one 128-d descriptor per input,
// in new slices. Like every nn.Model, m keeps per-layer buffers: do not
// call Embed on one model from several goroutines at once (Clone it).
func Embed(m *nn.Model, inputs ...[]float32) ([][]float32, error) {
	if m == nil {
		return nil, fmt.Errorf("teacher: Embed on a nil model")
	}
	if len(inputs) == 0 {
		return nil, nil
	}
	const n = InputSize * InputSize * 3
	x := make([]float32, 0, len(inputs)*n)
	for i, in := range inputs {
		if len(in) != n {
			return nil, fmt.Errorf("teacher: input %d has %d values, want %d (150×150×3 from Preprocess)", i, len(in), n)
		}
		x = append(x, in...)
	}
	t := tensor.New(tensor.WithShape(len(inputs), InputSize, InputSize, 3), tensor.WithBacking(x))
	y, err := m.Forward(t, false)
	if err != nil {
		return nil, err
	}
	if s := y.Shape(); len(s) != 2 || s[0] != len(inputs) {
		return nil, fmt.Errorf("teacher: model gives shape %v for %d inputs, want (%d, D)", s, len(inputs), len(inputs))
	}
	ys := y.Float32s()
	d := y.Shape()[1]
	out := make([][]float32, len(inputs))
	for i := range out {
		out[i] = append([]float32(nil), ys[i*d:(i+1)*d]...)
	}
	return out, nil
}
