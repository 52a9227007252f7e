package gallery

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/oneshotface/oneshot/internal/sha256"
)

// The file format; the package comment lays it out.
const (
	// Magic starts every gallery file.
	Magic = "OSGALLRY"
	// Version is the newest version of the file format: this build reads
	// versions 1 and 2, and writes version 1 unless someone must enroll
	// again (version 2 adds one byte of flags to every person; see the
	// package comment), so that older builds read its other files.
	Version = 2
)

// personAgain is the person flag of version 2 that says the person must
// enroll again: their frames' embeddings are written as zeros and mean
// nothing; the flag's reason follows as a uint16 length and UTF-8 bytes.
const personAgain = 1

// minFileBytes is the size of an empty gallery file with no model
// fingerprint: magic, version, flags, dim, threshold, model length, count
// and checksum.
const minFileBytes = 8 + 2 + 2 + 4 + 4 + 2 + 4 + 4

// Errors that Unmarshal and its relatives wrap; test for them with
// errors.Is.
var (
	// ErrNotGallery: the bytes are not a gallery file at all.
	ErrNotGallery = errors.New("not a gallery file")
	// ErrVersion: a gallery file of a format version this build does
	// not read.
	ErrVersion = errors.New("gallery file version is not supported")
	// ErrDamaged: a gallery file that was cut short, changed after it
	// was written (its checksum does not match) or is malformed.
	ErrDamaged = errors.New("gallery file is damaged")
	// ErrOtherModel: a gallery file made by another model than the
	// gallery it is imported into, and no way to re-embed it.
	ErrOtherModel = errors.New("gallery file was made by another model")
)

// Fingerprint names a model by its file's bytes, for Config.Model:
// "sha256:" and the hex SHA-256 of the bytes. Two galleries with the same
// fingerprint hold embeddings of the same model.
func Fingerprint(modelFile []byte) string {
	s := sha256.Sum256(modelFile)
	return "sha256:" + hex.EncodeToString(s[:])
}

// encodedSize is the size of p in a gallery file of dim-value embeddings,
// of version 2 when v2 (one more byte, and a person who must enroll again
// has the reason too; their frames are written with dim zeros).
func (p *person) encodedSize(dim int, v2 bool) int64 {
	n := int64(1 + len(p.id) + 8 + 1)
	if v2 {
		n++
		if p.again != "" {
			n += int64(2 + len(p.again))
		}
	}
	for _, f := range p.frames {
		n += int64(2 + 2 + 4*dim + len(f.pix))
	}
	return n
}

// encodedSize is the size of g's file. Callers hold g.mu.
func (g *Gallery) encodedSize() int64 { return encodedSize(g.people, g.model, g.dim) }

func encodedSize(people map[string]*person, model string, dim int) int64 {
	v2 := fileVersion(people) >= 2
	n := int64(minFileBytes + len(model))
	for _, p := range people {
		n += p.encodedSize(dim, v2)
	}
	return n
}

// fileVersion is the version of the file that holds people: 2 when someone
// must enroll again, else 1 (which older builds read).
func fileVersion(people map[string]*person) uint16 {
	for _, p := range people {
		if p.again != "" {
			return 2
		}
	}
	return 1
}

