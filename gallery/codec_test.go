package gallery

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// file builds gallery files by hand, to pin the format down and to forge
// malformed files with a valid checksum.
type file struct{ b []byte }

func (f *file) u8(v uint8) *file    { f.b = append(f.b, v); return f }
func (f *file) u16(v uint16) *file  { f.b = binary.LittleEndian.AppendUint16(f.b, v); return f }
func (f *file) u32(v uint32) *file  { f.b = binary.LittleEndian.AppendUint32(f.b, v); return f }
func (f *file) u64(v uint64) *file  { f.b = binary.LittleEndian.AppendUint64(f.b, v); return f }
func (f *file) f32(v float32) *file { return f.u32(math.Float32bits(v)) }
func (f *file) raw(s string) *file  { f.b = append(f.b, s...); return f }
func (f *file) vec(v []float32) *file {
	for _, x := range v {
		f.f32(x)
	}
	return f
}

// header starts a version-1 file.
func header(dim uint32, threshold float32, model string, people uint32) *file {
	f := &file{}
	return f.raw(Magic).u16(1).u16(0).u32(dim).f32(threshold).u16(uint16(len(model))).raw(model).u32(people)
}

// person appends a person whose frames have 1×1 crops of grey level 7.
func (f *file) person(id string, enrolled int64, embs ...[]float32) *file {
	f.u8(uint8(len(id))).raw(id).u64(uint64(enrolled)).u8(uint8(len(embs)))
	for _, e := range embs {
		f.u16(1).u16(1).vec(e).raw("\x07\x07\x07\xff")
	}
	return f
}

// done appends the checksum.
func (f *file) done() []byte {
	return binary.LittleEndian.AppendUint32(f.b, crc32.ChecksumIEEE(f.b))
}

func TestFileLayout(t *testing.T) {
	g := newGallery(t, Config{Threshold: 0.75, Model: "m1"})
	c := image.NewRGBA(image.Rect(0, 0, 1, 1))
	copy(c.Pix, "\x07\x07\x07\xff")
	if _, err := g.Enroll("bo", []Capture{{Crop: c, Embedding: []float32{0, 2}}, {Crop: c, Embedding: []float32{1, 0}}}); err != nil {
		t.Fatal(err)
	}
	g.people["bo"].enrolled = 1700000000123
	enroll(t, g, "al", []float32{0, -1})
	g.people["al"].enrolled = -5
	// al was enrolled by enroll, with capt's 4×4 crop marked 1.
	f := header(2, 0.75, "m1", 2)
	f.u8(2).raw("al").u64(uint64(0xFFFFFFFFFFFFFFFB)).u8(1).u16(4).u16(4).vec([]float32{0, -1}).raw(string(crop(4, 4, 1).Pix))
	f.person("bo", 1700000000123, []float32{0, 1}, []float32{1, 0})
	want := f.done()
	got := marshal(t, g)
	if !bytes.Equal(got, want) {
		t.Fatalf("file\n%x\nwant\n%x", got, want)
	}
	if int64(len(got)) != g.encodedSize() {
		t.Errorf("encodedSize %d, file has %d bytes", g.encodedSize(), len(got))
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		g    func(t *testing.T) *Gallery
	}{
		{"empty", func(t *testing.T) *Gallery { return newGallery(t, Config{}) }},
		{"empty with settings", func(t *testing.T) *Gallery {
			return newGallery(t, Config{Threshold: 1.1, Model: Fingerprint(nil), Dim: 128})
		}},
		{"sample", func(t *testing.T) *Gallery { return sample(t) }},
		{"big crops", func(t *testing.T) *Gallery {
			g := newGallery(t, Config{Threshold: 0.9})
			caps := []Capture{
				{Crop: crop(64, 64, 1), Embedding: angle(128, 0.1)},
				{Crop: crop(MaxCropSide, MaxCropSide, 2), Embedding: angle(128, -0.1)},
			}
			if _, err := g.Enroll(strings.Repeat("é", MaxIDBytes/2), caps); err != nil {
				t.Fatal(err)
			}
			return g
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.g(t)
			b := marshal(t, g)
			if !bytes.HasPrefix(b, []byte(Magic)) || int64(len(b)) != g.encodedSize() {
				t.Fatalf("file of %d bytes, encodedSize %d", len(b), g.encodedSize())
			}
			var buf bytes.Buffer
			if n, err := g.WriteTo(&buf); err != nil || n != int64(len(b)) || !bytes.Equal(buf.Bytes(), b) {
				t.Fatalf("WriteTo: %d, %v", n, err)
			}
			h, err := Read(&buf)
			if err != nil {
				t.Fatal(err)
			}
			var z Gallery
			if err := z.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
			for _, g2 := range []*Gallery{h, &z} {
				if b2 := marshal(t, g2); !bytes.Equal(b, b2) {
					t.Fatal("the gallery read back writes different bytes")
				}
				if g2.Threshold() != g.Threshold() || g2.Model() != g.Model() || g2.Dim() != g.Dim() ||
					!slices.Equal(g2.IDs(), g.IDs()) {
					t.Errorf("read back: threshold %v model %q dim %d ids %q", g2.Threshold(), g2.Model(), g2.Dim(), g2.IDs())
				}
				for _, id := range g.IDs() {
					p, _ := g.Person(id)
					q, err := g2.Person(id)
					if err != nil {
						t.Fatal(err)
					}
					if !p.Enrolled.Equal(q.Enrolled) || !slices.Equal(p.Template, q.Template) || p.Spread != q.Spread ||
						len(p.Crops) != len(q.Crops) {
						t.Errorf("%q read back differs", id)
					}
					for i := range p.Crops {
						if !slices.Equal(p.Embeddings[i], q.Embeddings[i]) || !bytes.Equal(p.Crops[i].Pix, q.Crops[i].Pix) ||
							p.Crops[i].Bounds() != q.Crops[i].Bounds() {
							t.Errorf("%q frame %d read back differs", id, i)
						}
					}
				}
			}
		})
	}
}

