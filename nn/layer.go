package nn

import (
	"fmt"
	"sort"

	"gorgonia.org/tensor"
)

// Layer is one differentiable stage of a network.
type Layer interface {
	// Forward computes the layer's output for the batch x. With training
	// true the layer remembers what Backward needs, and batch norm uses and
	// updates batch statistics; with training false it runs in inference mode.
	Forward(x *tensor.Dense, training bool) (*tensor.Dense, error)
	// Backward takes dL/dy for the last training Forward and returns dL/dx.
	// It adds (never overwrites) dL/dθ into the Grad of each parameter, so
	// gradients accumulate until ZeroGrad.
	Backward(dy *tensor.Dense) (*tensor.Dense, error)
	// Params lists the layer's named tensors: trainable weights and
	// non-trainable state such as batch norm's running statistics. Names are
	// local to the layer ("weight", "bias"); containers prefix them.
	Params() []*Param
	// Spec describes the layer's architecture, so that Build can make the
	// same layer again when a model file is read.
	Spec() Spec
}

// Param is a named tensor of a layer, with its gradient.
type Param struct {
	Name  string
	Value *tensor.Dense
	// Grad has Value's shape; nil for state that is not trained (Buffer).
	Grad *tensor.Dense
	// Buffer marks state that is saved with the model but not trained by an
	// optimizer, such as batch norm's running mean and variance.
	Buffer bool
	// Frozen parameters keep their value during training: optimizers skip
	// them. Backward still computes their gradients.
	Frozen bool
	// origin is the layer's own Param when this one is a renamed view made
	// by a container, so that freezing the view freezes the original.
	origin *Param
}

func (p *Param) originOr() *Param {
	if p.origin != nil {
		return p.origin
	}
	return p
}

// SetFrozen freezes or unfreezes p, and the layer's own parameter when p is
// a container's renamed view of it.
func (p *Param) SetFrozen(frozen bool) {
	p.Frozen = frozen
	p.originOr().Frozen = frozen
}

// Trainable reports whether an optimizer should update p.
func (p *Param) Trainable() bool { return !p.Buffer && !p.Frozen }

// NewParam makes a trainable parameter of the given shape, zero-filled, with
// a zero gradient.
func NewParam(name string, shape ...int) *Param {
	return &Param{Name: name, Value: zeros(shape...), Grad: zeros(shape...)}
}

// NewBuffer makes a non-trainable named tensor filled with v.
func NewBuffer(name string, v float32, shape ...int) *Param {
	t := zeros(shape...)
	d := t.Float32s()
	for i := range d {
		d[i] = v
	}
	return &Param{Name: name, Value: t, Buffer: true}
}

// Spec is the architecture description of one layer, as stored in a model
// file (JSON). Fields a layer type does not use stay zero and are omitted.
type Spec struct {
	Type     string  `json:"type"`
	Name     string  `json:"name,omitempty"`
	In       int     `json:"in,omitempty"`     // input channels or features
	Out      int     `json:"out,omitempty"`    // output channels or features
	Kernel   int     `json:"kernel,omitempty"` // square kernel or pool window
	Stride   int     `json:"stride,omitempty"`
	Pad      int     `json:"pad,omitempty"`
	Groups   int     `json:"groups,omitempty"`
	Bias     bool    `json:"bias,omitempty"`
	Eps      float32 `json:"eps,omitempty"`
	Momentum float32 `json:"momentum,omitempty"`
	// Body and Shortcut hold the children of containers (Sequential uses
	// Body; Residual uses both, an empty Shortcut meaning identity).
	Body     []Spec `json:"body,omitempty"`
	Shortcut []Spec `json:"shortcut,omitempty"`
}

// builders maps a Spec.Type to the function that makes that layer.
var builders = map[string]func(Spec) (Layer, error){}

// register adds a layer type to Build. Each layer file calls it from init.
func register(typ string, build func(Spec) (Layer, error)) {
	if _, dup := builders[typ]; dup {
		panic("nn: layer type registered twice: " + typ)
	}
	builders[typ] = build
}

// Build makes a layer (with zero or default parameters) from its Spec.
func Build(s Spec) (Layer, error) {
	b, ok := builders[s.Type]
	if !ok {
		known := make([]string, 0, len(builders))
		for k := range builders {
			known = append(known, k)
		}
		sort.Strings(known)
		return nil, fmt.Errorf("nn: unknown layer type %q (this build knows %v)", s.Type, known)
	}
	return b(s)
}

// zeros makes a float32 tensor of the given shape filled with zeros.
func zeros(shape ...int) *tensor.Dense {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(make([]float32, n)))
}

// FromSlice wraps data (not copied) as a tensor of the given shape.
func FromSlice(data []float32, shape ...int) (*tensor.Dense, error) {
	n := 1
	for _, s := range shape {
		if s <= 0 {
			return nil, fmt.Errorf("nn: shape %v has a non-positive size", shape)
		}
		n *= s
	}
	if n != len(data) {
		return nil, fmt.Errorf("nn: %d values do not fill shape %v (%d)", len(data), shape, n)
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data)), nil
}

// reuse returns buf if it already has the given shape, else a new zero
// tensor of that shape. Layers keep their outputs and scratch space this way.
func reuse(buf *tensor.Dense, shape ...int) *tensor.Dense {
	if buf != nil && sameShape(buf.Shape(), shape) {
		return buf
	}
	return zeros(shape...)
}

func sameShape(a tensor.Shape, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
