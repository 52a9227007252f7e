package nn

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

// costNet has a layer of every type, on 9×9×3 inputs.
func costNet(t *testing.T) *Model {
	t.Helper()
	conv, err := NewConv2D("c", 3, 8, 3, 2, 1, 1, true, nil) // 9×9×3 → 5×5×8
	if err != nil {
		t.Fatal(err)
	}
	dw, err := NewConv2D("dw", 8, 8, 3, 1, 1, 8, false, nil) // depthwise, 5×5×8
	if err != nil {
		t.Fatal(err)
	}
	bn, err := NewBatchNorm("bn", 8, 1e-5, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := NewPReLU("pr", 8)
	if err != nil {
		t.Fatal(err)
	}
	af, err := NewAffine("af", 8)
	if err != nil {
		t.Fatal(err)
	}
	mp, err := NewMaxPool("mp", 3, 1, 1) // 5×5×8
	if err != nil {
		t.Fatal(err)
	}
	ap, err := NewAvgPool("ap", 2, 2, 0) // 2×2×8
	if err != nil {
		t.Fatal(err)
	}
	short, err := NewConv2D("sc", 8, 8, 1, 1, 0, 1, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	d1, err := NewDense("d1", 32, 6, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	net := NewSequential("",
		conv,
		NewResidual("res", NewSequential("", dw, bn, pr), NewSequential("", short)),
		&ReLU{Name: "relu"}, af, mp, ap,
		NewSequential("branch", &Flatten{Name: "flat"}, d1, NewL2Normalize("l2", 0)),
	)
	return NewModel(net, 9, 9, 3)
}

// TestSpecCost checks SpecCost against the network itself: the output
// shape Forward gives, every parameter and buffer value, and the
// multiply-adds counted by hand.
func TestSpecCost(t *testing.T) {
	m := costNet(t)
	c, err := SpecCost(m.Net.Spec(), m.Input)
	if err != nil {
		t.Fatal(err)
	}
	x, err := FromSlice(make([]float32, 9*9*3), 1, 9, 9, 3)
	if err != nil {
		t.Fatal(err)
	}
	y, err := m.Net.Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int(y.Shape())[1:]; !slices.Equal(c.Output, want) {
		t.Errorf("output shape %v, Forward gives %v", c.Output, want)
	}
	var params int64
	for _, p := range m.Params() {
		params += int64(p.Value.Shape().TotalSize())
	}
	if c.Params != params {
		t.Errorf("Params = %d, the model holds %d values", c.Params, params)
	}
	// By hand, layer by layer: output values and multiply-adds.
	outs := []int64{
		5 * 5 * 8,                       // conv
		5 * 5 * 8, 5 * 5 * 8, 5 * 5 * 8, // depthwise, batch norm, PReLU
		5 * 5 * 8, 5 * 5 * 8, // shortcut, residual sum
		5 * 5 * 8, 5 * 5 * 8, 5 * 5 * 8, 2 * 2 * 8, // relu, affine, max pool, avg pool
		32, 6, 6, // flatten, dense, l2
	}
	macs := []int64{
		5 * 5 * 8 * 3 * 3 * 3,
		5 * 5 * 8 * 3 * 3, 5 * 5 * 8, 5 * 5 * 8,
		5 * 5 * 8 * 8, 5 * 5 * 8,
		5 * 5 * 8, 5 * 5 * 8, 5 * 5 * 8 * 9, 2 * 2 * 8 * 4,
		0, 32 * 6, 2 * 6,
	}
	var values, mac, peak int64
	for i := range outs {
		values += outs[i]
		mac += macs[i]
		peak = max(peak, outs[i])
	}
	if c.Values != values || c.MACs != mac || c.Peak != peak {
		t.Errorf("Values %d, MACs %d, Peak %d; want %d, %d, %d", c.Values, c.MACs, c.Peak, values, mac, peak)
	}
}

// TestSpecCostRefuses: layers that do not fit their input are named, and
// a hostile architecture's cost saturates instead of wrapping around.
func TestSpecCostRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		s     Spec
		input [3]int
		want  string
	}{
		"channels":       {Spec{Type: "conv2d", In: 4, Out: 8, Kernel: 1}, [3]int{8, 8, 3}, "wants height × width × 4"},
		"dense on a map": {Spec{Type: "dense", In: 3, Out: 2}, [3]int{2, 2, 3}, "flatten or pool first"},
		"window":         {Spec{Type: "maxpool", Kernel: 9}, [3]int{4, 4, 3}, "smaller than the 9-wide window"},
		"residual":       {Spec{Type: "residual", Body: []Spec{{Type: "conv2d", In: 3, Out: 4, Kernel: 1}}}, [3]int{2, 2, 3}, "must match"},
		"unknown":        {Spec{Type: "teleport"}, [3]int{2, 2, 3}, "not known"},
		"empty input":    {Spec{Type: "relu"}, [3]int{0, 2, 3}, "empty side"},
	} {
		if _, err := SpecCost(tc.s, tc.input); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, tc.want)
		}
	}
	huge := Spec{Type: "sequential", Body: []Spec{
		{Type: "conv2d", In: 3, Out: maxSpecSize, Kernel: maxSpecSmall, Pad: maxSpecSmall},
		{Type: "conv2d", In: maxSpecSize, Out: maxSpecSize, Kernel: maxSpecSmall, Pad: maxSpecSmall},
	}}
	c, err := SpecCost(huge, [3]int{maxInputSide, maxInputSide, 3})
	if err != nil {
		t.Fatal(err)
	}
	if c.MACs != math.MaxInt64 {
		t.Errorf("a hostile architecture costs %d MACs, want the count saturated", c.MACs)
	}
	// Global average pooling: a map to its channels.
	if c, err := SpecCost(Spec{Type: "globalavgpool"}, [3]int{4, 5, 6}); err != nil || !slices.Equal(c.Output, []int{6}) || c.MACs != 120 {
		t.Errorf("global average pooling: %+v, %v", c, err)
	}
}