// refused checks that loading data fails with an error wrapping one of
// wantErrs, through every entry point, and leaves a gallery untouched.
func refused(t *testing.T, what string, data []byte, wantErrs ...error) {
	t.Helper()
	_, err := Unmarshal(data)
	if err == nil {
		t.Fatalf("%s: accepted", what)
	}
	ok := false
	for _, w := range wantErrs {
		ok = ok || errors.Is(err, w)
	}
	if !ok {
		t.Fatalf("%s: error %v wraps none of %v", what, err, wantErrs)
	}
	if _, err2 := Read(bytes.NewReader(data)); err2 == nil || err2.Error() != err.Error() {
		t.Fatalf("%s: Read says %v, Unmarshal %v", what, err2, err)
	}
}

// untouched checks that UnmarshalBinary and Import of data fail and leave g
// as it was.
func untouched(t *testing.T, what string, g *Gallery, data []byte) {
	t.Helper()
	before := marshal(t, g)
	if err := g.UnmarshalBinary(data); err == nil {
		t.Fatalf("%s: UnmarshalBinary accepted", what)
	}
	if err := g.Import(data, newModel); err == nil {
		t.Fatalf("%s: Import accepted", what)
	}
	if !bytes.Equal(before, marshal(t, g)) {
		t.Fatalf("%s: a refused file changed the gallery", what)
	}
}

func TestTruncated(t *testing.T) {
	g := sample(t)
	b := marshal(t, g)
	for n := range len(b) {
		refused(t, "truncated file", b[:n], ErrDamaged)
		if n%7 == 0 {
			untouched(t, "truncated file", g, b[:n])
		}
	}
	_, err := Unmarshal(b[:len(b)/2])
	if err == nil || err.Error() != "gallery file is damaged: its checksum does not match (it was changed or cut short)" {
		t.Errorf("half a file: %v", err)
	}
}

func TestBitFlips(t *testing.T) {
	g := sample(t)
	b := marshal(t, g)
	target := newGallery(t, Config{Threshold: 1})
	enroll(t, target, "keep", basis(4, 1))
	for i := range 8 * len(b) {
		c := bytes.Clone(b)
		c[i/8] ^= 1 << (i % 8)
		refused(t, "bit flip", c, ErrDamaged, ErrNotGallery, ErrVersion)
		if i%5 == 0 {
			untouched(t, "bit flip", target, c)
		}
	}
}

func TestForeignFiles(t *testing.T) {
	good := marshal(t, sample(t))
	v3 := bytes.Clone(good)
	v3[8] = 3
	v0 := bytes.Clone(good)
	v0[8] = 0
	for _, tc := range []struct {
		name string
		data []byte
		want string
		is   error
	}{
		{"nothing", nil, "gallery file is damaged: it is cut short after 0 bytes", ErrDamaged},
		{"half the magic", []byte("OSGA"), "cut short after 4 bytes", ErrDamaged},
		{"a PNG", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), `not a gallery file: it does not start with "OSGALLRY"`, ErrNotGallery},
		{"a model file", []byte("ONESHOTNN\x01\x00"), "not a gallery file", ErrNotGallery},
		{"short text", []byte("hi"), "not a gallery file", ErrNotGallery},
		{"newer version", v3, "gallery file version is not supported: it is version 3, this build reads versions 1 to 2 (it was written by a newer Oneshot)", ErrVersion},
		{"version 0", v0, "it is version 0, this build reads versions 1 to 2", ErrVersion},
		{"header only", []byte(Magic + "\x01\x00"), "cut short after 10 bytes", ErrDamaged},
		{"trailing byte", append(bytes.Clone(good), 0), "checksum does not match", ErrDamaged},
		{"twice", append(bytes.Clone(good), good...), "checksum does not match", ErrDamaged},
	} {
		t.Run(tc.name, func(t *testing.T) {
			refused(t, tc.name, tc.data, tc.is)
			_, err := Unmarshal(tc.data)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
			untouched(t, tc.name, sample(t), tc.data)
		})
	}
}

