package teacher

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path"
	"strings"
)

// Opener opens one weight shard named by a manifest's "paths" entry
// (relative to the manifest's folder).
type Opener func(name string) (io.ReadCloser, error)

// FSOpener opens shards from fsys, e.g. os.DirFS(modelDir).
func FSOpener(fsys fs.FS) Opener {
	return func(name string) (io.ReadCloser, error) {
		clean := path.Clean(strings.TrimPrefix(name, "./"))
		if !fs.ValidPath(clean) {
			return nil, fmt.Errorf("teacher: manifest names shard %q outside the model folder", name)
		}
		return fsys.Open(clean)
	}
}

// Weight is one dequantised tensor of a TensorFlow.js weights file.
type Weight struct {
	Shape []int
	Data  []float32
}

// Weights maps a TensorFlow.js weight name ("conv32_1/conv1/conv/filters")
// to its values.
type Weights map[string]Weight

// limits against hostile or corrupt manifests: no tensor of the teacher is
// anywhere near these.
const (
	maxElements   = 1 << 26 // per tensor
	maxGroupBytes = 1 << 30 // per group of shards
)

// manifest is the TensorFlow.js weights manifest: a list of groups, each a
// list of shard files whose concatenation holds the group's weights in order.
type manifest []struct {
	Paths   []string `json:"paths"`
	Weights []struct {
		Name         string `json:"name"`
		Shape        []int  `json:"shape"`
		Dtype        string `json:"dtype"`
		Quantization *struct {
			Dtype string   `json:"dtype"`
			Scale *float64 `json:"scale"`
			Min   *float64 `json:"min"`
		} `json:"quantization"`
	} `json:"weights"`
}

// ReadWeights parses a TensorFlow.js weights manifest (JSON) and reads the
// shards it names through open, dequantising every tensor to float32.
//
// Supported encodings are the ones tfjs-converter writes for float32
// weights: plain float32, uint8 or uint16 affine quantisation
// (value = q·scale + min, computed in float64 and rounded to float32 as
// TensorFlow.js does) and float16.
func ReadWeights(manifestJSON io.Reader, open Opener) (Weights, error) {
	if manifestJSON == nil || open == nil {
		return nil, errors.New("teacher: ReadWeights needs a manifest reader and a shard opener")
	}
	var m manifest
	dec := json.NewDecoder(manifestJSON)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("teacher: weights manifest is not valid JSON (want the *-weights_manifest.json of a TensorFlow.js model): %w", err)
	}
	if len(m) == 0 {
		return nil, errors.New("teacher: weights manifest lists no weight groups")
	}
	out := Weights{}
	seen := map[string]bool{}
	for gi, g := range m {
		if len(g.Paths) == 0 {
			return nil, fmt.Errorf("teacher: weights manifest group %d names no shard files", gi)
		}
		// size of every weight, checked before any file is read
		type entry struct {
			name  string
			shape []int
			n     int
			enc   string // float32, uint8, uint16, float16
			scale float64
			min   float64
		}
		var entries []entry
		total := 0
		for wi, w := range g.Weights {
			if w.Name == "" {
				return nil, fmt.Errorf("teacher: weights manifest group %d entry %d has no name", gi, wi)
			}
			if seen[w.Name] {
				return nil, fmt.Errorf("teacher: weights manifest lists %q twice", w.Name)
			}
			seen[w.Name] = true
			n := 1
			for _, s := range w.Shape {
				if s <= 0 || n > maxElements/s {
					return nil, fmt.Errorf("teacher: weight %q has shape %v (non-positive or over %d elements)", w.Name, w.Shape, maxElements)
				}
				n *= s
			}
			if w.Dtype != "float32" {
				return nil, fmt.Errorf("teacher: weight %q has dtype %q; only float32 weights are supported", w.Name, w.Dtype)
			}
			e := entry{name: w.Name, shape: append([]int(nil), w.Shape...), n: n, enc: "float32"}
			if q := w.Quantization; q != nil {
				switch q.Dtype {
				case "uint8", "uint16":
					if q.Scale == nil || q.Min == nil {
						return nil, fmt.Errorf("teacher: weight %q is %s-quantised but has no scale and min", w.Name, q.Dtype)
					}
					e.scale, e.min = *q.Scale, *q.Min
				case "float16":
				default:
					return nil, fmt.Errorf("teacher: weight %q has quantisation dtype %q; supported are uint8, uint16 and float16", w.Name, q.Dtype)
				}
				e.enc = q.Dtype
			}
			size := n * bytesPer(e.enc)
			if total > maxGroupBytes-size {
				return nil, fmt.Errorf("teacher: weights manifest group %d describes over %d bytes", gi, maxGroupBytes)
			}
			total += size
			entries = append(entries, e)
		}

		buf, err := readShards(g.Paths, open, total)
		if err != nil {
			return nil, err
		}
		off := 0
		for _, e := range entries {
			size := e.n * bytesPer(e.enc)
			out[e.name] = Weight{Shape: e.shape, Data: decode(buf[off:off+size], e.n, e.enc, e.scale, e.min)}
			off += size
		}
	}
	return out, nil
}

// readShards reads and concatenates the shard files of one group, which
// must hold exactly want bytes.
func readShards(paths []string, open Opener, want int) ([]byte, error) {
	buf := make([]byte, 0, want)
	for _, p := range paths {
		rc, err := open(p)
		if err != nil {
			return nil, fmt.Errorf("teacher: opening weight shard %q: %w", p, err)
		}
		// read at most one byte more than the manifest describes in all
		b, err := io.ReadAll(io.LimitReader(rc, int64(want-len(buf)+1)))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("teacher: reading weight shard %q: %w", p, err)
		}
		buf = append(buf, b...)
		if len(buf) > want {
			return nil, fmt.Errorf("teacher: weight shards %v hold more than the %d bytes their manifest describes (manifest and .bin from different models?)", paths, want)
		}
	}
	if len(buf) != want {
		return nil, fmt.Errorf("teacher: weight shards %v hold %d bytes, their manifest describes %d (truncated download?)", paths, len(buf), want)
	}
	return buf, nil
}

func bytesPer(enc string) int {
	switch enc {
	case "uint8":
		return 1
	case "uint16", "float16":
		return 2
	}
	return 4
}

// decode turns n little-endian values of encoding enc into float32.
func decode(b []byte, n int, enc string, scale, min float64) []float32 {
	out := make([]float32, n)
	switch enc {
	case "uint8":
		for i := range out {
			out[i] = float32(float64(b[i])*scale + min)
		}
	case "uint16":
		for i := range out {
			out[i] = float32(float64(binary.LittleEndian.Uint16(b[2*i:]))*scale + min)
		}
	case "float16":
		for i := range out {
			out[i] = halfToFloat(binary.LittleEndian.Uint16(b[2*i:]))
		}
	default:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	}
	return out
}

// halfToFloat converts an IEEE 754 binary16 value to float32.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: frac · 2^-24
		v := float32(frac) / (1 << 24)
		if sign != 0 {
			v = -v
		}
		return v
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}
