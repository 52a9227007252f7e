package nn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// A model rounded to 8 bits per output channel saves as version 3 with one
// byte for each weight of rank 2 or more (plus a scale per channel), loads
// back bit for bit with Int8 set, computes close to what it computed
// before, and saves again to the same bytes.
func TestSaveInt8RoundTrip(t *testing.T) {
	m := realModel(t)
	m.RoundToHalf()
	half := saveBytes(t, m)
	x := randTensor(rand.New(rand.NewPCG(4, 4)), 2, 8, 8, 3)
	before := outputs(t, m, x)

	worst := m.RoundToInt8()
	if !(worst > 1.0/2048 && worst <= 1.0/254+1e-7) {
		t.Fatalf("RoundToInt8's largest relative change %g, want in (2⁻¹¹, 1/254]", worst)
	}
	small := saveBytes(t, m)
	if v := binary.LittleEndian.Uint32(small[8:]); v != 3 {
		t.Fatalf("an Int8 model saves as version %d, want 3", v)
	}
	// Each 8-bit tensor saves a byte a value on half precision, less its
	// channels' scales.
	want := 0
	for _, p := range m.Params() {
		if s := p.Value.Shape(); int8Eligible(p) {
			want += s.TotalSize() - 4*s[len(s)-1]
		}
	}
	if saved := len(half) - len(small); want <= 0 || saved != want {
		t.Fatalf("8-bit file %d bytes, half file %d: saved %d, want %d", len(small), len(half), saved, want)
	}
	got, err := Load(bytes.NewReader(small))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Int8 || !got.Half {
		t.Fatalf("a version-3 file loads with Int8 %v, Half %v; want both", got.Int8, got.Half)
	}
	sameModel(t, m, got)
	if again := saveBytes(t, got); !bytes.Equal(again, small) {
		t.Fatal("re-saving a loaded 8-bit model changed the file")
	}
	if m.RoundToInt8() != 0 {
		t.Fatal("rounding an 8-bit model again changed it")
	}
	closeOutputs(t, outputs(t, got, x), before, 0.05, "in 8 bits")
	if c, err := got.Clone(); err != nil || !c.Int8 {
		t.Fatalf("Clone: Int8 %v, %v", c != nil && c.Int8, err)
	}
}

// Each output channel keeps its own scale: a channel of small weights is
// rounded on its own fine grid, not on the grid of the tensor's largest.
func TestRoundToInt8PerChannel(t *testing.T) {
	m := realModel(t)
	var w *Param
	for _, p := range m.Params() {
		if int8Eligible(p) {
			w = p
			break
		}
	}
	if w == nil {
		t.Fatal("the test model has no weight of rank 2 or more")
	}
	s := w.Value.Shape()
	ch := s[len(s)-1]
	if ch < 2 {
		t.Fatalf("%s has %d output channels, the test needs 2", w.Name, ch)
	}
	v := w.Value.Float32s()
	for i := range v {
		if i%ch == 0 {
			v[i] = 1000 * float32(i%7+1) // channel 0: large
		} else {
			v[i] = 0.001 * float32(i%5+1) / 5 // the others: small, 0.0002…0.001
		}
	}
	orig := append([]float32(nil), v...)
	m.RoundToInt8()
	for i := range v {
		peak := 0.001
		if i%ch == 0 {
			peak = 7000
		}
		if d := math.Abs(float64(v[i] - orig[i])); d > peak/254*1.0001 {
			t.Fatalf("value %d moved by %g, more than its channel's peak/254 = %g", i, d, peak/254)
		}
	}
}

// Damage in 8-bit tensors is refused: the value type in a version-2 file,
// on a tensor of rank 1, a channel scale that is negative or not a number;
// and an 8-bit file cut short anywhere is truncated.
func TestLoadInt8RefusesDamage(t *testing.T) {
	m := realModel(t)
	m.RoundToInt8()
	data := saveBytes(t, m)
	for n := 0; n < len(data); n += 7 {
		if _, err := Load(bytes.NewReader(data[:n])); !errors.Is(err, ErrTruncated) {
			t.Fatalf("%d of %d bytes: %v, want ErrTruncated", n, len(data), err)
		}
	}
	le := binary.LittleEndian
	// Find each tensor's type word: after magic, version, header, count,
	// then name length, name, rank, dims; note the first 8-bit one.
	hlen := int(le.Uint32(data[12:]))
	off := 16 + hlen + 4
	typeAt, scaleAt, rank1At := -1, -1, -1
	for _, p := range m.Params() {
		nlen := int(le.Uint32(data[off:]))
		off += 4 + nlen
		rank := int(le.Uint32(data[off:]))
		off += 4 + 4*rank
		typ := le.Uint32(data[off:])
		s := p.Value.Shape()
		switch {
		case typ == typeInt8 && typeAt < 0:
			typeAt, scaleAt = off, off+4
		case rank == 1 && rank1At < 0:
			rank1At = off
		}
		off += 4
		switch typ {
		case typeInt8:
			off += 4*s[len(s)-1] + s.TotalSize()
		case typeHalf:
			off += 2 * s.TotalSize()
		default:
			off += 4 * s.TotalSize()
		}
	}
	if typeAt < 0 || rank1At < 0 {
		t.Fatalf("no 8-bit tensor (%d) or no tensor of rank 1 (%d) in the test model", typeAt, rank1At)
	}
	damaged := func(name string, change func(body []byte)) {
		t.Helper()
		body := append([]byte(nil), data[:len(data)-4]...)
		change(body)
		if _, err := Load(bytes.NewReader(withCRC(body))); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
	damaged("an 8-bit tensor in a version-2 file", func(b []byte) { le.PutUint32(b[8:], 2) })
	damaged("a tensor of rank 1 in 8 bits", func(b []byte) { le.PutUint32(b[rank1At:], typeInt8) })
	damaged("a negative channel scale", func(b []byte) { le.PutUint32(b[scaleAt:], math.Float32bits(-1)) })
	damaged("a channel scale that is not a number", func(b []byte) { le.PutUint32(b[scaleAt:], math.Float32bits(float32(math.NaN()))) })
}