// TestMalformed forges files with a valid checksum but contents this
// package never writes.
func TestMalformed(t *testing.T) {
	e := []float32{1, 0}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"flags", (&file{}).raw(Magic).u16(1).u16(4).u32(0).f32(0).u16(0).u32(0).done(), "unknown flags 0x4"},
		{"huge dim", header(MaxDim+1, 0, "", 0).done(), "embedding length 4097 is over the 4096 limit"},
		{"NaN threshold", header(2, float32(math.NaN()), "", 0).done(), "default threshold NaN is not"},
		{"threshold 4", header(2, 4, "", 0).done(), "default threshold 4 is not"},
		{"model not UTF-8", header(2, 0, "\xff\xfe", 0).done(), "not valid UTF-8"},
		{"too many people", header(2, 0, "", MaxPeople+1).done(), "it holds 10001 people, the limit is 10000"},
		{"people without a length", header(0, 0, "", 1).person("a", 0, e).done(), "no embedding length"},
		{"fewer people than said", header(2, 0, "", 2).person("a", 0, e).done(), "person 2 of 2: it ends inside the id length"},
		{"more people than said", header(2, 0, "", 1).person("a", 0, e).person("b", 0, e).done(), "unexpected bytes after the last person"},
		{"empty id", header(2, 0, "", 1).person("", 0, e).done(), "person id is empty"},
		{"long id", header(2, 0, "", 1).person(strings.Repeat("x", 129), 0, e).done(), "129 bytes long"},
		{"id not UTF-8", header(2, 0, "", 1).person("a\xff", 0, e).done(), "not valid UTF-8"},
		{"duplicate", header(2, 0, "", 2).person("a", 0, e).person("a", 0, e).done(), `"a" is enrolled twice`},
		{"no frames", header(2, 0, "", 1).person("a", 0).done(), `"a" has 0 frames`},
		{"too many frames", header(2, 0, "", 1).person("a", 0, slices.Repeat([][]float32{e}, 33)...).done(), `"a" has 33 frames`},
		{"not unit", header(2, 0, "", 1).person("a", 0, []float32{2, 0}).done(), `"a", frame 1: embedding has length 2, not 1`},
		{"zero", header(2, 0, "", 1).person("a", 0, []float32{0, 0}).done(), "length 0, not 1"},
		{"NaN value", header(2, 0, "", 1).person("a", 0, []float32{float32(math.NaN()), 0}).done(), "embedding value 0 is NaN"},
		{"cancel out", header(2, 0, "", 1).person("a", 0, e, []float32{-1, 0}).done(), "cancel out"},
		{"zero-width crop", func() []byte {
			f := header(2, 0, "", 1)
			f.u8(1).raw("a").u64(0).u8(1).u16(0).u16(1).vec(e)
			return f.done()
		}(), "crop is 0×1"},
		{"huge crop", func() []byte {
			f := header(2, 0, "", 1)
			f.u8(1).raw("a").u64(0).u8(1).u16(MaxCropSide + 1).u16(1).vec(e)
			return f.done()
		}(), "crop is 257×1"},
		{"crop cut short", func() []byte {
			f := header(2, 0, "", 1)
			f.u8(1).raw("a").u64(0).u8(1).u16(2).u16(2).vec(e).raw("abc")
			return f.done()
		}(), "it ends inside the crop"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			refused(t, tc.name, tc.data, ErrDamaged)
			_, err := Unmarshal(tc.data)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "gallery file is damaged: ") {
				t.Errorf("error %q does not say the file is damaged", err)
			}
		})
	}
	// A forged but well-formed file is read, and its order does not matter.
	g, err := Unmarshal(header(2, 0, "", 2).person("b", 0, e).person("a", 0, []float32{0, 1}).done())
	if err != nil || !slices.Equal(g.IDs(), []string{"a", "b"}) {
		t.Errorf("forged file: %v, %v", g, err)
	}
}

// TestHostileSizes: a small file claiming the largest sizes everywhere
// must be refused without allocating for what it claims.
func TestHostileSizes(t *testing.T) {
	f := header(MaxDim, 0, "", MaxPeople)
	f.u8(1).raw("a").u64(0).u8(MaxFrames).u16(MaxCropSide).u16(MaxCropSide)
	f.raw(strings.Repeat("\x00", 100))
	data := f.done()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for range 10 {
		if _, err := Unmarshal(data); !errors.Is(err, ErrDamaged) {
			t.Fatalf("error %v", err)
		}
	}
	runtime.ReadMemStats(&m1)
	if a := m1.TotalAlloc - m0.TotalAlloc; a > 1<<20 {
		t.Errorf("10 reads of a %d-byte hostile file allocated %d bytes", len(data), a)
	}
}

