package nn

import (
	"fmt"
	"strconv"

	"gorgonia.org/tensor"
)

// Sequential runs its layers one after another. It is itself a Layer, so
// blocks nest. Parameter names are prefixed with each child's Spec().Name, or
// its index when the child has no name: "0.weight", "conv1.bias".
type Sequential struct {
	Name   string
	Layers []Layer
}

func init() {
	register("sequential", func(s Spec) (Layer, error) {
		seq := &Sequential{Name: s.Name}
		for i, c := range s.Body {
			l, err := Build(c)
			if err != nil {
				return nil, fmt.Errorf("%s[%d]: %w", s.Type, i, err)
			}
			seq.Layers = append(seq.Layers, l)
		}
		return seq, nil
	})
}

// NewSequential makes a Sequential of the given layers.
func NewSequential(name string, layers ...Layer) *Sequential {
	return &Sequential{Name: name, Layers: layers}
}

// Forward runs x through every layer in order.
func (s *Sequential) Forward(x *tensor.Dense, training bool) (*tensor.Dense, error) {
	var err error
	for i, l := range s.Layers {
		if x, err = l.Forward(x, training); err != nil {
			return nil, fmt.Errorf("layer %s: %w", childName(l, i), err)
		}
	}
	return x, nil
}

// Backward runs dy back through the layers in reverse order.
func (s *Sequential) Backward(dy *tensor.Dense) (*tensor.Dense, error) {
	var err error
	for i := len(s.Layers) - 1; i >= 0; i-- {
		if dy, err = s.Layers[i].Backward(dy); err != nil {
			return nil, fmt.Errorf("layer %s backward: %w", childName(s.Layers[i], i), err)
		}
	}
	return dy, nil
}

// Params lists the children's parameters with prefixed names. The Params
// returned are new structs sharing the children's tensors, so renaming here
// leaves the children untouched; Frozen is read through Freeze on the model.
func (s *Sequential) Params() []*Param { return prefixParams(s.Layers) }

// Spec describes the Sequential and all its children.
func (s *Sequential) Spec() Spec {
	sp := Spec{Type: "sequential", Name: s.Name}
	for _, l := range s.Layers {
		sp.Body = append(sp.Body, l.Spec())
	}
	return sp
}

func childName(l Layer, i int) string {
	if n := l.Spec().Name; n != "" {
		return n
	}
	return strconv.Itoa(i)
}

// prefixParams returns the parameters of layers, each name prefixed with its
// layer's name and a dot. The returned Params are the children's own
// structs (pointers), renamed copies would lose Frozen updates, so instead a
// copy of the struct is returned whose Value and Grad share storage.
func prefixParams(layers []Layer) []*Param {
	var out []*Param
	for i, l := range layers {
		prefix := childName(l, i) + "."
		for _, p := range l.Params() {
			out = append(out, &Param{Name: prefix + p.Name, Value: p.Value, Grad: p.Grad, Buffer: p.Buffer, Frozen: p.Frozen, origin: p.originOr()})
		}
	}
	return out
}
