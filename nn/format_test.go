package nn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

func saveBytes(t testing.TB, m *Model) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Save(&b, m); err != nil {
		t.Fatalf("Save: %v", err)
	}
	return b.Bytes()
}

// outputs is a copy of m's inference output for x.
func outputs(t testing.TB, m *Model, x *tensor.Dense) []float32 {
	t.Helper()
	y, err := m.Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), y.Float32s()...)
}

// closeOutputs fails when an output moved by more than tol from before,
// naming what the outputs were computed with (e.g. "in 8 bits").
func closeOutputs(t testing.TB, got, before []float32, tol float64, what string) {
	t.Helper()
	for i, v := range got {
		if math.Abs(float64(v-before[i])) > tol {
			t.Fatalf("output %d is %g %s, %g before: the rounding moved it by more than %g", i, v, what, before[i], tol)
		}
	}
}

// sameModel fails unless a and b have the same Input, Meta and parameters
// (names, shapes, values bit for bit, buffers included).
func sameModel(t testing.TB, a, b *Model) {
	t.Helper()
	if a.Input != b.Input {
		t.Fatalf("Input %v, want %v", b.Input, a.Input)
	}
	if len(a.Meta) != len(b.Meta) {
		t.Fatalf("Meta %v, want %v", b.Meta, a.Meta)
	}
	for k, v := range a.Meta {
		if b.Meta[k] != v {
			t.Fatalf("Meta %v, want %v", b.Meta, a.Meta)
		}
	}
	pa, pb := a.Params(), b.Params()
	if len(pa) != len(pb) {
		t.Fatalf("%d params, want %d", len(pb), len(pa))
	}
	for i := range pa {
		if pa[i].Name != pb[i].Name || pa[i].Buffer != pb[i].Buffer || !sameShape(pa[i].Value.Shape(), pb[i].Value.Shape()) {
			t.Fatalf("param %d: %s %v buffer=%v, want %s %v buffer=%v", i, pb[i].Name, pb[i].Value.Shape(), pb[i].Buffer, pa[i].Name, pa[i].Value.Shape(), pa[i].Buffer)
		}
		va, vb := pa[i].Value.Float32s(), pb[i].Value.Float32s()
		for j := range va {
			if math.Float32bits(va[j]) != math.Float32bits(vb[j]) {
				t.Fatalf("%s[%d] = %g, want %g", pa[i].Name, j, vb[j], va[j])
			}
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	m := testModel(7)
	m.Meta["trained_by"] = "format_test ✓"
	// Buffers are saved too.
	m.Param("block.b.calls").Value.Float32s()[0] = 17
	data := saveBytes(t, m)
	if !bytes.HasPrefix(data, []byte("ONESHOT\x00\x01\x00\x00\x00")) {
		t.Fatalf("file starts %q", data[:12])
	}
	got, err := Load(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	sameModel(t, m, got)
	x := randTensor(rand.New(rand.NewPCG(1, 2)), 3, 2, 2, 3)
	y1, _ := m.Forward(x, false)
	y2, err := got.Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	if !identicalF32(y1.Float32s(), y2.Float32s()) {
		t.Fatal("loaded model computes something else")
	}
	// Saving the loaded model gives the same bytes.
	if again := saveBytes(t, got); !bytes.Equal(again, data) {
		t.Fatal("re-saving a loaded model changed the file")
	}
}

// realSpec is an embedder-like network of every layer type in the package,
// built through Build so the test needs only the registered type names.
func realSpec() Spec {
	return Spec{Type: "sequential", Body: []Spec{
		{Type: "conv2d", Name: "conv1", In: 3, Out: 8, Kernel: 3, Stride: 1, Pad: 1, Bias: true},
		{Type: "batchnorm", Name: "bn1", In: 8},
		{Type: "prelu", Name: "act1", In: 8},
		{Type: "maxpool", Name: "pool1", Kernel: 2, Stride: 2},
		{Type: "residual", Name: "res", Body: []Spec{
			{Type: "conv2d", Name: "dw", In: 8, Out: 8, Kernel: 3, Stride: 1, Pad: 1, Groups: 8},
			{Type: "affine", Name: "aff", In: 8},
			{Type: "relu"},
			{Type: "conv2d", Name: "pw", In: 8, Out: 16, Kernel: 1, Stride: 1},
		}, Shortcut: []Spec{{Type: "conv2d", Name: "proj", In: 8, Out: 16, Kernel: 1, Stride: 1}}},
		{Type: "avgpool", Name: "pool2", Kernel: 2, Stride: 2},
		{Type: "globalavgpool", Name: "gap"},
		{Type: "flatten", Name: "flat"},
		{Type: "dense", Name: "fc", In: 16, Out: 4, Bias: true},
		{Type: "l2normalize", Name: "l2"},
	}}
}

func realModel(t testing.TB) *Model {
	t.Helper()
	for _, typ := range []string{"conv2d", "batchnorm", "prelu", "maxpool", "residual", "affine", "avgpool", "globalavgpool", "flatten", "dense", "l2normalize"} {
		if _, ok := builders[typ]; !ok {
			t.Skipf("layer type %s is not registered yet", typ)
		}
	}
	net, err := Build(realSpec())
	if err != nil {
		t.Fatal(err)
	}
	m := NewModel(net, 8, 8, 3)
	m.Meta["threshold"] = "0.6"
	rng := rand.New(rand.NewPCG(3, 5))
	for _, p := range m.Params() {
		for i := range p.Value.Float32s() {
			p.Value.Float32s()[i] = float32(rng.Float64()*2 - 1)
		}
	}
	// A few training batches give batch norm real running statistics.
	for range 3 {
		if _, err := m.Forward(randTensor(rng, 4, 8, 8, 3), true); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func TestSaveLoadRoundTripAllLayers(t *testing.T) {
	m := realModel(t)
	if rv := m.Param("bn1.running_var"); rv == nil || !rv.Buffer || rv.Value.Float32s()[0] == 1 {
		t.Fatalf("batch norm running variance missing or untouched: %+v", rv)
	}
	data := saveBytes(t, m)
	got, err := Load(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	sameModel(t, m, got)
	x := randTensor(rand.New(rand.NewPCG(9, 9)), 2, 8, 8, 3)
	y1, err := m.Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]float32(nil), y1.Float32s()...)
	y2, err := got.Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	if !identicalF32(want, y2.Float32s()) {
		t.Fatalf("loaded model computes %v, want %v", y2.Float32s(), want)
	}
	if again := saveBytes(t, got); !bytes.Equal(again, data) {
		t.Fatal("re-saving a loaded model changed the file")
	}
	c, err := m.Clone()
	if err != nil {
		t.Fatal(err)
	}
	sameModel(t, m, c)
}

func TestLoadTruncatedAtEveryOffset(t *testing.T) {
	data := saveBytes(t, testModel(1))
	for n := range len(data) {
		m, err := Load(bytes.NewReader(data[:n]))
		if err == nil || m != nil {
			t.Fatalf("%d of %d bytes: model %v, err %v", n, len(data), m, err)
		}
		if !errors.Is(err, ErrTruncated) {
			t.Fatalf("%d of %d bytes: %v, want ErrTruncated", n, len(data), err)
		}
	}
	_, err := Load(bytes.NewReader(data[:100]))
	if msg := err.Error(); !strings.Contains(msg, "truncated") || !strings.Contains(msg, "fetch the file again") {
		t.Fatalf("message %q", msg)
	}
}

func TestLoadFlippedBit(t *testing.T) {
	data := saveBytes(t, testModel(1))
	bad := make([]byte, len(data))
	for i := range data {
		for bit := range 8 {
			copy(bad, data)
			bad[i] ^= 1 << bit
			_, err := Load(bytes.NewReader(bad))
			if err == nil {
				t.Fatalf("bit %d of byte %d flipped: no error", bit, i)
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("byte %d: %T %v, want a *FormatError", i, err, err)
			}
			// A version flipped to another version this build reads
			// (1 to 3) makes the rest of the file misread: damage.
			otherVersion := i >= 8 && i < 12 && func() bool {
				v := binary.LittleEndian.Uint32(bad[8:])
				return v >= 1 && v <= FormatVersion
			}()
			switch {
			case i < 8 && fe.Kind != ErrNotModel,
				i >= 8 && i < 12 && fe.Kind != ErrVersion && !(otherVersion && fe.Kind == ErrCorrupt),
				i >= 12 && fe.Kind != ErrCorrupt && fe.Kind != ErrTruncated:
				t.Fatalf("byte %d bit %d: %v (kind %v)", i, bit, err, fe.Kind)
			}
		}
	}
	// A flipped value byte is caught by the checksum, with its own message.
	copy(bad, data)
	bad[len(bad)-6] ^= 0x40 // in the last value
	_, err := Load(bytes.NewReader(bad))
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "model file is corrupted (checksum mismatch") {
		t.Fatalf("flipped value: %v", err)
	}
}

func TestLoadWrongMagic(t *testing.T) {
	for _, in := range []string{"GIF89a\x01\x00\x01\x00", "{\"weightsManifest\": []}", "oneshot\x00\x01\x00\x00\x00", "X"} {
		_, err := Load(strings.NewReader(in))
		if !errors.Is(err, ErrNotModel) || !strings.Contains(err.Error(), "nn: not an Oneshot model file (magic") {
			t.Errorf("%q: %v", in, err)
		}
	}
	_, err := Load(strings.NewReader(""))
	if !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty: %v", err)
	}
}

// withCRC returns body followed by its CRC-32, making a file whose checksum
// is right whatever body holds.
func withCRC(body []byte) []byte {
	return binary.LittleEndian.AppendUint32(append([]byte(nil), body...), crc32.ChecksumIEEE(body))
}

// rawTensor is one tensor of a hand-made file.
type rawTensor struct {
	name string
	dims []uint32
	n    int // values written; -1 for the product of dims
}

// rawFile writes a model file by hand, with a correct checksum.
func rawFile(version uint32, header string, tensors ...rawTensor) []byte {
	le := binary.LittleEndian
	b := []byte(formatMagic)
	b = le.AppendUint32(b, version)
	b = le.AppendUint32(b, uint32(len(header)))
	b = append(b, header...)
	b = le.AppendUint32(b, uint32(len(tensors)))
	for _, t := range tensors {
		b = le.AppendUint32(b, uint32(len(t.name)))
		b = append(b, t.name...)
		b = le.AppendUint32(b, uint32(len(t.dims)))
		n := 1
		for _, d := range t.dims {
			b = le.AppendUint32(b, d)
			n *= int(d)
		}
		if t.n >= 0 {
			n = t.n
		}
		for i := range n {
			b = le.AppendUint32(b, math.Float32bits(float32(i)))
		}
	}
	return withCRC(b)
}

func TestLoadVersion(t *testing.T) {
	data := saveBytes(t, testModel(1))
	body := append([]byte(nil), data[:len(data)-4]...)
	binary.LittleEndian.PutUint32(body[8:], 4)
	_, err := Load(bytes.NewReader(withCRC(body)))
	if !errors.Is(err, ErrVersion) || err.Error() != "nn: model file is version 4, this build reads versions 1 to 3; update Oneshot" {
		t.Fatalf("version 4: %v", err)
	}
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Offset != 8 {
		t.Fatalf("FormatError %+v", fe)
	}
	// Versions no Oneshot will reach are damage, not a newer file.
	for _, v := range []uint32{0, 0x30303030} {
		binary.LittleEndian.PutUint32(body[8:], v)
		if _, err := Load(bytes.NewReader(withCRC(body))); !errors.Is(err, ErrVersion) || !strings.Contains(err.Error(), "damaged") {
			t.Fatalf("version %d: %v", v, err)
		}
	}
}

func TestLoadRefusesBadContents(t *testing.T) {
	const scale3 = `{"input":[1,1,3],"net":{"type":"sequential","body":[{"type":"test_scale","name":"s","in":3}]}}`
	w3 := rawTensor{"s.weight", []uint32{3}, -1}
	b3 := rawTensor{"s.bias", []uint32{3}, -1}
	c1 := rawTensor{"s.calls", []uint32{1}, -1}
	if _, err := Load(bytes.NewReader(rawFile(1, scale3, w3, b3, c1))); err != nil {
		t.Fatalf("the well-formed hand-made file: %v", err)
	}
	for _, tc := range []struct {
		name string
		file []byte
		kind error
		want string
	}{
		{"shape", rawFile(1, scale3, rawTensor{"s.weight", []uint32{1, 3}, -1}, b3, c1), ErrArchitecture,
			"nn: tensor s.weight has shape [1 3], the architecture wants [3]"},
		{"missing", rawFile(1, scale3, w3, c1), ErrArchitecture, "no tensor for parameter s.bias"},
		{"unknown", rawFile(1, scale3, w3, b3, c1, rawTensor{"s.extra", []uint32{1}, -1}), ErrArchitecture, "tensor s.extra that its architecture has no parameter for"},
		{"duplicate", rawFile(1, scale3, w3, w3, b3, c1), ErrCorrupt, "two tensors named"},
		{"layer type", rawFile(1, `{"input":[1,1,3],"net":{"type":"conv3d","in":3}}`), ErrVersion, `unknown layer type "conv3d"; the file was probably written by a newer Oneshot, update Oneshot`},
		{"field", rawFile(1, `{"input":[1,1,3],"net":{"type":"relu","dilation":2}}`), ErrVersion, `unknown field "dilation"`},
		{"json", rawFile(1, `{"input":[1,1,3],`), ErrCorrupt, "bad JSON header"},
		{"json tail", rawFile(1, `{"net":{"type":"relu"}} {}`), ErrCorrupt, "extra data after the JSON header"},
		{"build", rawFile(1, `{"net":{"type":"test_scale"}}`), ErrArchitecture, "cannot be built"},
		{"negative", rawFile(1, `{"net":{"type":"test_scale","in":-3}}`), ErrArchitecture, "in is -3"},
		{"input", rawFile(1, `{"input":[1,-1,3],"net":{"type":"relu"}}`), ErrArchitecture, "input size"},
		// A few bytes of header must not make Build allocate a 4 GB layer.
		{"huge layer", rawFile(1, `{"net":{"type":"conv2d","in":65536,"out":65536,"kernel":1}}`), ErrArchitecture, "needs about 4294967296 values but the file holds 0"},
		{"deep", rawFile(1, `{"net":`+strings.Repeat(`{"type":"sequential","body":[`, 70)+`{"type":"relu"}`+strings.Repeat(`]}`, 70)+`}`), ErrArchitecture, "nest more than"},
		{"rank", rawFile(1, scale3, rawTensor{"s.weight", []uint32{1, 1, 1, 1, 1, 1, 1, 1, 3}, -1}), ErrCorrupt, "rank 9"},
		{"zero dim", rawFile(1, scale3, rawTensor{"s.weight", []uint32{3, 0}, 0}), ErrCorrupt, "dimension of 0"},
		{"elements", rawFile(1, scale3, rawTensor{"s.weight", []uint32{1 << 13, 1 << 13, 2}, 0}), ErrCorrupt, "more than 67108864 values"},
		{"name", rawFile(1, scale3, rawTensor{strings.Repeat("x", 300), []uint32{3}, -1}), ErrCorrupt, "300 bytes long"},
		{"empty name", rawFile(1, scale3, rawTensor{"", []uint32{3}, -1}), ErrCorrupt, "0 bytes long"},
	} {
		_, err := Load(bytes.NewReader(tc.file))
		if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v\nwant kind %v, mentioning %q", tc.name, err, tc.kind, tc.want)
		}
	}

	// Sizes in the fixed fields beyond the limits, checked before reading on.
	le := binary.LittleEndian
	head := slices.Clip(le.AppendUint32([]byte(formatMagic), 1)) // appends copy
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"header length", le.AppendUint32(head, 1<<31), "header length 2147483648"},
		{"zero header", le.AppendUint32(head, 0), "header length 0"},
		{"tensor count", le.AppendUint32(append(le.AppendUint32(head, 2), "{}"...), 1<<30), "1073741824 tensors"},
	} {
		_, err := Load(bytes.NewReader(tc.file))
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrCorrupt mentioning %q", tc.name, err, tc.want)
		}
	}
}

