package embedder

import (
	"cmp"
	"fmt"
	"math/rand/v2"

	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/nn"
	"gorgonia.org/tensor"
)

// CompactTemplate is the crop the compact embedder takes: 64×64, dlib's
// eye geometry with 10% padding (forehead to chin).
var CompactTemplate = face.TemplateCompact64

// CompactNorm maps the crop's 0…255 RGB values to −1…1.
var CompactNorm = face.NormSigned

// compactStage is one MobileNet-style separable block: a 3×3 depthwise
// convolution (stride 1 or 2), batch norm, PReLU, then a 1×1 pointwise
// convolution to out channels, batch norm, PReLU. When the block keeps the
// shape it is wrapped in a residual connection.
type compactStage struct {
	out, stride int
	// grown names a residual block added to an architecture that was
	// trained without it (see CompactArch.Grows); "" for the numbered
	// blocks. A grown block starts as the identity.
	grown string
}

// block is a numbered separable block of out channels.
func block(out, stride int) compactStage { return compactStage{out: out, stride: stride} }

// grownBlock is a residual block named name added to a trained
// architecture (see compactStage.grown).
func grownBlock(name string, out int) compactStage {
	return compactStage{out: out, stride: 1, grown: name}
}

// CompactArch describes one compact architecture: a 3×3 stride-2 stem of
// Stem channels, the separable blocks, then a global depthwise convolution
// over the final map, a dense layer to EmbeddingDim, batch norm and L2
// normalisation.
type CompactArch struct {
	Name string
	// Template is the input crop; its side must be a multiple of 16 (the
	// stem and three stride-2 blocks leave a 1/16 map for the GDC). The
	// zero value means CompactTemplate.
	Template face.Template
	Stem     int
	stages   []compactStage
	// Grows names the architecture this one extends with grown residual
	// blocks: a model of it starts from that architecture's trained
	// weights (InitFrom) and computes exactly what it did.
	Grows string
	// Rescales names the architecture of the same layers on a smaller
	// crop: a model of it can start this one (InitFrom). Every weight
	// carries over as it is but the global depthwise convolution's, whose
	// kernel covers the whole final map and is resampled to this one's
	// (see resampleGDC).
	Rescales string
}

// CompactV1 was the first shipped architecture: 7.3 M multiply-adds and
// 0.15 M parameters for one 64×64 crop.
var CompactV1 = CompactArch{Name: "compact-v1", Stem: 24, stages: []compactStage{
	block(32, 1),               // 32×32
	block(64, 2), block(64, 1), // 16×16
	block(128, 2), block(128, 1), block(128, 1), // 8×8
	block(192, 2), block(192, 1), // 4×4
}}

// CompactV2 widens the 8×8 and 4×4 stages, where a channel costs the
// fewest multiply-adds: 11.9 M multiply-adds and 0.31 M parameters for
// one 64×64 crop. It is the shipped architecture: trained longer and with
// consistent distillation (teacher targets of the very views it sees) it
// verifies the test people better than CompactV1 (MODEL_CARD.md).
var CompactV2 = CompactArch{Name: "compact-v2", Stem: 24, stages: []compactStage{
	block(32, 1),               // 32×32
	block(64, 2), block(64, 1), // 16×16
	block(160, 2), block(160, 1), block(160, 1), block(160, 1), // 8×8
	block(320, 2), block(320, 1), // 4×4
}}

// CompactV2At80 is CompactV2 on the 80×80 crop (face.TemplateCompact80):
// 18.6 M multiply-adds for the same 0.31 M parameters, the eyes 35
// pixels apart instead of 28.
// It can start from a trained CompactV2 (Rescales), which sees the same
// field of view at 64×64: a model then learns to use the finer crop
// instead of learning faces anew.
var CompactV2At80 = CompactArch{Name: "compact-v2-80", Template: face.TemplateCompact80, Stem: CompactV2.Stem, stages: CompactV2.stages, Rescales: CompactV2.Name}

// CompactV2Deep is CompactV2 with four more residual blocks in the 8×8
// stage, where a face's parts meet: 18.8 M multiply-adds and 0.42 M
// parameters. It grows from a trained CompactV2 (InitFrom): the new
// blocks start as the identity, so training continues from what
// CompactV2 learnt with more capacity to fit the teacher. (Grown from the
// shipped model and trained 20 epochs it fitted the teacher better but
// verified no better: MODEL_CARD.md.)
var CompactV2Deep = CompactArch{Name: "compact-v2-deep", Stem: 24, Grows: CompactV2.Name, stages: []compactStage{
	block(32, 1),               // 32×32
	block(64, 2), block(64, 1), // 16×16
	block(160, 2), block(160, 1), block(160, 1), block(160, 1), // 8×8
	grownBlock("deep1", 160), grownBlock("deep2", 160), grownBlock("deep3", 160), grownBlock("deep4", 160),
	block(320, 2), block(320, 1), // 4×4
}}

