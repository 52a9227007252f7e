package teacher

import (
	"fmt"
	"math"
)

// InputSize is the side of the teacher's square RGB input.
const InputSize = 150

// MeanRGB is the per-channel mean face-api subtracts before dividing by 255.
var MeanRGB = [3]float32{122.782, 117.001, 104.298}

// Preprocess turns an RGB image (h rows of w pixels, 3 float32 values per
// pixel in 0..255, row-major HWC) into the teacher's normalised
// InputSize×InputSize×3 input, exactly as face-api's
// FaceRecognitionNet.forwardInput does for a tensor input:
//
//  1. pad the shorter side with zeros to a square, half after and the rest
//     before (NetInput.toBatchTensor with isCenterInputs=true, padToSquare);
//  2. if the square is not 150×150, resize it bilinearly
//     (tf.image.resizeBilinear with alignCorners=false,
//     halfPixelCenters=false);
//  3. subtract MeanRGB and divide by 255 (normalize(…, meanRgb).div(255)).
//
// A 150×150 crop skips steps 1 and 2. The result is a new slice.
func Preprocess(rgb []float32, w, h int) ([]float32, error) {
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("teacher: image is %d×%d; want a non-empty RGB image", w, h)
	}
	if w > 1<<14 || h > 1<<14 {
		return nil, fmt.Errorf("teacher: image is %d×%d; crop the face first (at most 16384 pixels a side)", w, h)
	}
	if len(rgb) != w*h*3 {
		return nil, fmt.Errorf("teacher: %d values do not make a %d×%d RGB image (want %d)", len(rgb), w, h, w*h*3)
	}
	sq, side := padToSquare(rgb, w, h)
	if side != InputSize {
		sq = resizeBilinear(sq, side, side, InputSize, InputSize)
	}
	out := make([]float32, InputSize*InputSize*3)
	for i := 0; i < len(out); i += 3 {
		for c := range 3 {
			out[i+c] = (sq[i+c] - MeanRGB[c]) / 255
		}
	}
	return out, nil
}

// padToSquare pads rgb with zero pixels along its shorter side, as face-api's
// padToSquare(img, true): round(diff/2) after the image, the rest before.
// It returns rgb itself when it is already square.
func padToSquare(rgb []float32, w, h int) ([]float32, int) {
	if w == h {
		return rgb, w
	}
	side := max(w, h)
	diff := side - min(w, h)
	after := int(math.Floor(float64(diff)*0.5 + 0.5)) // JS Math.round
	before := diff - after
	out := make([]float32, side*side*3)
	if h > w { // pad the width
		for y := range h {
			copy(out[(y*side+before)*3:], rgb[y*w*3:(y+1)*w*3])
		}
	} else { // pad the height
		copy(out[before*side*3:], rgb)
	}
	return out, side
}

// resizeBilinear is TensorFlow.js's CPU resizeBilinear with
// alignCorners=false and halfPixelCenters=false: arithmetic in float64 on
// float32 samples, rounded to float32 once per output value.
func resizeBilinear(src []float32, sw, sh, dw, dh int) []float32 {
	out := make([]float32, dw*dh*3)
	rowRatio := float64(sh) / float64(dh)
	colRatio := float64(sw) / float64(dw)
	o := 0
	for r := range dh {
		fr := rowRatio * float64(r)
		r0 := max(0, int(math.Floor(fr)))
		rowFrac := fr - float64(r0)
		r1 := min(sh-1, int(math.Ceil(fr)))
		for c := range dw {
			fc := colRatio * float64(c)
			c0 := max(0, int(math.Floor(fc)))
			colFrac := fc - float64(c0)
			c1 := min(sw-1, int(math.Ceil(fc)))
			tl, tr := (r0*sw+c0)*3, (r0*sw+c1)*3
			bl, br := (r1*sw+c0)*3, (r1*sw+c1)*3
			for d := range 3 {
				topLeft, topRight := float64(src[tl+d]), float64(src[tr+d])
				botLeft, botRight := float64(src[bl+d]), float64(src[br+d])
				// float64(…) around each product forbids fused multiply-adds,
				// which JavaScript never uses
				top := topLeft + float64((topRight-topLeft)*colFrac)
				bottom := botLeft + float64((botRight-botLeft)*colFrac)
				out[o] = float32(top + float64((bottom-top)*rowFrac))
				o++
			}
		}
	}
	return out
}
