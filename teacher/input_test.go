package teacher

import (
	"strings"
	"testing"
)

func TestPreprocessCrop(t *testing.T) {
	rgb := make([]float32, InputSize*InputSize*3)
	for i := range rgb {
		rgb[i] = float32(i % 256)
	}
	got, err := Preprocess(rgb, InputSize, InputSize)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1, 2, 3, 100, len(rgb) - 1} {
		want := (rgb[i] - MeanRGB[i%3]) / 255
		if got[i] != want {
			t.Errorf("value %d: %g, want %g", i, got[i], want)
		}
	}
	if &got[0] == &rgb[0] {
		t.Error("Preprocess wrote into its input")
	}
}

func TestPadToSquare(t *testing.T) {
	// 1 row of 4 pixels: diff 3, round(1.5) = 2 rows after, 1 before
	px := []float32{1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4}
	sq, side := padToSquare(px, 4, 1)
	if side != 4 {
		t.Fatalf("side %d", side)
	}
	for y := range 4 {
		v := sq[y*4*3]
		if (y == 1) != (v == 1) {
			t.Errorf("row %d starts with %g; the image belongs in row 1", y, v)
		}
	}
	// 3 rows of 1 pixel: diff 2, one column before and one after
	sq, side = padToSquare([]float32{5, 5, 5, 6, 6, 6, 7, 7, 7}, 1, 3)
	if side != 3 || sq[1*3] != 5 || sq[4*3] != 6 || sq[7*3] != 7 || sq[0] != 0 || sq[2*3] != 0 {
		t.Errorf("width padding wrong: %v", sq)
	}
}

func TestResizeBilinear(t *testing.T) {
	// 2×2 → 4×4 with alignCorners=false, halfPixelCenters=false: source
	// positions 0, 0.5, 1, 1.5 (clamped to 1)
	src := []float32{0, 0, 0, 10, 10, 10, 20, 20, 20, 30, 30, 30}
	out := resizeBilinear(src, 2, 2, 4, 4)
	want := [][]float32{{0, 5, 10, 10}, {10, 15, 20, 20}, {20, 25, 30, 30}, {20, 25, 30, 30}}
	for y := range 4 {
		for x := range 4 {
			if v := out[(y*4+x)*3]; v != want[y][x] {
				t.Errorf("(%d,%d) = %g, want %g", x, y, v, want[y][x])
			}
		}
	}
}

func TestPreprocessErrors(t *testing.T) {
	for _, tc := range []struct {
		n, w, h int
		want    string
	}{
		{0, 0, 0, "0×0"},
		{3, 1, -1, "1×-1"},
		{5, 1, 2, "5 values"},
		{3, 20000, 1, "16384"},
	} {
		_, err := Preprocess(make([]float32, tc.n), tc.w, tc.h)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Preprocess(%d values, %d×%d): %v, want %q", tc.n, tc.w, tc.h, err, tc.want)
		}
	}
	// any other size is padded and resized to the input size
	out, err := Preprocess(make([]float32, 7*3*3), 7, 3)
	if err != nil || len(out) != InputSize*InputSize*3 {
		t.Errorf("7×3: %d values, %v", len(out), err)
	}
}