func TestImport(t *testing.T) {
	saved := marshal(t, sample(t)) // model-a, 4 values, threshold 1

	t.Run("same model", func(t *testing.T) {
		g := newGallery(t, Config{Threshold: 0.5, Model: "model-a", Dim: 4})
		enroll(t, g, "old", basis(4, 0))
		if err := g.Import(saved, nil); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(g.IDs(), []string{"Zoë", "alice", "bob"}) || g.Threshold() != 0.5 || g.Model() != "model-a" {
			t.Errorf("after Import: ids %q threshold %v model %q", g.IDs(), g.Threshold(), g.Model())
		}
	})
	t.Run("no fingerprint takes the file's", func(t *testing.T) {
		g := newGallery(t, Config{Threshold: 0.5})
		if err := g.Import(saved, nil); err != nil || g.Model() != "model-a" || g.Dim() != 4 || g.Len() != 3 {
			t.Errorf("Import: %v, model %q dim %d len %d", err, g.Model(), g.Dim(), g.Len())
		}
	})
	t.Run("other model refused", func(t *testing.T) {
		g := newGallery(t, Config{Threshold: 0.5, Model: "model-b"})
		enroll(t, g, "old", basis(8, 0))
		before := marshal(t, g)
		err := g.Import(saved, nil)
		if !errors.Is(err, ErrOtherModel) {
			t.Fatalf("error %v, want ErrOtherModel", err)
		}
		want := "gallery file was made by another model (model model-a with 4-value embeddings, this gallery's is model model-b with 8-value embeddings): re-embed its faces with this model, or load the model it was made with"
		if err.Error() != want {
			t.Errorf("error %q\nwant  %q", err, want)
		}
		if !bytes.Equal(before, marshal(t, g)) {
			t.Error("a refused import changed the gallery")
		}
	})
	t.Run("other length refused", func(t *testing.T) {
		g := newGallery(t, Config{Model: "model-a", Dim: 8})
		if err := g.Import(saved, nil); !errors.Is(err, ErrOtherModel) {
			t.Errorf("error %v, want ErrOtherModel", err)
		}
	})
	t.Run("other model re-embedded", func(t *testing.T) {
		g := newGallery(t, Config{Threshold: 0.5, Model: "model-b"})
		enroll(t, g, "old", basis(8, 0))
		if err := g.Import(saved, newModel); err != nil {
			t.Fatal(err)
		}
		if g.Model() != "model-b" || g.Dim() != 8 || g.Len() != 3 || g.Threshold() != 0.5 {
			t.Errorf("after Import: model %q dim %d len %d threshold %v", g.Model(), g.Dim(), g.Len(), g.Threshold())
		}
		if v, err := g.Verify("bob", basis(8, 1), 0); err != nil || v.Distance != 0 {
			t.Errorf("Verify after a re-embedding import: %+v %v", v, err)
		}
	})
	t.Run("re-embedding fails", func(t *testing.T) {
		g := newGallery(t, Config{Model: "model-b", Dim: 8})
		enroll(t, g, "old", basis(8, 0))
		before := marshal(t, g)
		err := g.Import(saved, func(*image.RGBA) ([]float32, error) { return basis(4, 0), nil })
		var de *DimensionError
		if !errors.As(err, &de) || de.Want != 8 {
			t.Errorf("error %v, want a DimensionError", err)
		}
		if !bytes.Equal(before, marshal(t, g)) {
			t.Error("a failed import changed the gallery")
		}
	})
	t.Run("UnmarshalBinary replaces everything", func(t *testing.T) {
		g := newGallery(t, Config{Threshold: 0.5, Model: "model-b", Dim: 8})
		if err := g.UnmarshalBinary(saved); err != nil {
			t.Fatal(err)
		}
		if g.Model() != "model-a" || g.Threshold() != 1 || g.Dim() != 4 || g.Len() != 3 {
			t.Errorf("after UnmarshalBinary: model %q threshold %v dim %d len %d", g.Model(), g.Threshold(), g.Dim(), g.Len())
		}
	})
}

func TestFingerprint(t *testing.T) {
	a, b := Fingerprint([]byte("model one")), Fingerprint([]byte("model two"))
	if a == b || !strings.HasPrefix(a, "sha256:") || len(a) != len("sha256:")+64 || len(a) > MaxModelBytes {
		t.Errorf("Fingerprint: %q, %q", a, b)
	}
	if Fingerprint(nil) != "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("Fingerprint(nil) = %s", Fingerprint(nil))
	}
}
