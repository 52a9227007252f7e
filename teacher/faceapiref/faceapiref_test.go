package faceapiref

import (
	"errors"
	"hash/crc32"
	"strings"
	"testing"
)

// TestPatternsPinned: the stored descriptors were computed from exactly
// these bytes; a change to a formula must come with new reference vectors.
func TestPatternsPinned(t *testing.T) {
	want := map[string]uint32{
		"gradient-150": 0x27143301,
		"checker-150":  0xa8cf3d60,
		"noise-150":    0x45eea979,
		"face-150":     0x44c62bb9,
		"face-120x200": 0xa3987d09,
		"noise-97x64":  0xeed6efde,
	}
	n := 0
	for _, c := range Cases() {
		if c.Input.Kind != "pattern" {
			continue
		}
		n++
		b, err := c.Input.Bytes("")
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != c.Input.Width*c.Input.Height*3 {
			t.Errorf("%s: %d bytes", c.Name, len(b))
		}
		if got := crc32.ChecksumIEEE(b); got != want[c.Name] {
			t.Errorf("%s: CRC %#08x, want %#08x; regenerate testdata/teacher_ref.json (scripts/faceapi-ref) if the change is meant", c.Name, got, want[c.Name])
		}
	}
	if n != len(want) {
		t.Errorf("%d pattern cases, want %d", n, len(want))
	}
}

func TestRecipeErrors(t *testing.T) {
	for _, tc := range []struct {
		r    Recipe
		want string
	}{
		{Recipe{Kind: "pattern", Pattern: "plaid", Width: 4, Height: 4}, "unknown pattern"},
		{Recipe{Kind: "pattern", Pattern: "noise", Width: 1, Height: 4}, "out of range"},
		{Recipe{Kind: "video"}, "unknown recipe kind"},
		{Recipe{Kind: "lfw", File: "../../etc/passwd", Width: 1, Height: 1}, "not a path inside"},
	} {
		if _, _, _, err := tc.r.Pixels(t.TempDir()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.r, err, tc.want)
		}
	}
	r := Recipe{Kind: "lfw", File: "images/A/A_0001.jpg", Width: 1, Height: 1}
	if _, _, _, err := r.Pixels(t.TempDir()); !errors.Is(err, ErrNoData) {
		t.Errorf("missing LFW: %v, want ErrNoData", err)
	}
}

func TestRead(t *testing.T) {
	if _, err := Read(strings.NewReader(`{"cases": [{"name": "x", "descriptor": [1, 2]}]}`)); err == nil {
		t.Error("short descriptor accepted")
	}
	if _, err := Read(strings.NewReader(`[`)); err == nil {
		t.Error("bad JSON accepted")
	}
	f, err := ReadFile("../../testdata/teacher_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) < 6 || !strings.HasPrefix(f.Package, "@vladmandic/face-api@") {
		t.Errorf("reference file: %d cases from %q", len(f.Cases), f.Package)
	}
}
