package face

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// moduleCascadeBytes reads the two cascade files from the pigo module.
func moduleCascadeBytes(tb testing.TB) (ff, pl []byte) {
	tb.Helper()
	dir, err := CascadeDir()
	if err != nil {
		tb.Skipf("pigo cascades unavailable: %v", err)
	}
	ff, err = os.ReadFile(filepath.Join(dir, "facefinder"))
	if err != nil {
		tb.Fatal(err)
	}
	pl, err = os.ReadFile(filepath.Join(dir, "puploc"))
	if err != nil {
		tb.Fatal(err)
	}
	return ff, pl
}

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

func TestCascadeDir(t *testing.T) {
	dir, err := CascadeDir()
	if err != nil {
		t.Skip(err)
	}
	if !hasCascades(dir) {
		t.Fatalf("CascadeDir = %s, without the files", dir)
	}
	t.Setenv(EnvCascadeDir, t.TempDir())
	if got, _ := CascadeDir(); got == dir {
		t.Errorf("CascadeDir ignored $%s", EnvCascadeDir)
	}
	if _, err := LoadCascades(t.TempDir()); err == nil {
		t.Error("LoadCascades of an empty folder succeeded")
	}
	if got := escapeModulePath("github.com/BurntSushi/toml"); got != "github.com/!burnt!sushi/toml" {
		t.Errorf("escapeModulePath = %q", got)
	}
}
