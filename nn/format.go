package nn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The model file format, versions 1 to 3. All integers are little-endian
// uint32, all values little-endian IEEE-754 float32 or, in versions 2 and 3,
// half precision (binary16) or, in version 3, 8-bit codes with one float32
// scale per output channel (int8.go):
//
//	magic        8 bytes  "ONESHOT\x00"
//	version      uint32   1; 2 for a model saved with Model.Half; 3 with Model.Int8
//	header len   uint32   ≤ 1 MiB
//	header       JSON     {"input": [H, W, C], "meta": {...}, "net": Spec}
//	count        uint32   number of tensors, ≤ 10000
//	count times:
//	  name len   uint32   1–256
//	  name       bytes    the Param's full name, e.g. "conv1.weight"
//	  rank       uint32   ≤ 8
//	  dims       rank × uint32, each ≥ 1
//	  type       uint32   versions 2 and 3: 0 float32, 1 half precision; 3: 2 int8
//	  data       Π dims values of that type (version 1: float32), row-major;
//	             int8: the last dimension's channels' peaks (float32), then
//	             one signed byte a value
//	crc          uint32   CRC-32 (IEEE) of every byte before it
//
// A model without Half is written as version 1, byte for byte as before
// version 2 existed, so older builds read it. With Half, each tensor whose
// values are all half-precision values (Model.RoundToHalf makes them so) is
// stored in two bytes a value, any other in float32: Save never changes a
// value, and Load gives back exactly the model saved. With Int8 the same
// holds for weight tensors whose values are all 8-bit values (version 3).
//
// The tensors of all parameters together hold at most 64 Mi values
// (256 MiB). Load enforces every limit before it allocates, so a damaged or
// hostile file cannot make it allocate much more than the file's own size,
// and Save refuses a model Load would refuse.
//
// A file is self-describing: the header's Spec rebuilds the network with
// Build, and each tensor is copied into the parameter of the same name,
// buffers such as batch norm's running statistics included. Frozen flags and
// gradients are training state and are not stored.

// FormatVersion is the newest version of the model file format: Load
// reads it and every version before it; Save writes it for a model with
// Int8, version 2 for a model with Half and version 1 otherwise.
const FormatVersion = 3

// Value types of a version-2 or version-3 tensor.
const (
	typeFloat32 = 0
	typeHalf    = 1
	typeInt8    = 2 // version 3 only
)

const (
	formatMagic    = "ONESHOT\x00"
	maxHeaderBytes = 1 << 20
	maxTensors     = 10000
	maxRank        = 8
	maxElements    = 64 << 20
	maxNameBytes   = 256
	// Limits on the architecture, checked before Build allocates it.
	maxSpecNodes = 1 << 16
	maxSpecDepth = 64
	maxSpecSize  = 1 << 20 // In, Out, Groups
	maxSpecSmall = 1 << 10 // Kernel, Stride, Pad
	maxInputSide = 1 << 16
	// specSlack is how many values the architecture may need beyond the
	// file's tensors in specCost's estimate (see validateSpec).
	specSlack = 1 << 20
)

// Load reports what is wrong with a file through these kinds; test with
// errors.Is, or errors.As with *FormatError for the details.
var (
	// ErrNotModel: the data does not start with the Oneshot magic bytes.
	ErrNotModel = errors.New("nn: not an Oneshot model file")
	// ErrVersion: the file was written in a format version, or with a
	// layer type or field, that this build does not know.
	ErrVersion = errors.New("nn: unsupported model file version")
	// ErrTruncated: the data ends before the file does.
	ErrTruncated = errors.New("nn: model file is truncated")
	// ErrCorrupt: the bytes are damaged (checksum mismatch, impossible
	// sizes, malformed header).
	ErrCorrupt = errors.New("nn: model file is corrupted")
	// ErrArchitecture: the file is intact but its tensors do not fit the
	// architecture it describes, or the architecture cannot be built.
	ErrArchitecture = errors.New("nn: model file's tensors do not fit its architecture")
)

