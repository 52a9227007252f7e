//go:build !js

package face

import (
	"errors"
	"fmt"
	"image"
	"io"

	xdraw "golang.org/x/image/draw"
)

// MaxPhotoSide and MaxPhotoPixels bound the photographs DecodePhoto takes:
// larger than a camera's, small enough that decoding one needs at most
// about half a gigabyte.
const (
	MaxPhotoSide   = 4 * MaxSide
	MaxPhotoPixels = 120_000_000
)

// DecodePhoto is Decode for photographs read by native tools (evaluation,
// alignment, training): an image larger than MaxSide a side is scaled down
// to fit, its aspect kept, instead of refused, so one large photograph in a
// data set does not stop a run. Images beyond MaxPhotoSide a side or
// MaxPhotoPixels in all are still refused before their pixels are decoded.
// The browser's frames keep Decode's and FromRGBA's limit.
//
// The second result is the factor the image was scaled by (1 when it
// fits), for a caller that reports it.
func DecodePhoto(r io.Reader) (image.Image, float64, error) {
	if r == nil {
		return nil, 0, errors.New("face: DecodePhoto: reader is nil")
	}
	img, err := decode(r, func(width, height int) error {
		switch {
		case width <= 0 || height <= 0:
			return fmt.Errorf("face: image is %d×%d: width and height must be positive", width, height)
		case width > MaxPhotoSide || height > MaxPhotoSide || width*height > MaxPhotoPixels:
			return fmt.Errorf("face: image is %d×%d: photographs of at most %d pixels a side and %d megapixels are accepted", width, height, MaxPhotoSide, MaxPhotoPixels/1_000_000)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	b := img.Bounds()
	if b.Dx() <= MaxSide && b.Dy() <= MaxSide {
		return img, 1, nil
	}
	scale := float64(MaxSide) / float64(max(b.Dx(), b.Dy()))
	w := max(1, min(MaxSide, int(float64(b.Dx())*scale+0.5)))
	h := max(1, min(MaxSide, int(float64(b.Dy())*scale+0.5)))
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	// BiLinear widens its kernel when shrinking, so every source pixel
	// counts (no aliasing from skipped rows).
	xdraw.BiLinear.Scale(dst, dst.Bounds(), img, b, xdraw.Src, nil)
	return dst, scale, nil
}
