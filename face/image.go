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

// MaxSide is the largest width or height, in pixels, that the package
// accepts. Larger images are refused with an error before any pixel memory
// is allocated; scale them down first.
const MaxSide = 4096

// ErrNotImage is wrapped by the error Decode returns when the bytes are not
// a JPEG or PNG image.
var ErrNotImage = errors.New("not a JPEG or PNG image")

// checkSize reports whether width×height is a size the package works on.
func checkSize(width, height int) error {
	switch {
	case width <= 0 || height <= 0:
		return fmt.Errorf("face: image is %d×%d: width and height must be positive", width, height)
	case width > MaxSide || height > MaxSide:
		return fmt.Errorf("face: image is %d×%d: at most %d pixels a side are accepted; scale it down first", width, height, MaxSide)
	}
	return nil
}

// checkImage validates an image.Image given to a pipeline stage.
func checkImage(img image.Image) error {
	if img == nil {
		return errors.New("face: image is nil")
	}
	b := img.Bounds()
	return checkSize(b.Dx(), b.Dy())
}

// FromRGBA wraps RGBA bytes, four bytes a pixel, rows top to bottom with no
// padding (the layout of a browser's ImageData.data), as an *image.RGBA
// without copying them. The bytes are not copied, so the caller must not
// change them while the image is in use.
//
// ImageData is not premultiplied by alpha and image.RGBA is; the two agree
// for opaque pixels (alpha 255), which is what a camera frame holds. The
// pipeline ignores alpha.
//
// It returns an error, never panics, when width or height is not positive,
// larger than MaxSide, or when len(pix) is not width×height×4.
func FromRGBA(pix []byte, width, height int) (*image.RGBA, error) {
	if err := checkSize(width, height); err != nil {
		return nil, err
	}
	if want := width * height * 4; len(pix) != want {
		return nil, fmt.Errorf("face: %d bytes for a %d×%d RGBA image: want width×height×4 = %d", len(pix), width, height, want)
	}
	return &image.RGBA{Pix: pix, Stride: 4 * width, Rect: image.Rect(0, 0, width, height)}, nil
}

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
	if err := checkImage(img); err != nil { // header and pixels disagree
		return nil, err
	}
	return img, nil
}

// DecodeBytes is Decode for an image already in memory.
func DecodeBytes(data []byte) (image.Image, error) {
	return Decode(bytes.NewReader(data))
}