// FormatError is the error Load returns for a file it refuses. Kind is one
// of ErrNotModel, ErrVersion, ErrTruncated, ErrCorrupt and ErrArchitecture,
// so errors.Is(err, nn.ErrCorrupt) works; Offset is the byte offset in the
// file where the problem was found.
type FormatError struct {
	Kind   error
	Offset int64
	Msg    string
}

// Error returns the message, which names what is wrong with the file and where.
func (e *FormatError) Error() string { return e.Msg }

// Unwrap returns Kind.
func (e *FormatError) Unwrap() error { return e.Kind }

// fileHeader is the JSON header.
type fileHeader struct {
	Input [3]int            `json:"input"`
	Meta  map[string]string `json:"meta,omitempty"`
	Net   Spec              `json:"net"`
}

// Save writes m in the model file format. It checks the model first and
// writes nothing if Load could not read the result back: parameter names
// must be unique, the sizes within the format's limits, Meta valid UTF-8.
// Save buffers internally; w receives the whole file (a failure of w is
// returned).
func Save(w io.Writer, m *Model) error {
	if m == nil || m.Net == nil {
		return fmt.Errorf("nn: cannot save a model with no network")
	}
	params := m.Params()
	if len(params) > maxTensors {
		return fmt.Errorf("nn: model has %d parameters, the file format holds at most %d", len(params), maxTensors)
	}
	seen := make(map[string]bool, len(params))
	total := 0
	for _, p := range params {
		if p.Name == "" || len(p.Name) > maxNameBytes {
			return fmt.Errorf("nn: parameter name %q must be 1 to %d bytes long", p.Name, maxNameBytes)
		}
		if seen[p.Name] {
			return fmt.Errorf("nn: two parameters are named %s; give the layers distinct names so each tensor can be found again", p.Name)
		}
		seen[p.Name] = true
		s := p.Value.Shape()
		if len(s) > maxRank {
			return fmt.Errorf("nn: parameter %s has rank %d, the file format holds at most %d", p.Name, len(s), maxRank)
		}
		n := s.TotalSize()
		if len(p.Value.Float32s()) != n {
			return fmt.Errorf("nn: parameter %s has %d values for shape %v", p.Name, len(p.Value.Float32s()), s)
		}
		if total += n; total > maxElements {
			return fmt.Errorf("nn: model has more than %d values, the file format's limit", maxElements)
		}
	}
	for k, v := range m.Meta {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return fmt.Errorf("nn: model meta %q: %q is not valid UTF-8 text", k, v)
		}
	}
	h := fileHeader{Input: m.Input, Meta: m.Meta, Net: m.Net.Spec()}
	if err := validateHeader(&h, total); err != nil {
		return fmt.Errorf("nn: cannot save model: %w", err)
	}
	js, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("nn: cannot save model header: %w", err)
	}
	if len(js) > maxHeaderBytes {
		return fmt.Errorf("nn: model header is %d bytes of JSON, the file format holds at most %d", len(js), maxHeaderBytes)
	}

	var buf bytes.Buffer
	buf.Grow(len(js) + 4*total + 64*len(params) + 32)
	le := binary.LittleEndian
	version := uint32(1)
	if m.Half {
		version = 2
	}
	if m.Int8 {
		version = 3
	}
	buf.WriteString(formatMagic)
	buf.Write(le.AppendUint32(nil, version))
	buf.Write(le.AppendUint32(nil, uint32(len(js))))
	buf.Write(js)
	buf.Write(le.AppendUint32(nil, uint32(len(params))))
	var scratch []byte
	for _, p := range params {
		scratch = le.AppendUint32(scratch[:0], uint32(len(p.Name)))
		scratch = append(scratch, p.Name...)
		s := p.Value.Shape()
		scratch = le.AppendUint32(scratch, uint32(len(s)))
		for _, d := range s {
			scratch = le.AppendUint32(scratch, uint32(d))
		}
		values := p.Value.Float32s()
		var peaks []float32
		var codes []int8
		int8s := false
		if m.Int8 && int8Eligible(p) {
			peaks, codes, int8s = int8Encode(values, s[len(s)-1])
		}
		half := !int8s && (m.Half || m.Int8) && all(values, halfExact)
		if version >= 2 {
			typ := uint32(typeFloat32)
			switch {
			case int8s:
				typ = typeInt8
			case half:
				typ = typeHalf
			}
			scratch = le.AppendUint32(scratch, typ)
		}
		buf.Write(scratch)
		data := buf.AvailableBuffer() // Grow above made room for every value
		switch {
		case int8s:
			for _, v := range peaks {
				data = le.AppendUint32(data, math.Float32bits(v))
			}
			for _, q := range codes {
				data = append(data, byte(q))
			}
		default:
			for _, v := range values {
				if half {
					data = le.AppendUint16(data, toHalf(v))
				} else {
					data = le.AppendUint32(data, math.Float32bits(v))
				}
			}
		}
		buf.Write(data)
	}
	buf.Write(le.AppendUint32(nil, crc32.ChecksumIEEE(buf.Bytes())))
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("nn: writing model file: %w", err)
	}
	return nil
}

