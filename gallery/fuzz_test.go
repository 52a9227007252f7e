package gallery

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"testing"
)

// FuzzUnmarshal feeds arbitrary bytes to the file reader (checkUnmarshal
// says what must hold). Most mutations only break the checksum; see
// FuzzUnmarshalRepaired for the decoder behind it.
//
//	go test -run XXX -fuzz FuzzUnmarshal -fuzztime 60s ./gallery/
func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte(Magic))
	f.Add(marshal(f, newGallery(f, Config{})))
	f.Add(marshal(f, sample(f)))
	e := []float32{1, 0}
	f.Add(header(2, 1, "m", 2).person("b", 0, e).person("a", 5, []float32{0, 1}, e).done())
	f.Add(header(2, 0, "", 1).person("a", 0, []float32{2, 0}).done())
	f.Fuzz(checkUnmarshal)
}

// FuzzUnmarshalRepaired is FuzzUnmarshal with the checksum repaired: the
// fuzzed bytes are a file without its last four bytes, and the CRC-32 the
// writer would put there is appended, so that mutations get past the
// checksum and reach the decoder's checks of counts, sizes, ids, values
// and crops.
//
//	go test -run XXX -fuzz FuzzUnmarshalRepaired -fuzztime 60s ./gallery/
func FuzzUnmarshalRepaired(f *testing.F) {
	e := []float32{1, 0}
	for _, b := range [][]byte{
		marshal(f, newGallery(f, Config{})),
		marshal(f, sample(f)),
		header(2, 1, "m", 2).person("b", 0, e).person("a", 5, []float32{0, 1}, e).done(),
	} {
		f.Add(b[:len(b)-4])
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		data := binary.LittleEndian.AppendUint32(bytes.Clone(body), crc32.ChecksumIEEE(body))
		checkUnmarshal(t, data)
	})
}

// checkUnmarshal reads data as a gallery file: it must never panic; a file
// it accepts must write back to a file that reads back to the same bytes
// (the written form is canonical), and the gallery must answer queries.
func checkUnmarshal(t *testing.T, data []byte) {
	g, err := Unmarshal(data)
	if err != nil {
		if g != nil {
			t.Fatal("Unmarshal returned a gallery and an error")
		}
		return
	}
	b1, err := g.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	g2, err := Unmarshal(b1)
	if err != nil {
		t.Fatalf("a gallery read from a file writes a file it refuses: %v", err)
	}
	b2, _ := g2.MarshalBinary()
	if !bytes.Equal(b1, b2) {
		t.Fatal("writing is not canonical: the second round trip changed the bytes")
	}
	if g.Dim() > 0 {
		probe := make([]float32, g.Dim())
		probe[0] = 1
		if _, _, err := g.Identify(probe, 1, 0); err != nil {
			t.Fatal(err)
		}
		for _, id := range g.IDs() {
			if _, err := g.Verify(id, probe, 1); err != nil {
				t.Fatal(err)
			}
			if _, err := g.Person(id); err != nil {
				t.Fatal(err)
			}
		}
	}
}
