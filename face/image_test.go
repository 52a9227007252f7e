package face

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"strings"
	"testing"
)

func TestFromRGBA(t *testing.T) {
	tests := []struct {
		name    string
		n, w, h int
		wantErr string // substring; "" means success
	}{
		{"ok", 4 * 3 * 2, 3, 2, ""},
		{"zero", 0, 0, 0, "must be positive"},
		{"negative width", 16, -2, 2, "must be positive"},
		{"negative height", 16, 2, -2, "must be positive"},
		{"short", 4*3*2 - 1, 3, 2, "want width×height×4 = 24"},
		{"long", 4*3*2 + 4, 3, 2, "want width×height×4 = 24"},
		{"rgb not rgba", 3 * 3 * 2, 3, 2, "want width×height×4"},
		{"too wide", 4 * (MaxSide + 1), MaxSide + 1, 1, "at most 4096"},
		{"too tall", 4 * (MaxSide + 1), 1, MaxSide + 1, "at most 4096"},
		{"overflowing product", 16, 1 << 31, 1 << 31, "at most 4096"},
		{"largest", 4 * MaxSide, MaxSide, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pix := make([]byte, tt.n)
			img, err := FromRGBA(pix, tt.w, tt.h)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("FromRGBA: %v", err)
				}
				if img.Bounds() != image.Rect(0, 0, tt.w, tt.h) || &img.Pix[0] != &pix[0] {
					t.Fatalf("got bounds %v, copied=%v; want a %d×%d view of the bytes", img.Bounds(), &img.Pix[0] != &pix[0], tt.w, tt.h)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("FromRGBA(%d bytes, %d, %d) error = %v, want it to say %q", tt.n, tt.w, tt.h, err, tt.wantErr)
			}
		})
	}
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDecode(t *testing.T) {
	if !decodersBuilt {
		t.Skip("this build has no JPEG/PNG decoders (WebAssembly: the browser decodes)")
	}
	grey := image.NewGray(image.Rect(0, 0, 92, 112))
	for i := range grey.Pix {
		grey.Pix[i] = uint8(i)
	}
	got, err := DecodeBytes(encodePNG(t, grey))
	if err != nil {
		t.Fatalf("greyscale PNG: %v", err)
	}
	if _, ok := got.(*image.Gray); !ok || got.Bounds() != grey.Bounds() {
		t.Fatalf("greyscale PNG decoded as %T %v, want *image.Gray %v", got, got.Bounds(), grey.Bounds())
	}

	var gifBytes bytes.Buffer
	pal := image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.Black, color.White})
	if err := gif.Encode(&gifBytes, pal, nil); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a JPEG or PNG"},
		{"text", []byte("hello, this is not an image"), "not a JPEG or PNG"},
		{"gif", gifBytes.Bytes(), "not a JPEG or PNG"},
		{"truncated png", encodePNG(t, grey)[:60], "decoding png"},
		{"png too wide", encodePNG(t, image.NewGray(image.Rect(0, 0, MaxSide+1, 1))), "at most 4096"},
		{"jpeg header only", []byte{0xff, 0xd8, 0xff}, "reading jpeg header"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			img, err := DecodeBytes(tt.data)
			if err == nil || img != nil {
				t.Fatalf("Decode = %v, %v; want an error", img, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Decode error %q, want it to say %q", err, tt.want)
			}
		})
	}
	if _, err := DecodeBytes([]byte("GIF89a")); !errors.Is(err, ErrNotImage) {
		t.Errorf("Decode of a GIF header: %v, want ErrNotImage", err)
	}
	if _, err := Decode(nil); err == nil {
		t.Error("Decode(nil reader) succeeded")
	}
}