// Load reads a model written by Save: it checks the magic, version, limits
// and checksum, rebuilds the network from the header's Spec and copies
// every tensor into the parameter of that name. It reads exactly one model
// and nothing after its checksum, so a model may be followed by other data
// in the same stream. Every refusal is a *FormatError that says what is
// wrong and what to do; errors from r itself are wrapped as they are.
func Load(r io.Reader) (*Model, error) {
	d := &decoder{r: r, crc: crc32.NewIEEE()}

	var magic [8]byte
	n, err := io.ReadFull(r, magic[:])
	d.crc.Write(magic[:n])
	d.off = int64(n)
	switch {
	case n > 0 && string(magic[:n]) != formatMagic[:n]:
		return nil, d.fail(ErrNotModel, 0, "nn: not an Oneshot model file (magic %q, want %q); check that this is the model file and not an image or a face-api manifest", magic[:n], formatMagic)
	case n == 0 && (err == io.EOF || err == io.ErrUnexpectedEOF):
		return nil, d.fail(ErrTruncated, 0, "nn: model file is empty; the download or copy failed, fetch the file again")
	case err != nil:
		return nil, d.ioErr(err, "the magic bytes")
	}

	version, err := d.u32("the format version")
	if err != nil {
		return nil, err
	}
	if version < 1 || version > FormatVersion {
		if version > FormatVersion && version < 1000 {
			return nil, d.fail(ErrVersion, 8, "nn: model file is version %d, this build reads versions 1 to %d; update Oneshot", version, FormatVersion)
		}
		return nil, d.fail(ErrVersion, 8, "nn: model file claims version %d, which no Oneshot writes (this build reads versions 1 to %d); the file is damaged", version, FormatVersion)
	}

	hlen, err := d.u32("the header length")
	if err != nil {
		return nil, err
	}
	if hlen == 0 || hlen > maxHeaderBytes {
		return nil, d.fail(ErrCorrupt, d.off-4, "nn: model file is corrupted (header length %d, want 1 to %d bytes)", hlen, maxHeaderBytes)
	}
	header := make([]byte, hlen)
	if err := d.read(header, "the JSON header"); err != nil {
		return nil, err
	}

	count, err := d.u32("the tensor count")
	if err != nil {
		return nil, err
	}
	if count > maxTensors {
		return nil, d.fail(ErrCorrupt, d.off-4, "nn: model file is corrupted (%d tensors, the format allows at most %d)", count, maxTensors)
	}
	tensors := make(map[string]fileTensor, min(count, 256))
	order := make([]string, 0, min(count, 256))
	total := 0
	for i := range int(count) {
		start := d.off
		nlen, err := d.u32(fmt.Sprintf("tensor %d's name length", i))
		if err != nil {
			return nil, err
		}
		if nlen == 0 || nlen > maxNameBytes {
			return nil, d.fail(ErrCorrupt, start, "nn: model file is corrupted (tensor %d's name is %d bytes long, want 1 to %d)", i, nlen, maxNameBytes)
		}
		nb := make([]byte, nlen)
		if err := d.read(nb, fmt.Sprintf("tensor %d's name", i)); err != nil {
			return nil, err
		}
		name := string(nb)
		if _, dup := tensors[name]; dup {
			return nil, d.fail(ErrCorrupt, start, "nn: model file is corrupted (two tensors named %q)", name)
		}
		qname := strconv.Quote(name) // may be damaged: quote it in messages
		rank, err := d.u32("the rank of tensor " + qname)
		if err != nil {
			return nil, err
		}
		if rank > maxRank {
			return nil, d.fail(ErrCorrupt, d.off-4, "nn: model file is corrupted (tensor %s has rank %d, the format allows at most %d)", qname, rank, maxRank)
		}
		shape := make([]int, rank)
		size := 1
		for j := range shape {
			dim, err := d.u32("the shape of tensor " + qname)
			if err != nil {
				return nil, err
			}
			if dim == 0 || int64(dim) > int64(maxElements) {
				return nil, d.fail(ErrCorrupt, d.off-4, "nn: model file is corrupted (tensor %s has a dimension of %d)", qname, dim)
			}
			shape[j] = int(dim)
			if size *= int(dim); size > maxElements {
				return nil, d.fail(ErrCorrupt, d.off-4, "nn: model file is corrupted (tensor %s has more than %d values)", qname, maxElements)
			}
		}
		if total += size; total > maxElements {
			return nil, d.fail(ErrCorrupt, start, "nn: model file is corrupted (its tensors hold more than %d values, the format's limit)", maxElements)
		}
		typ := uint32(typeFloat32)
		if version >= 2 {
			if typ, err = d.u32("the value type of tensor " + qname); err != nil {
				return nil, err
			}
			known := typ == typeFloat32 || typ == typeHalf || (version >= 3 && typ == typeInt8)
			if !known {
				return nil, d.fail(ErrCorrupt, d.off-4, "nn: model file is corrupted (tensor %s has value type %d; version %d knows 0, float32, 1, half precision%s)",
					qname, typ, version, map[bool]string{true: ", and 2, 8-bit", false: ""}[version >= 3])
			}
			if typ == typeInt8 && rank < 2 {
				return nil, d.fail(ErrCorrupt, d.off-4, "nn: model file is corrupted (tensor %s of rank %d is stored in 8 bits, which needs output channels on a last axis of rank 2 or more)", qname, rank)
			}
		}
		var data []float32
		if typ == typeInt8 {
			data, err = d.int8s(size, shape[len(shape)-1], "the values of tensor "+qname)
		} else {
			data, err = d.floats(size, typ == typeHalf, "the values of tensor "+qname)
		}
		if err != nil {
			return nil, err
		}
		tensors[name] = fileTensor{shape: shape, data: data}
		order = append(order, name)
	}

	sum := d.crc.Sum32()
	var tail [4]byte
	crcAt := d.off
	if err := d.read(tail[:], "the checksum"); err != nil {
		return nil, err
	}
	if stored := binary.LittleEndian.Uint32(tail[:]); stored != sum {
		return nil, d.fail(ErrCorrupt, crcAt, "nn: model file is corrupted (checksum mismatch: stored %08x, computed %08x); the file was damaged in storage or transit, fetch it again", stored, sum)
	}

	// The bytes are as written; now check what they say.
	var h fileHeader
	dec := json.NewDecoder(bytes.NewReader(header))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
			return nil, d.fail(ErrVersion, 16, "nn: model file header has %s, which this build does not know; the file was probably written by a newer Oneshot, update Oneshot", strings.TrimPrefix(msg, "json: "))
		}
		return nil, d.fail(ErrCorrupt, 16, "nn: model file is corrupted (bad JSON header: %v)", err)
	}
	if dec.More() {
		return nil, d.fail(ErrCorrupt, 16, "nn: model file is corrupted (extra data after the JSON header)")
	}
	if err := validateHeader(&h, total); err != nil {
		kind := ErrArchitecture
		if errors.Is(err, errUnknownLayer) {
			kind = ErrVersion
		}
		return nil, d.fail(kind, 16, "nn: model file header: %v", err)
	}
	net, err := Build(h.Net)
	if err != nil {
		return nil, d.fail(ErrArchitecture, 16, "nn: model file's architecture cannot be built: %v", err)
	}
	m := &Model{Net: net, Input: h.Input, Meta: h.Meta, Half: version >= 2, Int8: version >= 3}
	if m.Meta == nil {
		m.Meta = map[string]string{}
	}
	used := 0
	seen := make(map[string]bool)
	for _, p := range m.Params() {
		if seen[p.Name] {
			return nil, d.fail(ErrArchitecture, 16, "nn: model file's architecture has two parameters named %s; its layers need distinct names", p.Name)
		}
		seen[p.Name] = true
		t, ok := tensors[p.Name]
		if !ok {
			return nil, d.fail(ErrArchitecture, 16, "nn: model file has no tensor for parameter %s of its architecture; the file was written incompletely, save the model again", p.Name)
		}
		if !sameShape(p.Value.Shape(), t.shape) {
			return nil, d.fail(ErrArchitecture, 16, "nn: tensor %s has shape %v, the architecture wants %v; the weights do not belong to this architecture", p.Name, t.shape, []int(p.Value.Shape()))
		}
		copy(p.Value.Float32s(), t.data)
		used++
	}
	if used != len(tensors) {
		for _, name := range order {
			if !seen[name] {
				return nil, d.fail(ErrArchitecture, 16, "nn: model file has a tensor %s that its architecture has no parameter for; the weights do not belong to this architecture", name)
			}
		}
	}
	return m, nil
}

