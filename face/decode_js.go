//go:build js

package face

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
)

// decodersBuilt tells the tests whether Decode can decode.
const decodersBuilt = false

// errNoDecoders is what Decode answers in WebAssembly.
var errNoDecoders = errors.New("face: this WebAssembly build decodes no JPEG or PNG files (the page hands over decoded RGBA pixels: FromRGBA); leaving the decoders out keeps the module about 60 KB smaller gzipped")

// Decode, in WebAssembly, refuses every input: the browser decodes images
// (createImageBitmap, canvas) and hands over RGBA pixels, so the Go
// decoders would only add download weight. Native builds decode JPEG and
// PNG (decode.go).
func Decode(r io.Reader) (image.Image, error) {
	if r == nil {
		return nil, errors.New("face: Decode: reader is nil")
	}
	return nil, fmt.Errorf("%w: %w", ErrNotImage, errNoDecoders)
}

// DecodeBytes is Decode for an image already in memory.
func DecodeBytes(data []byte) (image.Image, error) {
	return Decode(bytes.NewReader(data))
}
