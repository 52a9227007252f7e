package train

import (
	"image"

	"github.com/oneshotface/oneshot/face"
)

// Sample is one training image, decoded, with its pupils and identity
// (package train/prepare makes them from a data set on disk).
type Sample struct {
	Path  string
	Label int // index of the person in the list the samples were made from
	Img   *image.RGBA
	Eyes  face.Eyes
}