type fileTensor struct {
	shape []int
	data  []float32
}

// decoder reads the file, hashing every byte and counting the offset.
type decoder struct {
	r       io.Reader
	crc     hash.Hash32
	off     int64
	scratch []byte
}

func (d *decoder) fail(kind error, off int64, format string, args ...any) error {
	return &FormatError{Kind: kind, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) ioErr(err error, what string) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return d.fail(ErrTruncated, d.off, "nn: model file is truncated (it ends at byte %d, while reading %s); the download or copy was incomplete, fetch the file again", d.off, what)
	}
	return fmt.Errorf("nn: reading model file at byte %d (%s): %w", d.off, what, err)
}

// read fills p or reports why it could not.
func (d *decoder) read(p []byte, what string) error {
	n, err := io.ReadFull(d.r, p)
	d.crc.Write(p[:n])
	d.off += int64(n)
	if err != nil {
		return d.ioErr(err, what)
	}
	return nil
}

func (d *decoder) u32(what string) (uint32, error) {
	var b [4]byte
	if err := d.read(b[:], what); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b[:]), nil
}

// floats reads n values, float32 or (half) half precision, in chunks,
// growing the slice only as data arrives, so a file that claims a huge
// tensor and then ends costs little.
func (d *decoder) floats(n int, half bool, what string) ([]float32, error) {
	const chunk = 1 << 14 // values per read
	if d.scratch == nil {
		d.scratch = make([]byte, 4*chunk)
	}
	size := 4
	if half {
		size = 2
	}
	out := make([]float32, 0, min(n, chunk))
	for len(out) < n {
		k := min(n-len(out), chunk)
		b := d.scratch[:size*k]
		if err := d.read(b, what); err != nil {
			return nil, err
		}
		for j := range k {
			if half {
				out = append(out, fromHalf(binary.LittleEndian.Uint16(b[2*j:])))
			} else {
				out = append(out, math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:])))
			}
		}
	}
	return out, nil
}

