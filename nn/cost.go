package nn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"strings"
)

// Header is what a model file says about itself before its weights: the
// format version, the input shape, the metadata and the architecture.
type Header struct {
	Version int
	Input   [3]int
	Meta    map[string]string
	Net     Spec
}

// ReadHeader reads the magic, the version and the JSON header of a model
// file and checks the architecture as Load does, without reading the
// weights, building the network or verifying the checksum (Load does all of
// that). It lets a caller judge a file, with SpecCost, before it pays for
// loading or running it. Refusals are *FormatError values, as Load's.
func ReadHeader(r io.Reader) (Header, error) {
	d := &decoder{r: r, crc: crc32.NewIEEE()}
	var magic [8]byte
	n, err := io.ReadFull(r, magic[:])
	d.off = int64(n)
	switch {
	case n > 0 && string(magic[:n]) != formatMagic[:n]:
		return Header{}, d.fail(ErrNotModel, 0, "nn: not an Oneshot model file (magic %q, want %q)", magic[:n], formatMagic)
	case n == 0 && (err == io.EOF || err == io.ErrUnexpectedEOF):
		return Header{}, d.fail(ErrTruncated, 0, "nn: model file is empty; the download or copy failed, fetch the file again")
	case err != nil:
		return Header{}, d.ioErr(err, "the magic bytes")
	}
	version, err := d.u32("the format version")
	if err != nil {
		return Header{}, err
	}
	if version < 1 || version > FormatVersion {
		return Header{}, d.fail(ErrVersion, 8, "nn: model file is version %d, this build reads versions 1 to %d", version, FormatVersion)
	}
	hlen, err := d.u32("the header length")
	if err != nil {
		return Header{}, err
	}
	if hlen == 0 || hlen > maxHeaderBytes {
		return Header{}, d.fail(ErrCorrupt, d.off-4, "nn: model file is corrupted (header length %d, want 1 to %d bytes)", hlen, maxHeaderBytes)
	}
	raw := make([]byte, hlen)
	if err := d.read(raw, "the JSON header"); err != nil {
		return Header{}, err
	}
	var h fileHeader
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
			return Header{}, d.fail(ErrVersion, 16, "nn: model file header has %s, which this build does not know; update Oneshot", strings.TrimPrefix(msg, "json: "))
		}
		return Header{}, d.fail(ErrCorrupt, 16, "nn: model file is corrupted (bad JSON header: %v)", err)
	}
	for i, v := range h.Input {
		if v < 0 || v > maxInputSide {
			return Header{}, d.fail(ErrArchitecture, 16, "nn: model file header: input size %v: entry %d must be 0 to %d", h.Input, i, maxInputSide)
		}
	}
	nodes := 0
	if _, err := validateSpec(h.Net, "net", 0, &nodes); err != nil {
		return Header{}, d.fail(ErrArchitecture, 16, "nn: model file header: %v", err)
	}
	return Header{Version: int(version), Input: h.Input, Meta: h.Meta, Net: h.Net}, nil
}

// Cost is what one forward pass of a network costs on one input.
type Cost struct {
	// Params is the number of parameter values the architecture holds,
	// buffers (batch norm's running statistics) included.
	Params int64
	// MACs is the number of multiply-adds: a convolution's and a dense
	// layer's products, and one operation per value for everything else
	// (pooling counts each value of each window; batch norm, activations,
	// residual sums and normalisation one per value).
	MACs int64
	// Values is the number of values of every layer's output together:
	// what a training pass keeps for its backward pass, per input.
	Values int64
	// Peak is the largest single layer output, in values.
	Peak int64
	// Output is the shape of one input's output.
	Output []int
}

// SpecCost follows one input of shape (height, width, channels) through the
// architecture s, without building it, and returns its Cost, or an error
// that names the first layer whose input does not fit it. Shapes follow
// each layer's Forward: convolutions and pools on height × width ×
// channels, dense and L2 normalisation on a vector of features.
func SpecCost(s Spec, input [3]int) (Cost, error) {
	var c Cost
	out, err := c.walk(s, "net", input[:])
	if err != nil {
		return Cost{}, err
	}
	c.Output = out
	return c, nil
}