// CompactArchs lists the architectures by name, for cmd/train's -arch.
var CompactArchs = map[string]CompactArch{CompactV1.Name: CompactV1, CompactV2.Name: CompactV2, CompactV2At80.Name: CompactV2At80, CompactV2Deep.Name: CompactV2Deep}

// EmbeddingDim is the length of every embedding.
const EmbeddingDim = 128

// NewCompact builds the shipped compact architecture (CompactV2, see
// MODEL_CARD.md) with fresh weights from seed.
func NewCompact(seed uint64) (*nn.Model, error) {
	return CompactV2.New(seed)
}

// New builds the architecture with fresh weights from seed: a 3×3
// stride-2 stem, the separable blocks down to 4×4, a global depthwise 4×4
// convolution (MobileFaceNet's GDC, which unlike global average pooling
// lets the centre of the face weigh more than its rim), a dense layer to
// 128, batch norm and L2 normalisation.
func (a CompactArch) New(seed uint64) (*nn.Model, error) {
	compactStem, compactStages := a.Stem, a.stages
	tmpl := a.Template
	if tmpl.Width == 0 {
		tmpl = CompactTemplate
	}
	if tmpl.Width != tmpl.Height || tmpl.Width%16 != 0 {
		return nil, fmt.Errorf("embedder: %s needs a square crop whose side is a multiple of 16, not %d×%d", a.Name, tmpl.Width, tmpl.Height)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var layers []nn.Layer
	add := func(l nn.Layer, err error) error {
		if err != nil {
			return err
		}
		layers = append(layers, l)
		return nil
	}
	convBN := func(seq *[]nn.Layer, name string, in, out, k, stride, pad, groups int, act bool) error {
		c, err := nn.NewConv2D(name+".conv", in, out, k, stride, pad, groups, false, rng)
		if err != nil {
			return err
		}
		bn, err := nn.NewBatchNorm(name+".bn", out, 1e-5, 0.1)
		if err != nil {
			return err
		}
		*seq = append(*seq, c, bn)
		if act {
			p, err := nn.NewPReLU(name+".act", out)
			if err != nil {
				return err
			}
			*seq = append(*seq, p)
		}
		return nil
	}
	if err := convBN(&layers, "stem", 3, compactStem, 3, 2, 1, 1, true); err != nil {
		return nil, err
	}
	in, numbered := compactStem, 0
	for _, s := range compactStages {
		name := s.grown
		if name == "" {
			numbered++
			name = fmt.Sprintf("block%d", numbered)
		} else if s.stride != 1 || s.out != in {
			return nil, fmt.Errorf("embedder: %s: grown block %s must keep its input's shape", a.Name, name)
		}
		var body []nn.Layer
		if err := convBN(&body, "dw", in, in, 3, s.stride, 1, in, true); err != nil {
			return nil, err
		}
		// The residual's last activation would sit on the branch, so the
		// pointwise projection of a residual block stays linear.
		residual := s.stride == 1 && s.out == in
		if err := convBN(&body, "pw", in, s.out, 1, 1, 0, 1, !residual); err != nil {
			return nil, err
		}
		if s.grown != "" {
			// The branch's last batch norm scales by 0: the block adds
			// nothing until training gives it a reason to.
			fill(body[len(body)-1].(*nn.BatchNorm).Gamma.Value.Float32s(), 0)
		}
		seq := nn.NewSequential(name, body...)
		if residual {
			if err := add(nn.NewResidual(name, nn.NewSequential("", body...), nil), nil); err != nil {
				return nil, err
			}
		} else if err := add(seq, nil); err != nil {
			return nil, err
		}
		in = s.out
	}
	// Global depthwise convolution over the final 4×4 map.
	if err := convBN(&layers, "gdc", in, in, tmpl.Width/16, 1, 0, in, false); err != nil {
		return nil, err
	}
	layers = append(layers, &nn.Flatten{Name: "flatten"})
	d, err := nn.NewDense("embed", in, EmbeddingDim, false, rng)
	if err != nil {
		return nil, err
	}
	bn, err := nn.NewBatchNorm("embed_bn", EmbeddingDim, 1e-5, 0.1)
	if err != nil {
		return nil, err
	}
	layers = append(layers, d, bn, nn.NewL2Normalize("l2", 1e-10))
	m := nn.NewModel(nn.NewSequential("compact", layers...), tmpl.Height, tmpl.Width, 3)
	if err := Describe(m, tmpl, CompactNorm, 0); err != nil {
		return nil, err
	}
	m.Meta["architecture"] = a.Name
	return m, nil
}

// fill sets every value of v to x.
func fill(v []float32, x float32) {
	for i := range v {
		v[i] = x
	}
}

// InitFrom copies the weights of the trained model from (batch norm's
// running statistics included) into m, a new model of architecture a:
// from must be of a itself, of the architecture a grows from, whose every
// parameter m has (a's grown blocks keep their identity start), or of the
// architecture a rescales, whose every parameter m has in the same shape
// but the GDC kernel, resampled to m's final map.
func (a CompactArch) InitFrom(m, from *nn.Model) error {
	fa := from.Meta["architecture"]
	if m.Meta["architecture"] != a.Name {
		return fmt.Errorf("embedder: the model to start is %q, not %s", m.Meta["architecture"], a.Name)
	}
	if fa != a.Name && (a.Grows == "" || fa != a.Grows) && (a.Rescales == "" || fa != a.Rescales) {
		if from := cmp.Or(a.Grows, a.Rescales); from != "" {
			return fmt.Errorf("embedder: a %s model cannot start %s, which starts from %s or itself", fa, a.Name, from)
		}
		return fmt.Errorf("embedder: a %s model cannot start %s", fa, a.Name)
	}
	grown := fa != a.Name && fa == a.Grows
	rescaled := fa != a.Name && fa == a.Rescales
	for _, q := range from.Params() {
		p := m.Param(q.Name)
		if p == nil || len(p.Value.Float32s()) != len(q.Value.Float32s()) && !(rescaled && q.Name == gdcWeight) {
			return fmt.Errorf("embedder: the %s model's parameter %s does not fit %s", fa, q.Name, a.Name)
		}
	}
	if !grown && len(m.Params()) != len(from.Params()) {
		return fmt.Errorf("embedder: the %s model has %d parameters, %s %d", fa, len(from.Params()), a.Name, len(m.Params()))
	}
	for _, q := range from.Params() {
		if rescaled && q.Name == gdcWeight {
			if err := resampleGDC(m.Param(q.Name).Value, q.Value); err != nil {
				return fmt.Errorf("embedder: starting %s from %s: %w", a.Name, fa, err)
			}
			continue
		}
		copy(m.Param(q.Name).Value.Float32s(), q.Value.Float32s())
	}
	return nil
}

// gdcWeight names the global depthwise convolution's kernel.
const gdcWeight = "gdc.conv.weight"

// resampleGDC fills dst, a global depthwise kernel (k×k×1×C) over a k×k
// map, from src, one over a smaller map of the same field of view: each
// channel's kernel is sampled bilinearly at the centres of dst's cells
// (cell centres aligned, as an image is resized) and scaled so that its
// sum is about src's. The map's cells hold the same parts of the face at
// either size, so the convolution weighs the face about as it did.
func resampleGDC(dst, src *tensor.Dense) error {
	ds, ss := dst.Shape(), src.Shape()
	if len(ds) != 4 || len(ss) != 4 || ds[0] != ds[1] || ss[0] != ss[1] || ds[2] != 1 || ss[2] != 1 || ds[3] != ss[3] {
		return fmt.Errorf("GDC kernels of shapes %v and %v do not correspond", ss, ds)
	}
	kd, ks, c := ds[0], ss[0], ds[3]
	if ks < 2 || kd < ks {
		return fmt.Errorf("GDC kernel of %d×%d cells cannot be resampled to %d×%d", ks, ks, kd, kd)
	}
	dv, sv := dst.Float32s(), src.Float32s()
	// at maps a cell of dst to a position on src's grid, and the two
	// source cells with their weights.
	at := func(i int) (int, int, float64) {
		x := (float64(i)+0.5)*float64(ks)/float64(kd) - 0.5
		x = max(0, min(float64(ks-1), x))
		lo := min(int(x), ks-2)
		return lo, lo + 1, x - float64(lo)
	}
	// The dst kernel has (kd/ks)² as many cells, each weighing about as
	// much as the src cell it lies on: scaled by (ks/kd)², its sum is
	// about src's, so the batch norm after it carries over with the
	// running statistics it learnt.
	scale := float64(ks*ks) / float64(kd*kd)
	for ch := 0; ch < c; ch++ {
		w := func(y, x int) float64 { return float64(sv[(y*ks+x)*c+ch]) }
		for y := 0; y < kd; y++ {
			y0, y1, fy := at(y)
			for x := 0; x < kd; x++ {
				x0, x1, fx := at(x)
				v := (1-fy)*((1-fx)*w(y0, x0)+fx*w(y0, x1)) + fy*((1-fx)*w(y1, x0)+fx*w(y1, x1))
				dv[(y*kd+x)*c+ch] = float32(v * scale)
			}
		}
	}
	return nil
}