// int8s reads n values stored in 8 bits: the peaks of the channels (the
// last axis), then one code a value, in chunks as floats does. A peak that
// is negative or not finite is damage.
func (d *decoder) int8s(n, channels int, what string) ([]float32, error) {
	start := d.off
	peaks, err := d.floats(channels, false, what)
	if err != nil {
		return nil, err
	}
	for _, p := range peaks {
		if !(p >= 0) || math.IsInf(float64(p), 0) {
			return nil, d.fail(ErrCorrupt, start, "nn: model file is corrupted (%s has a channel scale of %v)", what, p)
		}
	}
	const chunk = 1 << 16 // values per read
	if len(d.scratch) < chunk {
		d.scratch = make([]byte, chunk)
	}
	out := make([]float32, 0, min(n, chunk))
	for len(out) < n {
		k := min(n-len(out), chunk)
		b := d.scratch[:k]
		if err := d.read(b, what); err != nil {
			return nil, err
		}
		for _, q := range b {
			out = append(out, int8Value(int8(q), peaks[len(out)%channels]))
		}
	}
	return out, nil
}

// all reports whether ok holds for every value.
func all(values []float32, ok func(float32) bool) bool {
	for _, v := range values {
		if !ok(v) {
			return false
		}
	}
	return true
}

var errUnknownLayer = errors.New("unknown layer type")