// MarshalBinary writes the gallery in the file format of the package
// comment: its default threshold, model fingerprint and people (ordered by
// id, so equal galleries give equal bytes), with every frame's embedding
// and crop, and a CRC-32 at the end.
func (g *Gallery) MarshalBinary() ([]byte, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	le := binary.LittleEndian
	b := make([]byte, 0, g.encodedSize())
	b = append(b, Magic...)
	version := fileVersion(g.people)
	b = le.AppendUint16(b, version)
	b = le.AppendUint16(b, 0) // flags
	b = le.AppendUint32(b, uint32(g.dim))
	b = le.AppendUint32(b, math.Float32bits(g.threshold))
	b = le.AppendUint16(b, uint16(len(g.model)))
	b = append(b, g.model...)
	b = le.AppendUint32(b, uint32(len(g.people)))
	for _, id := range g.sortedIDs() {
		p := g.people[id]
		b = append(b, byte(len(id)))
		b = append(b, id...)
		b = le.AppendUint64(b, uint64(p.enrolled))
		if version >= 2 {
			if p.again != "" {
				b = append(b, personAgain)
				b = le.AppendUint16(b, uint16(len(p.again)))
				b = append(b, p.again...)
			} else {
				b = append(b, 0)
			}
		}
		b = append(b, byte(len(p.frames)))
		for _, f := range p.frames {
			b = le.AppendUint16(b, uint16(f.w))
			b = le.AppendUint16(b, uint16(f.h))
			if p.again != "" {
				b = append(b, make([]byte, 4*g.dim)...)
			}
			for _, x := range f.emb {
				b = le.AppendUint32(b, math.Float32bits(x))
			}
			b = append(b, f.pix...)
		}
	}
	return le.AppendUint32(b, crc32.ChecksumIEEE(b)), nil
}

// WriteTo writes the gallery to w as MarshalBinary does.
func (g *Gallery) WriteTo(w io.Writer) (int64, error) {
	b, err := g.MarshalBinary()
	if err != nil {
		return 0, err
	}
	n, err := w.Write(b)
	return int64(n), err
}

// Read reads a gallery file from r into a new Gallery (see Unmarshal). It
// reads at most MaxFileBytes (and one more byte, to tell a longer stream
// apart) and stops at the end of r.
func Read(r io.Reader) (*Gallery, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the gallery file: %w", err)
	}
	return Unmarshal(data)
}

// Unmarshal decodes a gallery file into a new Gallery with the file's
// default threshold, model fingerprint and people. A file that is not a
// gallery, of another version, cut short, changed (checksum) or malformed
// gives an error wrapping ErrNotGallery, ErrVersion or ErrDamaged. data is
// not retained.
func Unmarshal(data []byte) (*Gallery, error) {
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%w: it is larger than the %d-byte limit", ErrDamaged, MaxFileBytes)
	}
	if len(data) < len(Magic) {
		if strings.HasPrefix(Magic, string(data)) {
			return nil, fmt.Errorf("%w: it is cut short after %d bytes", ErrDamaged, len(data))
		}
		return nil, fmt.Errorf("%w: it does not start with %q", ErrNotGallery, Magic)
	}
	if string(data[:len(Magic)]) != Magic {
		return nil, fmt.Errorf("%w: it does not start with %q", ErrNotGallery, Magic)
	}
	le := binary.LittleEndian
	if len(data) >= len(Magic)+2 {
		if v := le.Uint16(data[len(Magic):]); v < 1 || v > Version {
			newer := ""
			if v > Version {
				newer = " (it was written by a newer Oneshot)"
			}
			return nil, fmt.Errorf("%w: it is version %d, this build reads versions 1 to %d%s", ErrVersion, v, Version, newer)
		}
	}
	if len(data) < minFileBytes {
		return nil, fmt.Errorf("%w: it is cut short after %d bytes", ErrDamaged, len(data))
	}
	body := data[:len(data)-4]
	if crc32.ChecksumIEEE(body) != le.Uint32(data[len(data)-4:]) {
		return nil, fmt.Errorf("%w: its checksum does not match (it was changed or cut short)", ErrDamaged)
	}
	g, err := decode(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	return g, nil
}

