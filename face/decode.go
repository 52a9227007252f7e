//go:build !js

package face

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
)

// decodersBuilt tells the tests whether Decode can decode (see
// decode_js.go).
const decodersBuilt = true

// Decode reads a JPEG or PNG image (colour or greyscale). It reads the
// header first and refuses images larger than MaxSide a side before
// decoding their pixels, so a small malicious file cannot make it allocate
// gigabytes. The returned image keeps the decoder's type (*image.YCbCr for
// most JPEGs, *image.Gray for greyscale PNGs, …); every stage of the
// package accepts any image.Image, with fast paths for these types.
// Other formats are refused with an error wrapping ErrNotImage, whatever
// decoders the program has registered.
func Decode(r io.Reader) (image.Image, error) {
	if r == nil {
		return nil, errors.New("face: Decode: reader is nil")
	}
	return decode(r, checkSize)
}

// decode is Decode with the size check the header must pass before any
// pixel is decoded.
func decode(r io.Reader, checkSize func(width, height int) error) (image.Image, error) {
	br := bufio.NewReader(r)
	magic, _ := br.Peek(8)
	var (
		format       string
		decodeConfig func(io.Reader) (image.Config, error)
		decode       func(io.Reader) (image.Image, error)
	)
	switch {
	case bytes.HasPrefix(magic, []byte("\xff\xd8")):
		format, decodeConfig, decode = "jpeg", jpeg.DecodeConfig, jpeg.Decode
	case bytes.HasPrefix(magic, []byte("\x89PNG\r\n\x1a\n")):
		format, decodeConfig, decode = "png", png.DecodeConfig, png.Decode
	default:
		return nil, fmt.Errorf("face: %w (the data starts %q)", ErrNotImage, magic)
	}
	// DecodeConfig consumes the header; keep what it read so the pixel
	// decoder can read it again.
	var head bytes.Buffer
	cfg, err := decodeConfig(io.TeeReader(br, &head))
	if err != nil {
		return nil, fmt.Errorf("face: reading %s header: %w", format, err)
	}
	if err := checkSize(cfg.Width, cfg.Height); err != nil {
		return nil, err
	}
	img, err := decode(io.MultiReader(&head, br))
	if err != nil {
		return nil, fmt.Errorf("face: decoding %s: %w", format, err)
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height { // header and pixels disagree
		return nil, fmt.Errorf("face: %s header says %d×%d, the pixels are %d×%d", format, cfg.Width, cfg.Height, b.Dx(), b.Dy())
	}
	return img, nil
}

// DecodeBytes is Decode for an image already in memory.
func DecodeBytes(data []byte) (image.Image, error) {
	return Decode(bytes.NewReader(data))
}