// validateHeader checks the header's values before Build allocates
// anything from them: input sizes, every Spec field within its limits, the
// layer types known, and the architecture's size plausible for the number of
// values the file holds (elements). The size check uses specCost, a cheap
// estimate that no layer of this package exceeds by much; it stops a header
// of a few bytes from asking Build for gigabytes.
func validateHeader(h *fileHeader, elements int) error {
	for i, v := range h.Input {
		if v < 0 || v > maxInputSide {
			return fmt.Errorf("input size %v: entry %d must be 0 to %d", h.Input, i, maxInputSide)
		}
	}
	nodes := 0
	cost, err := validateSpec(h.Net, "net", 0, &nodes)
	if err != nil {
		return err
	}
	if cost > float64(elements)+specSlack {
		return fmt.Errorf("the architecture needs about %.0f values but the file holds %d; the header does not describe these weights", cost, elements)
	}
	return nil
}

// validateSpec checks s and its children and returns specCost summed over
// them.
func validateSpec(s Spec, path string, depth int, nodes *int) (float64, error) {
	if depth > maxSpecDepth {
		return 0, fmt.Errorf("%s: layers nest more than %d deep", path, maxSpecDepth)
	}
	if *nodes++; *nodes > maxSpecNodes {
		return 0, fmt.Errorf("more than %d layers", maxSpecNodes)
	}
	if _, ok := builders[s.Type]; !ok {
		return 0, fmt.Errorf("%s: %w %q; the file was probably written by a newer Oneshot, update Oneshot", path, errUnknownLayer, s.Type)
	}
	for _, f := range []struct {
		name string
		v    int
		max  int
	}{{"in", s.In, maxSpecSize}, {"out", s.Out, maxSpecSize}, {"groups", s.Groups, maxSpecSize},
		{"kernel", s.Kernel, maxSpecSmall}, {"stride", s.Stride, maxSpecSmall}, {"pad", s.Pad, maxSpecSmall}} {
		if f.v < 0 || f.v > f.max {
			return 0, fmt.Errorf("%s (%s): %s is %d, want 0 to %d", path, s.Type, f.name, f.v, f.max)
		}
	}
	for _, f := range []struct {
		name string
		v    float32
	}{{"eps", s.Eps}, {"momentum", s.Momentum}} {
		if math.IsNaN(float64(f.v)) || math.IsInf(float64(f.v), 0) {
			return 0, fmt.Errorf("%s (%s): %s is %g, want a finite number", path, s.Type, f.name, f.v)
		}
	}
	cost := specCost(s)
	for i, c := range s.Body {
		k, err := validateSpec(c, fmt.Sprintf("%s.body[%d]", path, i), depth+1, nodes)
		if err != nil {
			return 0, err
		}
		cost += k
	}
	for i, c := range s.Shortcut {
		k, err := validateSpec(c, fmt.Sprintf("%s.shortcut[%d]", path, i), depth+1, nodes)
		if err != nil {
			return 0, err
		}
		cost += k
	}
	return cost, nil
}

// specCost estimates the number of parameter values a layer's Spec asks
// for, not counting its children: in/groups × out × kernel², each factor at
// least 1. That is exactly a convolution's filter bank and a dense layer's
// weight matrix, and per-channel layers (batch norm, PReLU, affine) need a
// small multiple of it.
func specCost(s Spec) float64 {
	in := s.In
	if s.Groups > 1 {
		in /= s.Groups
	}
	return float64(max(in, 1)) * float64(max(s.Out, 1)) * float64(max(s.Kernel, 1)) * float64(max(s.Kernel, 1))
}
