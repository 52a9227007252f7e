package nn

import (
	"fmt"
	"maps"
	"math"
	"strings"

	"gorgonia.org/tensor"
)

// Model is a network together with what it takes to use it elsewhere: the
// shape of one input example and free-form metadata. It is the unit that
// Save writes and Load reads, and the thing a training loop drives:
//
//	m := &nn.Model{Net: net, Input: [3]int{112, 112, 3}}
//	opt := nn.NewAdamW(1e-3, 1e-4)
//	for step, batch := range batches {
//		m.ZeroGrad()                  // gradients accumulate, so clear them
//		y, err := m.Forward(batch, true)
//		...                           // loss and dL/dy from y
//		m.Backward(dy)                // adds dL/dθ into every Param's Grad
//		nn.ClipGradNorm(m.Params(), 5)
//		opt.SetLR(sched.LR(step))
//		opt.Step(m.Params())          // updates the trainable parameters
//	}
//	nn.Save(w, m)
//
// Parameters are named by their path through the network ("conv1.weight",
// "block2.bn.running_mean"), the names containers such as Sequential give
// them. Those names are what Freeze, Param, the optimizers' state and the
// model file use.
type Model struct {
	// Net is the network, usually a *Sequential.
	Net Layer
	// Input is the shape of one example, height × width × channels, for
	// example {112, 112, 3} for an RGB face crop. Forward checks a batch
	// against it; the zero value means "any shape".
	Input [3]int
	// Meta is free metadata stored with the model, such as the
	// verification "threshold" or who trained it ("trained_by"). Keys and
	// values must be valid UTF-8 to be saved.
	Meta map[string]string
	// Half makes Save write format version 2, which stores in IEEE half
	// precision, two bytes a value, every tensor whose values are all
	// half-precision values: RoundToHalf rounds them so. Load sets it for a
	// version-2 file. The model computes in float32 either way.
	Half bool
	// Int8 makes Save write format version 3, which also stores in 8 bits
	// with one scale per output channel every weight tensor whose values
	// are all 8-bit values (RoundToInt8 rounds them so; int8.go). Load sets
	// it for a version-3 file.
	Int8 bool
}

// NewModel makes a model of net for inputs of one example's shape
// height × width × channels, with empty metadata.
func NewModel(net Layer, h, w, c int) *Model {
	return &Model{Net: net, Input: [3]int{h, w, c}, Meta: map[string]string{}}
}

// Forward runs a batch x, shaped (N, H, W, C), through the network. With
// training true the layers remember what Backward needs and batch norm
// uses and updates batch statistics; use false to run the model. The result
// is owned by the network and overwritten by the next call.
func (m *Model) Forward(x *tensor.Dense, training bool) (*tensor.Dense, error) {
	if m.Net == nil {
		return nil, fmt.Errorf("nn: model has no network (Net is nil)")
	}
	if m.Input != [3]int{} {
		s := x.Shape()
		if len(s) != 4 || s[1] != m.Input[0] || s[2] != m.Input[1] || s[3] != m.Input[2] {
			return nil, fmt.Errorf("nn: model wants a batch of shape (N, %d, %d, %d), got %v; resize or crop the input to %d×%d with %d channels",
				m.Input[0], m.Input[1], m.Input[2], s, m.Input[0], m.Input[1], m.Input[2])
		}
	}
	return m.Net.Forward(x, training)
}

// Backward takes dL/dy for the output of the last training Forward, adds
// dL/dθ into the Grad of every parameter and returns dL/dx.
func (m *Model) Backward(dy *tensor.Dense) (*tensor.Dense, error) {
	if m.Net == nil {
		return nil, fmt.Errorf("nn: model has no network (Net is nil)")
	}
	return m.Net.Backward(dy)
}

// Params lists every named tensor of the network, trainable weights and
// buffers alike, in a fixed order. The tensors are the network's own:
// writing into Value changes the model.
func (m *Model) Params() []*Param {
	if m.Net == nil {
		return nil
	}
	return m.Net.Params()
}