// TestSpecCostKnowsEveryLayer: every layer type Build makes has a cost, so
// a new layer type cannot make every model that uses it unloadable by a
// caller that checks the cost first.
func TestSpecCostKnowsEveryLayer(t *testing.T) {
	for typ := range builders {
		if strings.HasPrefix(typ, "test_") {
			continue
		}
		_, err := SpecCost(Spec{Type: typ}, [3]int{4, 4, 3})
		if err != nil && strings.Contains(err.Error(), "not known") {
			t.Errorf("layer type %q has no cost", typ)
		}
	}
}

// TestReadHeader reads a model file's header without its weights, and
// refuses what Load refuses about the header.
func TestReadHeader(t *testing.T) {
	m := costNet(t)
	m.Meta["threshold"] = "0.5"
	b := saveBytes(t, m)
	// Only the header is needed: the weights may be missing.
	h, err := ReadHeader(bytes.NewReader(b[:len(b)/2]))
	if err != nil {
		t.Fatal(err)
	}
	if h.Version != 1 || h.Input != m.Input || h.Meta["threshold"] != "0.5" || h.Net.Type != "sequential" {
		t.Errorf("header %+v", h)
	}
	if c, err := SpecCost(h.Net, h.Input); err != nil || c.Output[0] != 6 {
		t.Errorf("cost of the header's net: %+v, %v", c, err)
	}
	for name, tc := range map[string]struct {
		data []byte
		kind error
	}{
		"empty":         {nil, ErrTruncated},
		"not model":     {[]byte("GIF89a.."), ErrNotModel},
		"cut":           {b[:20], ErrTruncated},
		"unknown layer": {rawFile(1, `{"input":[1,1,3],"net":{"type":"teleport"}}`), ErrArchitecture},
	} {
		_, err := ReadHeader(bytes.NewReader(tc.data))
		if !errors.Is(err, tc.kind) {
			t.Errorf("%s: %v, want %v", name, err, tc.kind)
		}
	}
}
