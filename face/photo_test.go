//go:build !js

package face

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

// stripesPNG makes a greyscale PNG of w×h whose left half is black and
// right half white.
func stripesPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := w / 2; x < w; x++ {
			g.SetGray(x, y, color.Gray{255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, g); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecodePhotoScalesLargeImagesDown(t *testing.T) {
	data := stripesPNG(t, 6000, 300)
	if _, err := Decode(bytes.NewReader(data)); err == nil {
		t.Fatal("Decode took a 6000×300 image; the browser's limit is MaxSide")
	}
	img, scale, err := DecodePhoto(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if b.Dx() != MaxSide || b.Dy() != 205 {
		t.Fatalf("scaled to %d×%d, want %d×205 (aspect kept)", b.Dx(), b.Dy(), MaxSide)
	}
	if want := float64(MaxSide) / 6000; scale != want {
		t.Fatalf("scale %g, want %g", scale, want)
	}
	// The picture, not just its size: black left, white right.
	l, _, _, _ := img.At(MaxSide/4, 100).RGBA()
	r, _, _, _ := img.At(3*MaxSide/4, 100).RGBA()
	if l>>8 != 0 || r>>8 != 255 {
		t.Fatalf("left %d, right %d: want 0 and 255", l>>8, r>>8)
	}
}

func TestDecodePhotoKeepsSmallImages(t *testing.T) {
	img, scale, err := DecodePhoto(bytes.NewReader(stripesPNG(t, 250, 250)))
	if err != nil {
		t.Fatal(err)
	}
	if scale != 1 || img.Bounds().Dx() != 250 || img.Bounds().Dy() != 250 {
		t.Fatalf("scale %g, size %v: a small image is kept as it is", scale, img.Bounds())
	}
}

func TestDecodePhotoRefusesHugeHeaders(t *testing.T) {
	// A 1×1 PNG whose header claims 20000×20000: refused before any
	// pixel memory is taken.
	data := stripesPNG(t, 1, 1)
	copy(data[16:24], []byte{0, 0, 0x4e, 0x20, 0, 0, 0x4e, 0x20}) // IHDR width, height = 20000
	binary.BigEndian.PutUint32(data[29:33], crc32.ChecksumIEEE(data[12:29]))
	_, _, err := DecodePhoto(bytes.NewReader(data))
	if err == nil || !strings.Contains(err.Error(), "20000×20000") {
		t.Fatalf("err = %v, want a refusal naming the size", err)
	}
	if _, _, err := DecodePhoto(nil); err == nil {
		t.Fatal("nil reader accepted")
	}
}
