package teacher

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"math"
	"strings"
	"testing"
	"testing/fstest"
)

// shards serves in-memory files as an Opener.
func shards(files map[string][]byte) Opener {
	m := fstest.MapFS{}
	for k, v := range files {
		m[k] = &fstest.MapFile{Data: v}
	}
	return FSOpener(m)
}

func TestReadWeightsEncodings(t *testing.T) {
	manifest := `[
	 {"paths": ["a.bin", "b.bin"], "weights": [
	  {"name": "u8", "shape": [2, 2], "dtype": "float32", "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1}},
	  {"name": "f32", "shape": [2], "dtype": "float32"},
	  {"name": "u16", "shape": [1], "dtype": "float32", "quantization": {"dtype": "uint16", "scale": 0.25, "min": 1}},
	  {"name": "f16", "shape": [3], "dtype": "float32", "quantization": {"dtype": "float16"}}
	 ]},
	 {"paths": ["c.bin"], "weights": [{"name": "g2", "shape": [1], "dtype": "float32"}]}
	]`
	var bin bytes.Buffer
	bin.Write([]byte{0, 1, 2, 255})
	binary.Write(&bin, binary.LittleEndian, []float32{1.5, -2})
	binary.Write(&bin, binary.LittleEndian, []uint16{1000})
	binary.Write(&bin, binary.LittleEndian, []uint16{0x3c00, 0xc000, 0x0001}) // 1, -2, 2^-24
	all := bin.Bytes()
	// the group's bytes are split across two shards mid-tensor, as tfjs does
	files := map[string][]byte{"a.bin": all[:5], "b.bin": all[5:], "c.bin": f32bytes(7)}
	w, err := ReadWeights(strings.NewReader(manifest), shards(files))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]float32{
		"u8":  {-1, -0.5, 0, 126.5},
		"f32": {1.5, -2},
		"u16": {251},
		"f16": {1, -2, float32(math.Ldexp(1, -24))},
		"g2":  {7},
	}
	for name, v := range want {
		got, ok := w[name]
		if !ok {
			t.Errorf("%s missing", name)
			continue
		}
		if len(got.Data) != len(v) {
			t.Errorf("%s: %v, want %v", name, got.Data, v)
			continue
		}
		for i := range v {
			if got.Data[i] != v[i] {
				t.Errorf("%s: %v, want %v", name, got.Data, v)
				break
			}
		}
	}
	if s := w["u8"].Shape; len(s) != 2 || s[0] != 2 || s[1] != 2 {
		t.Errorf("u8 shape %v", s)
	}
}

func f32bytes(v ...float32) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, v)
	return b.Bytes()
}

func TestReadWeightsErrors(t *testing.T) {
	one := `[{"paths": ["a.bin"], "weights": [{"name": "x", "shape": [2], "dtype": "float32"}]}]`
	ok := map[string][]byte{"a.bin": f32bytes(1, 2)}
	for _, tc := range []struct {
		name, manifest string
		files          map[string][]byte
		want           string
	}{
		{"not json", `{"x":`, ok, "not valid JSON"},
		{"object not list", `{"paths": []}`, ok, "not valid JSON"},
		{"empty", `[]`, ok, "no weight groups"},
		{"no paths", `[{"paths": [], "weights": []}]`, ok, "no shard files"},
		{"missing shard", one, map[string][]byte{}, `opening weight shard "a.bin"`},
		{"short shard", one, map[string][]byte{"a.bin": f32bytes(1)}, "hold 4 bytes, their manifest describes 8"},
		{"long shard", one, map[string][]byte{"a.bin": f32bytes(1, 2, 3)}, "more than the 8 bytes"},
		{"escape", `[{"paths": ["../secret"], "weights": []}]`, ok, "outside the model folder"},
		{"bad shape", `[{"paths": ["a.bin"], "weights": [{"name": "x", "shape": [0], "dtype": "float32"}]}]`, ok, "non-positive"},
		{"huge shape", `[{"paths": ["a.bin"], "weights": [{"name": "x", "shape": [100000, 100000], "dtype": "float32"}]}]`, ok, "over"},
		{"int32", `[{"paths": ["a.bin"], "weights": [{"name": "x", "shape": [2], "dtype": "int32"}]}]`, ok, `dtype "int32"`},
		{"quant dtype", `[{"paths": ["a.bin"], "weights": [{"name": "x", "shape": [2], "dtype": "float32", "quantization": {"dtype": "int4"}}]}]`, ok, `"int4"`},
		{"no scale", `[{"paths": ["a.bin"], "weights": [{"name": "x", "shape": [2], "dtype": "float32", "quantization": {"dtype": "uint8"}}]}]`, ok, "no scale and min"},
		{"no name", `[{"paths": ["a.bin"], "weights": [{"shape": [2], "dtype": "float32"}]}]`, ok, "has no name"},
		{"duplicate", `[{"paths": ["a.bin"], "weights": [{"name": "x", "shape": [1], "dtype": "float32"}, {"name": "x", "shape": [1], "dtype": "float32"}]}]`, ok, "twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadWeights(strings.NewReader(tc.manifest), shards(tc.files))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := ReadWeights(nil, nil); err == nil {
		t.Error("nil arguments accepted")
	}
	// a failing reader is reported, not ignored
	bad := func(string) (io.ReadCloser, error) { return io.NopCloser(errReader{}), nil }
	if _, err := ReadWeights(strings.NewReader(one), bad); err == nil || !strings.Contains(err.Error(), "reading weight shard") {
		t.Errorf("read error: %v", err)
	}
	if _, err := ReadWeights(strings.NewReader(one), FSOpener(fstest.MapFS{})); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want it to wrap fs.ErrNotExist", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestHalfToFloat(t *testing.T) {
	for _, tc := range []struct {
		h uint16
		f float32
	}{
		{0x0000, 0}, {0x3c00, 1}, {0xbc00, -1}, {0x3555, 0.333251953125}, {0x7bff, 65504},
		{0x0400, float32(math.Ldexp(1, -14))}, {0x03ff, float32(math.Ldexp(1023, -24))},
	} {
		if got := halfToFloat(tc.h); got != tc.f {
			t.Errorf("halfToFloat(%#04x) = %g, want %g", tc.h, got, tc.f)
		}
	}
	if !math.IsInf(float64(halfToFloat(0x7c00)), 1) || !math.IsNaN(float64(halfToFloat(0x7e00))) {
		t.Error("inf/nan not kept")
	}
	if math.Signbit(float64(halfToFloat(0x8000))) != true {
		t.Error("-0 lost its sign")
	}
}