// walk adds the cost of s on an input of shape in (without the batch) and
// returns the output's shape.
func (c *Cost) walk(s Spec, path string, in []int) ([]int, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("%s (%s): no input", path, s.Type)
	}
	for _, v := range in {
		if v < 1 {
			return nil, fmt.Errorf("%s (%s): input shape %v has an empty side", path, s.Type, in)
		}
	}
	size := int64(1)
	for _, v := range in {
		size *= int64(v)
	}
	last := in[len(in)-1]
	channels := func(want int) error {
		if len(in) != 1 && len(in) != 3 {
			return fmt.Errorf("%s (%s): wants height × width × channels or a vector, got %v", path, s.Type, in)
		}
		if last != want {
			return fmt.Errorf("%s (%s): wants %d channels, got shape %v", path, s.Type, want, in)
		}
		return nil
	}
	elementwise := func(ops int64) []int {
		c.MACs = sat(c.MACs, ops, size)
		c.output(size)
		return in
	}
	window := func(k, stride, pad int) (int, int, error) {
		if len(in) != 3 {
			return 0, 0, fmt.Errorf("%s (%s): wants height × width × channels, got %v", path, s.Type, in)
		}
		if k < 1 || stride < 1 || pad < 0 {
			return 0, 0, fmt.Errorf("%s (%s): window %d, stride %d, pad %d", path, s.Type, k, stride, pad)
		}
		if in[0]+2*pad < k || in[1]+2*pad < k {
			return 0, 0, fmt.Errorf("%s (%s): input %d×%d (padded by %d) is smaller than the %d-wide window", path, s.Type, in[0], in[1], pad, k)
		}
		return (in[0]+2*pad-k)/stride + 1, (in[1]+2*pad-k)/stride + 1, nil
	}
	switch s.Type {
	case "sequential":
		out := in
		for i, l := range s.Body {
			var err error
			if out, err = c.walk(l, fmt.Sprintf("%s.body[%d]", path, i), out); err != nil {
				return nil, err
			}
		}
		return out, nil
	case "residual":
		body, err := c.walk(Spec{Type: "sequential", Body: s.Body}, path, in)
		if err != nil {
			return nil, err
		}
		short, err := c.walk(Spec{Type: "sequential", Body: s.Shortcut}, path+".shortcut", in)
		if err != nil {
			return nil, err
		}
		if !sameShape(body, short) {
			return nil, fmt.Errorf("%s (residual): the body gives %v and the shortcut %v; they must match", path, body, short)
		}
		n := int64(1)
		for _, v := range body {
			n *= int64(v)
		}
		c.MACs = sat(c.MACs, 1, n)
		c.output(n)
		return body, nil
	case "conv2d":
		stride, groups := max(s.Stride, 1), max(s.Groups, 1)
		if s.In < 1 || s.Out < 1 || s.In%groups != 0 || s.Out%groups != 0 {
			return nil, fmt.Errorf("%s (conv2d): %d groups, channels %d→%d", path, groups, s.In, s.Out)
		}
		if len(in) != 3 || last != s.In {
			return nil, fmt.Errorf("%s (conv2d): wants height × width × %d, got %v", path, s.In, in)
		}
		oh, ow, err := window(s.Kernel, stride, s.Pad)
		if err != nil {
			return nil, err
		}
		per := int64(s.Kernel) * int64(s.Kernel) * int64(s.In/groups)
		c.Params = sat(c.Params, per, int64(s.Out))
		if s.Bias {
			c.Params = sat(c.Params, 1, int64(s.Out))
		}
		n := int64(oh) * int64(ow) * int64(s.Out)
		c.MACs = sat(c.MACs, n, per)
		c.output(n)
		return []int{oh, ow, s.Out}, nil
	case "dense":
		if len(in) != 1 || last != s.In || s.Out < 1 {
			return nil, fmt.Errorf("%s (dense): wants %d features, got shape %v (flatten or pool first)", path, s.In, in)
		}
		c.Params = sat(c.Params, int64(s.In), int64(s.Out))
		if s.Bias {
			c.Params = sat(c.Params, 1, int64(s.Out))
		}
		c.MACs = sat(c.MACs, int64(s.In), int64(s.Out))
		c.output(int64(s.Out))
		return []int{s.Out}, nil
	case "batchnorm", "affine", "prelu":
		if err := channels(s.In); err != nil {
			return nil, err
		}
		c.Params = sat(c.Params, map[string]int64{"batchnorm": 4, "affine": 2, "prelu": 1}[s.Type], int64(s.In))
		return elementwise(1), nil
	case "relu":
		return elementwise(1), nil
	case "l2normalize":
		if len(in) != 1 {
			return nil, fmt.Errorf("%s (l2normalize): wants a vector of features, got %v", path, in)
		}
		return elementwise(2), nil
	case "flatten":
		c.output(size)
		return []int{int(size)}, nil
	case "maxpool", "avgpool":
		w := poolSpec(s)
		if w.Pad >= w.Kernel {
			return nil, fmt.Errorf("%s (%s): pad %d is not smaller than the %d-wide window", path, s.Type, w.Pad, w.Kernel)
		}
		oh, ow, err := window(w.Kernel, w.Stride, w.Pad)
		if err != nil {
			return nil, err
		}
		n := int64(oh) * int64(ow) * int64(last)
		c.MACs = sat(c.MACs, n, int64(w.Kernel)*int64(w.Kernel))
		c.output(n)
		return []int{oh, ow, last}, nil
	case "globalavgpool":
		if len(in) != 3 {
			return nil, fmt.Errorf("%s (globalavgpool): wants height × width × channels, got %v", path, in)
		}
		c.MACs = sat(c.MACs, 1, size)
		c.output(int64(last))
		return []int{last}, nil
	}
	return nil, fmt.Errorf("%s: the cost of a %q layer is not known", path, s.Type)
}

// output records a layer's output of n values.
func (c *Cost) output(n int64) {
	c.Values = sat(c.Values, 1, n)
	c.Peak = max(c.Peak, n)
}

// sat is sum + a·b for non-negative numbers, saturating at math.MaxInt64:
// a hostile architecture's cost is "too much", never a wrapped-around small
// number.
func sat(sum, a, b int64) int64 {
	p := float64(a) * float64(b)
	if f := float64(sum) + p; f >= math.MaxInt64 {
		return math.MaxInt64
	}
	return sum + a*b
}