// A file that claims a 60-million-value tensor and then ends must cost
// about what it holds, not 240 MB.
func TestLoadHostileSizesAllocateLittle(t *testing.T) {
	file := rawFile(1, `{"net":{"type":"relu"}}`, rawTensor{"t", []uint32{60 << 20}, 1000})
	file = file[:len(file)-4]
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Load(bytes.NewReader(file))
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("err = %v, want ErrTruncated", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 4<<20 {
		t.Fatalf("Load allocated %d bytes for a %d-byte file", d, len(file))
	}
}

func TestLoadStopsAtChecksum(t *testing.T) {
	a, b := saveBytes(t, testModel(1)), saveBytes(t, testModel(2))
	r := bytes.NewReader(append(append(append([]byte(nil), a...), b...), "tail"...))
	m1, err := Load(r)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Load(r)
	if err != nil {
		t.Fatal(err)
	}
	sameModel(t, testModel(1), m1)
	sameModel(t, testModel(2), m2)
	if rest, _ := io.ReadAll(r); string(rest) != "tail" {
		t.Fatalf("left %q in the stream", rest)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

type failReader struct{}

func (failReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestSaveRefuses(t *testing.T) {
	if err := Save(io.Discard, nil); err == nil {
		t.Error("nil model: no error")
	}
	if err := Save(io.Discard, &Model{}); err == nil {
		t.Error("nil Net: no error")
	}
	dup := NewModel(NewSequential("", newTestScale("s", 2), newTestScale("s", 2)), 1, 1, 2)
	if err := Save(io.Discard, dup); err == nil || !strings.Contains(err.Error(), "two parameters are named s.weight") {
		t.Errorf("duplicate names: %v", err)
	}
	bad := testModel(1)
	bad.Meta["who"] = "\xff"
	if err := Save(io.Discard, bad); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("invalid UTF-8 meta: %v", err)
	}
	if err := Save(failWriter{}, testModel(1)); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("failing writer: %v", err)
	}
	if _, err := Load(failReader{}); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("failing reader: %v", err)
	}
}

// FuzzLoad feeds Load arbitrary bytes. Load must never panic, and whatever
// it accepts must save and load again to the same model. Each input is
// also tried with its last four bytes replaced by the right checksum, so
// the fuzzer gets past the checksum into the header, the architecture and
// the tensors.
func FuzzLoad(f *testing.F) {
	valid := saveBytes(f, testModel(1))
	f.Add(valid)
	half := testModel(2)
	half.RoundToHalf()
	f.Add(saveBytes(f, half))
	f.Add([]byte{})
	f.Add(valid[:len(valid)/2])
	f.Add(valid[:20])
	f.Add(rawFile(1, `{"input":[1,1,3],"net":{"type":"sequential","body":[{"type":"test_scale","name":"s","in":3}]}}`,
		rawTensor{"s.weight", []uint32{3}, -1}, rawTensor{"s.bias", []uint32{3}, -1}, rawTensor{"s.calls", []uint32{1}, -1}))
	f.Add(rawFile(1, `{"input":[2,2,1],"meta":{"a":"b"},"net":{"type":"sequential","body":[{"type":"conv2d","name":"c","in":1,"out":1,"kernel":1},{"type":"batchnorm","name":"bn","in":1},{"type":"residual","body":[{"type":"prelu","in":1}]}]}}`,
		rawTensor{"c.weight", []uint32{1, 1, 1, 1}, -1}, rawTensor{"bn.gamma", []uint32{1}, -1}, rawTensor{"bn.beta", []uint32{1}, -1},
		rawTensor{"bn.running_mean", []uint32{1}, -1}, rawTensor{"bn.running_var", []uint32{1}, -1}, rawTensor{"1.body.0.alpha", []uint32{1}, -1}))
	f.Fuzz(func(t *testing.T, data []byte) {
		inputs := [][]byte{data}
		if len(data) >= 4 {
			inputs = append(inputs, withCRC(data[:len(data)-4]))
		}
		for _, in := range inputs {
			m, err := Load(bytes.NewReader(in))
			if err != nil {
				if m != nil {
					t.Fatalf("Load returned a model and the error %v", err)
				}
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("Load of bytes: %T %v, want a *FormatError", err, err)
				}
				continue
			}
			var b bytes.Buffer
			if err := Save(&b, m); err != nil {
				t.Fatalf("accepted file does not save again: %v", err)
			}
			m2, err := Load(&b)
			if err != nil {
				t.Fatalf("re-saved file does not load: %v", err)
			}
			sameModel(t, m, m2)
		}
	})
}
