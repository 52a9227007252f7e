package nn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"
)

// A model rounded to half precision saves as version 2 in about half the
// bytes, loads back bit for bit with Half set, computes what it computed
// before saving, and saves again to the same bytes.
func TestSaveHalfRoundTrip(t *testing.T) {
	m := realModel(t)
	full := saveBytes(t, m)
	x := randTensor(rand.New(rand.NewPCG(4, 4)), 2, 8, 8, 3)
	before := outputs(t, m, x)

	worst := m.RoundToHalf()
	if !(worst > 0 && worst <= 1.0/2048) {
		t.Fatalf("RoundToHalf's largest relative change %g, want in (0, 2⁻¹¹]", worst)
	}
	for _, p := range m.Params() {
		for _, v := range p.Value.Float32s() {
			if !halfExact(v) {
				t.Fatalf("%s holds %g after RoundToHalf, not a half value", p.Name, v)
			}
		}
	}
	half := saveBytes(t, m)
	if v := binary.LittleEndian.Uint32(half[8:]); v != 2 {
		t.Fatalf("a Half model saves as version %d, want 2", v)
	}
	values, tensors := 0, len(m.Params())
	for _, p := range m.Params() {
		values += p.Value.Shape().TotalSize()
	}
	if saved, want := len(full)-len(half), 2*values-4*tensors; saved != want {
		t.Fatalf("half file %d bytes, float32 file %d: saved %d, want 2 bytes for each of the %d values less a type word for each of the %d tensors (%d)",
			len(half), len(full), saved, values, tensors, want)
	}
	got, err := Load(bytes.NewReader(half))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Half {
		t.Fatal("a version-2 file loads without Half")
	}
	sameModel(t, m, got)
	if again := saveBytes(t, got); !bytes.Equal(again, half) {
		t.Fatal("re-saving a loaded half model changed the file")
	}
	closeOutputs(t, outputs(t, got, x), before, 0.02, "in half precision")
	c, err := got.Clone()
	if err != nil {
		t.Fatal(err)
	}
	if !c.Half {
		t.Fatal("Clone dropped Half")
	}
}

// Save never changes a value: with Half, a tensor that is not all half
// values (one out of range, or trained since RoundToHalf) is stored in
// float32, and a model without Half still writes version 1.
func TestSaveHalfKeepsOtherValues(t *testing.T) {
	m := testModel(3)
	m.RoundToHalf()
	ps := m.Params()
	ps[0].Value.Float32s()[0] = 1e6    // beyond half precision's range
	ps[1].Value.Float32s()[0] = 0.1001 // between half values
	data := saveBytes(t, m)
	got, err := Load(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	sameModel(t, m, got)

	m.Half = false
	if v := binary.LittleEndian.Uint32(saveBytes(t, m)[8:]); v != 1 {
		t.Fatalf("a model without Half saves as version %d, want 1", v)
	}
}

// A version-2 tensor with a value type other than 0 or 1 is damage, and a
// half file cut short anywhere is truncated.
func TestLoadHalfRefusesDamage(t *testing.T) {
	m := testModel(1)
	m.RoundToHalf()
	data := saveBytes(t, m)
	for n := range len(data) {
		if _, err := Load(bytes.NewReader(data[:n])); !errors.Is(err, ErrTruncated) {
			t.Fatalf("%d of %d bytes: %v, want ErrTruncated", n, len(data), err)
		}
	}
	// The first tensor's type word follows magic, version, header, count,
	// name length, name, rank and dims.
	le := binary.LittleEndian
	hlen := int(le.Uint32(data[12:]))
	off := 16 + hlen + 4
	nlen := int(le.Uint32(data[off:]))
	off += 4 + nlen
	rank := int(le.Uint32(data[off:]))
	off += 4 + 4*rank
	if typ := le.Uint32(data[off:]); typ != typeHalf {
		t.Fatalf("found type word %d at %d, want 1 (the test's offsets are wrong)", typ, off)
	}
	body := append([]byte(nil), data[:len(data)-4]...)
	le.PutUint32(body[off:], 7)
	if _, err := Load(bytes.NewReader(withCRC(body))); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("value type 7: %v, want ErrCorrupt", err)
	}
}