// decode parses the body of a gallery file whose magic, version and
// checksum were checked. Every length is checked against the bytes that
// are left before anything is allocated for it.
func decode(body []byte) (*Gallery, error) {
	version := int(binary.LittleEndian.Uint16(body[len(Magic):]))
	d := &decoder{b: body, off: len(Magic) + 2}
	if f := d.u16("flags"); f != 0 && d.err == nil {
		return nil, fmt.Errorf("unknown flags %#x", f)
	}
	dim := int(d.u32("embedding length"))
	threshold := math.Float32frombits(d.u32("threshold"))
	model := string(d.take(int(d.u16("model fingerprint length")), "model fingerprint"))
	count := int(d.u32("number of people"))
	if d.err != nil {
		return nil, d.err
	}
	switch {
	case dim > MaxDim:
		return nil, fmt.Errorf("embedding length %d is over the %d limit", dim, MaxDim)
	case threshold != 0 && ValidateThreshold(threshold) != nil:
		return nil, fmt.Errorf("default %v", ValidateThreshold(threshold))
	case validateModel(model) != nil:
		return nil, validateModel(model)
	case count > MaxPeople:
		return nil, fmt.Errorf("it holds %d people, the limit is %d", count, MaxPeople)
	case count > 0 && dim == 0:
		return nil, fmt.Errorf("it holds %d people but no embedding length", count)
	}
	g := &Gallery{threshold: threshold, model: model, dim: dim, people: make(map[string]*person, min(count, 1024))}
	for i := range count {
		p, err := d.person(dim, version)
		if err != nil {
			return nil, fmt.Errorf("person %d of %d: %w", i+1, count, err)
		}
		if _, dup := g.people[p.id]; dup {
			return nil, fmt.Errorf("person %d of %d: %q is enrolled twice", i+1, count, p.id)
		}
		g.people[p.id] = p
	}
	if d.off != len(body) {
		return nil, fmt.Errorf("%d unexpected bytes after the last person", len(body)-d.off)
	}
	return g, nil
}

// decoder reads a gallery file body; the first error sticks.
type decoder struct {
	b   []byte
	off int
	err error
}

// take returns the next n bytes (a slice of the input, not a copy).
func (d *decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b)-d.off {
		d.err = fmt.Errorf("it ends inside the %s", what)
		return nil
	}
	s := d.b[d.off : d.off+n]
	d.off += n
	return s
}

func (d *decoder) u8(what string) uint8 {
	if s := d.take(1, what); s != nil {
		return s[0]
	}
	return 0
}

func (d *decoder) u16(what string) uint16 {
	if s := d.take(2, what); s != nil {
		return binary.LittleEndian.Uint16(s)
	}
	return 0
}

func (d *decoder) u32(what string) uint32 {
	if s := d.take(4, what); s != nil {
		return binary.LittleEndian.Uint32(s)
	}
	return 0
}

func (d *decoder) u64(what string) uint64 {
	if s := d.take(8, what); s != nil {
		return binary.LittleEndian.Uint64(s)
	}
	return 0
}

// person reads one person with dim-value embeddings from a file of the
// given version.
func (d *decoder) person(dim, version int) (*person, error) {
	id := string(d.take(int(d.u8("id length")), "id"))
	enrolled := int64(d.u64("enrollment time"))
	again := ""
	if version >= 2 {
		switch f := d.u8("person flags"); f {
		case 0:
		case personAgain:
			again = string(d.take(int(d.u16("enroll-again reason length")), "enroll-again reason"))
			if d.err == nil && (again == "" || !utf8.ValidString(again)) {
				return nil, fmt.Errorf("%q must enroll again, for a reason that is empty or not UTF-8", id)
			}
		default:
			if d.err == nil {
				return nil, fmt.Errorf("%q has unknown flags %#x", id, f)
			}
		}
	}
	n := int(d.u8("number of frames"))
	if d.err != nil {
		return nil, d.err
	}
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	if n == 0 || n > MaxFrames {
		return nil, fmt.Errorf("%q has %d frames, not 1 to %d", id, n, MaxFrames)
	}
	frames := make([]frame, n)
	for i := range frames {
		w, h := int(d.u16("crop width")), int(d.u16("crop height"))
		raw := d.take(4*dim, "embedding")
		if d.err != nil {
			return nil, fmt.Errorf("%q, frame %d: %w", id, i+1, d.err)
		}
		if w == 0 || h == 0 || w > MaxCropSide || h > MaxCropSide {
			return nil, fmt.Errorf("%q, frame %d: crop is %d×%d, not 1 to %d a side", id, i+1, w, h, MaxCropSide)
		}
		var emb []float32
		if again == "" {
			emb = make([]float32, dim)
			for k := range emb {
				emb[k] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*k:]))
			}
			if err := checkUnit(emb); err != nil {
				return nil, fmt.Errorf("%q, frame %d: %w", id, i+1, err)
			}
		}
		pix := d.take(w*h*4, "crop")
		if d.err != nil {
			return nil, fmt.Errorf("%q, frame %d: %w", id, i+1, d.err)
		}
		frames[i] = frame{emb: emb, w: w, h: h, pix: bytes.Clone(pix)}
	}
	if again != "" {
		return &person{id: id, enrolled: enrolled, frames: frames, again: again}, nil
	}
	p, err := newPerson(id, enrolled, frames)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", id, err)
	}
	return p, nil
}

