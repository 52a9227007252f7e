package main

import (
	"image"
	"math"
	"testing"
)

// TestAlterationShifts checks that "right" moves a crop's content one pixel
// to the right, that "larger" moves a pixel away from the centre, and that
// the plain crop is left alone (no function).
func TestAlterationShifts(t *testing.T) {
	if alterations[0].apply() != nil {
		t.Fatal("the plain alteration alters")
	}
	spot := func() *image.RGBA {
		c := image.NewRGBA(image.Rect(0, 0, 64, 64))
		for i := range c.Pix {
			c.Pix[i] = 255
		}
		c.Pix[c.PixOffset(40, 32)] = 0 // one dark red channel off-centre
		return c
	}
	darkest := func(c *image.RGBA) (x, y int) {
		best := 256
		for yy := 0; yy < 64; yy++ {
			for xx := 0; xx < 64; xx++ {
				if v := int(c.Pix[c.PixOffset(xx, yy)]); v < best {
					best, x, y = v, xx, yy
				}
			}
		}
		return x, y
	}
	for _, a := range alterations[1:] {
		c := spot()
		a.apply()(c)
		x, y := darkest(c)
		switch a.name {
		case "right", "left", "down", "up":
			if x != 40+int(a.dx) || y != 32+int(a.dy) {
				t.Errorf("%s: the spot at (40, 32) moved to (%d, %d)", a.name, x, y)
			}
		case "larger", "smaller":
			// 8 px from the centre, scaled by 1±0.04: about a third of a pixel.
			if y != 32 || math.Abs(float64(x-40)) > 1 {
				t.Errorf("%s: the spot at (40, 32) moved to (%d, %d)", a.name, x, y)
			}
		}
	}
}

// TestAverage checks that the mean of embeddings is unit length, and nil
// when the face is missing under any alteration.
func TestAverage(t *testing.T) {
	vecs := [][][]float32{
		{{1, 0}, {0, 1}},
		{{0, 1}, nil},
	}
	got, err := average(vecs, []int{0, 1}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || math.Abs(float64(got[0])-math.Sqrt(0.5)) > 1e-6 || math.Abs(float64(got[1])-math.Sqrt(0.5)) > 1e-6 {
		t.Errorf("mean of (1,0) and (0,1) = %v, want (0.707, 0.707)", got)
	}
	if got, err := average(vecs, []int{0, 1}, 1); got != nil || err != nil {
		t.Errorf("a face missing under one alteration averages to %v (error %v), want nil", got, err)
	}
}
