package face

import (
	"errors"
	"fmt"
	"image"
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