// UnmarshalBinary replaces the whole gallery (default threshold, model
// fingerprint, people) with a gallery file's, as Unmarshal decodes it. If
// the file is refused, g is left exactly as it was. To load people into a
// gallery while keeping its model and threshold, use Import.
func (g *Gallery) UnmarshalBinary(data []byte) error {
	fresh, err := Unmarshal(data)
	if err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.threshold, g.model, g.dim, g.fixedDim, g.people = fresh.threshold, fresh.model, fresh.dim, false, fresh.people
	return nil
}

// Import replaces the people of g with a gallery file's, keeping g's
// default threshold and model fingerprint. It is what loading a saved
// gallery into a running engine needs.
//
// When the file was made by another model (its fingerprint differs from
// g's non-empty one, or its embeddings have another length than g's),
// its embeddings are useless with g's model: Import then re-embeds every
// kept crop with embed (see Reembed), or, when embed is nil, refuses the
// file with an error wrapping ErrOtherModel. When g has no fingerprint it
// takes the file's.
//
// On any error (a refused file, a failed re-embedding) g is left exactly
// as it was. embed runs before g is locked, so it may be slow.
func (g *Gallery) Import(data []byte, embed EmbedFunc) error {
	fresh, err := Unmarshal(data)
	if err != nil {
		return err
	}
	g.mu.RLock()
	model, dim, fixed := g.model, g.dim, g.fixedDim
	g.mu.RUnlock()
	if (model != "" && fresh.model != model) || (dim != 0 && fresh.dim != 0 && fresh.dim != dim) {
		if embed == nil {
			return fmt.Errorf("%w (%s, this gallery's is %s): re-embed its faces with this model, or load the model it was made with",
				ErrOtherModel, describeModel(fresh.model, fresh.dim), describeModel(model, dim))
		}
		fresh.fixedDim = fixed
		if fixed {
			fresh.dim = dim
		}
		if err := fresh.ReembedAs(model, embed); err != nil {
			return fmt.Errorf("importing a gallery made by another model: %w", err)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.model != model || g.dim != dim {
		return errors.New("the gallery's model changed while the file was imported: import it again")
	}
	g.people = fresh.people
	if fresh.dim != 0 {
		g.dim = fresh.dim
	} else if !g.fixedDim {
		g.dim = 0
	}
	if g.model == "" {
		g.model = fresh.model
	}
	return nil
}

// describeModel names a model for an error message.
func describeModel(model string, dim int) string {
	s := "an unnamed model"
	if model != "" {
		if !utf8.ValidString(model) {
			model = fmt.Sprintf("%q", model)
		}
		s = "model " + model
	}
	if dim != 0 {
		s += fmt.Sprintf(" with %d-value embeddings", dim)
	}
	return s
}