// Param returns the parameter with the given full name, or nil if there is
// none.
func (m *Model) Param(name string) *Param {
	for _, p := range m.Params() {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// ZeroGrad sets every gradient to zero. Backward adds into the gradients,
// so call it before each batch (or every k batches to accumulate k).
func (m *Model) ZeroGrad() {
	for _, p := range m.Params() {
		if p.Grad != nil {
			clear(p.Grad.Float32s())
		}
	}
}

// Freeze freezes every trainable parameter whose name starts with prefix,
// so optimizers leave it alone, and returns how many it froze. The match is
// a plain string prefix: "conv1" also matches "conv10.weight", so pass
// "conv1." to mean exactly the layer conv1; "" matches everything.
// Fine-tuning only the head of an embedder is typically
//
//	m.Freeze("")       // everything ...
//	m.Unfreeze("head.") // ... except the head
func (m *Model) Freeze(prefix string) int { return m.setFrozen(prefix, true) }

// Unfreeze undoes Freeze for every parameter whose name starts with prefix
// and returns how many it matched.
func (m *Model) Unfreeze(prefix string) int { return m.setFrozen(prefix, false) }

func (m *Model) setFrozen(prefix string, frozen bool) int {
	n := 0
	for _, p := range m.Params() {
		if !p.Buffer && strings.HasPrefix(p.Name, prefix) {
			p.SetFrozen(frozen)
			n++
		}
	}
	return n
}

// NumParams counts the values an optimizer would train: all parameters
// except buffers and frozen ones.
func (m *Model) NumParams() int {
	n := 0
	for _, p := range m.Params() {
		if p.Trainable() {
			n += p.Value.Shape().TotalSize()
		}
	}
	return n
}

// RoundToHalf rounds every parameter and buffer to the nearest IEEE half
// precision value (ties to even) and sets Half, so that Save stores the
// model in about half the bytes. A tensor with a value beyond half
// precision's range (±65504) or NaN is left as it is and stored in
// float32. It returns the largest change it made relative to the largest
// magnitude of its tensor, the figure to judge the rounding by: at most
// 2⁻¹¹ ≈ 4.9e-4 for normal values. Rounding is for a model to ship;
// training it afterwards moves its values off the half grid again, and
// Save then stores the tensors that moved in float32.
func (m *Model) RoundToHalf() float64 {
	worst := 0.0
	for _, p := range m.Params() {
		values := p.Value.Float32s()
		if !all(values, halfFits) {
			continue
		}
		peak := 0.0
		for _, v := range values {
			peak = max(peak, math.Abs(float64(v)))
		}
		for i, v := range values {
			r := fromHalf(toHalf(v))
			if peak > 0 {
				worst = max(worst, math.Abs(float64(r)-float64(v))/peak)
			}
			values[i] = r
		}
	}
	m.Half = true
	return worst
}

// Clone returns a deep copy of the model: a network built again from its
// Spec with every parameter's value and frozen flag copied, the same Input
// and a copy of Meta. Gradients start at zero and the copy shares nothing
// with m, so one can train while the other serves.
func (m *Model) Clone() (*Model, error) {
	if m.Net == nil {
		return nil, fmt.Errorf("nn: cannot clone a model with no network (Net is nil)")
	}
	net, err := Build(m.Net.Spec())
	if err != nil {
		return nil, fmt.Errorf("nn: clone: %w", err)
	}
	src := make(map[string]*Param)
	for _, p := range m.Params() {
		src[p.Name] = p
	}
	dst := net.Params()
	if len(dst) != len(src) {
		return nil, fmt.Errorf("nn: clone: the rebuilt network has %d parameters, the model %d; a layer's Spec does not describe it fully", len(dst), len(src))
	}
	for _, d := range dst {
		s, ok := src[d.Name]
		if !ok {
			return nil, fmt.Errorf("nn: clone: the rebuilt network has a parameter %s the model lacks; a layer's Spec does not describe it fully", d.Name)
		}
		if !sameShape(d.Value.Shape(), s.Value.Shape()) {
			return nil, fmt.Errorf("nn: clone: parameter %s has shape %v, the rebuilt one %v; a layer's Spec does not describe it fully", d.Name, s.Value.Shape(), d.Value.Shape())
		}
		copy(d.Value.Float32s(), s.Value.Float32s())
		d.SetFrozen(s.Frozen || s.originOr().Frozen)
	}
	c := &Model{Net: net, Input: m.Input, Half: m.Half, Int8: m.Int8}
	if m.Meta != nil {
		c.Meta = maps.Clone(m.Meta)
	}
	return c, nil
}
