package face

import (
	"encoding/binary"
	"strings"
	"testing"
)

func TestParseCascades(t *testing.T) {
	ff, pl := moduleCascadeBytes(t)
	c, err := ParseCascades(ff, pl)
	if err != nil {
		t.Fatal(err)
	}
	if c.face.depth != 6 || c.face.trees != 468 || c.pupil.stages != 5 || c.pupil.trees != 20 || c.pupil.depth != 10 {
		t.Errorf("parsed face %d trees of depth %d, pupil %d×%d of depth %d; want pigo v1.4.6's 468/6 and 5×20/10",
			c.face.trees, c.face.depth, c.pupil.stages, c.pupil.trees, c.pupil.depth)
	}

	header := func(a, b, c, d uint32) []byte {
		h := make([]byte, 16)
		binary.LittleEndian.PutUint32(h[0:], a)
		binary.LittleEndian.PutUint32(h[4:], b)
		binary.LittleEndian.PutUint32(h[8:], c)
		binary.LittleEndian.PutUint32(h[12:], d)
		return h
	}
	bad := []struct {
		name   string
		ff, pl []byte
		want   string
	}{
		{"nil", nil, nil, "too short"},
		{"swapped", pl, ff, "not a pigo face cascade"},
		{"truncated facefinder", ff[:len(ff)-1], pl, "truncated"},
		{"truncated puploc", ff, pl[:len(pl)/2], "truncated"},
		{"huge depth", header(0, 0, 40, 1), pl, "not a pigo face cascade"},
		{"huge tree count", header(0, 0, 6, 1<<30), pl, "not a pigo face cascade"},
		{"puploc zero stages", ff, header(0, 0x3f4ccccd, 20, 10), "not a pigo pupil cascade"},
		{"puploc bad scale", ff, header(5, 0x7fc00000, 20, 10), "not a pigo pupil cascade"},
		{"puploc header only", ff, header(5, 0x3f4ccccd, 20, 10), "truncated"},
	}
	for _, tt := range bad {
		c, err := ParseCascades(tt.ff, tt.pl)
		if err == nil || c != nil {
			t.Errorf("%s: parsed", tt.name)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %q, want it to say %q", tt.name, err, tt.want)
		}
	}
}
