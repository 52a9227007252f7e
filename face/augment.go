package face

import (
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
)

// Jitter is one training augmentation of an aligned crop. Its geometric
// part (Flip, Rotate, Scale, ShiftX, ShiftY) is folded into the alignment
// transform, so a jittered crop is resampled once, like a plain one; its
// photometric part (Brightness, Contrast, Gamma, Blur) is then applied to
// the crop's pixels. The zero Jitter changes nothing.
type Jitter struct {
	// Flip mirrors the face left-right about the template's eye midpoint,
	// so the two eyes swap places and still land on the template.
	Flip bool
	// Rotate turns the face by this many degrees (clockwise on screen)
	// about the template's eye midpoint.
	Rotate float64
	// Scale enlarges the face by this fraction (0.05 is 5% larger, −0.05
	// 5% smaller) about the eye midpoint.
	Scale float64
	// ShiftX and ShiftY move the face right and down, in units of the
	// template's pupil distance.
	ShiftX, ShiftY float64
	// Brightness is added to every value, as a fraction of full scale
	// (0.1 adds 25.5 of 255).
	Brightness float64
	// Contrast stretches values about mid-grey by 1+Contrast.
	Contrast float64
	// Gamma raises values (as 0…1) to the power exp(Gamma): positive is
	// darker mid-tones, negative lighter.
	Gamma float64
	// Blur is the standard deviation, in crop pixels, of a Gaussian blur
	// (0 is none).
	Blur float64
}

// JitterRange bounds the random Jitters that Sample draws: each field is
// drawn uniformly from [−Max, +Max] (Blur from [0, MaxBlur] with
// probability BlurProb, else 0; Flip with probability FlipProb).
type JitterRange struct {
	FlipProb      float64 // probability of Flip
	MaxRotate     float64 // bound on |Rotate|, degrees
	MaxScale      float64 // bound on |Scale|, a fraction
	MaxShift      float64 // bound on |ShiftX| and |ShiftY|, fractions of the pupil distance
	MaxBrightness float64 // bound on |Brightness|
	MaxContrast   float64 // bound on |Contrast|
	MaxGamma      float64 // bound on |Gamma|
	BlurProb      float64 // probability of a blur
	MaxBlur       float64 // bound on Blur, pixels
}

// DefaultJitterRange is a mild augmentation for face embedders, in the
// spirit of dlib's jitter_image (±3°, a few percent of scale and shift)
// with photometric changes a webcam produces.
var DefaultJitterRange = JitterRange{
	FlipProb:      0.5,
	MaxRotate:     5,
	MaxScale:      0.05,
	MaxShift:      0.05,
	MaxBrightness: 0.1,
	MaxContrast:   0.2,
	MaxGamma:      0.25,
	BlurProb:      0.2,
	MaxBlur:       1.0,
}

// Scaled returns the range with every bound (rotation, scale, shift,
// brightness, contrast, gamma, blur) multiplied by k and the
// probabilities of a flip and of a blur kept: Scaled(2) is twice as
// strong an augmentation, Scaled(1) the range itself. k must be positive,
// and small enough that the scale bound stays below 0.9.
func (r JitterRange) Scaled(k float64) (JitterRange, error) {
	if !(k > 0) || math.IsInf(k, 0) || !(r.MaxScale*k < 0.9) {
		return JitterRange{}, fmt.Errorf("face: jitter scale %g; want a factor above 0 that keeps the scale bound below 0.9", k)
	}
	r.MaxRotate *= k
	r.MaxScale *= k
	r.MaxShift *= k
	r.MaxBrightness *= k
	r.MaxContrast *= k
	r.MaxGamma *= k
	r.MaxBlur *= k
	return r, nil
}

// Sample draws a Jitter from the range using rng, consuming the same
// number of draws whatever the outcome, so a seeded generator gives the
// same sequence of Jitters on every machine: with
// rand.New(rand.NewPCG(seed, i)), augmentation is deterministic given the
// seed.
func (r JitterRange) Sample(rng *rand.Rand) Jitter {
	u := func(m float64) float64 { return m * (2*rng.Float64() - 1) }
	j := Jitter{}
	j.Flip = rng.Float64() < r.FlipProb
	j.Rotate = u(r.MaxRotate)
	j.Scale = u(r.MaxScale)
	j.ShiftX = u(r.MaxShift)
	j.ShiftY = u(r.MaxShift)
	j.Brightness = u(r.MaxBrightness)
	j.Contrast = u(r.MaxContrast)
	j.Gamma = u(r.MaxGamma)
	blur, amount := rng.Float64() < r.BlurProb, rng.Float64()*r.MaxBlur
	if blur {
		j.Blur = amount
	}
	return j
}

func (j Jitter) validate() error {
	for _, v := range []float64{j.Rotate, j.Scale, j.ShiftX, j.ShiftY, j.Brightness, j.Contrast, j.Gamma, j.Blur} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errors.New("face: Jitter has a non-finite field")
		}
	}
	if j.Scale <= -0.9 {
		return errors.New("face: Jitter.Scale must be above −0.9")
	}
	if j.Blur < 0 || j.Blur > 20 {
		return errors.New("face: Jitter.Blur must be 0…20 pixels")
	}
	return nil
}

// applyPixels applies the photometric part of j to the crop in place.
func (j Jitter) applyPixels(m *image.RGBA) {
	if j.Brightness != 0 || j.Contrast != 0 || j.Gamma != 0 {
		var lut [256]uint8
		g := math.Exp(j.Gamma)
		c := 1 + j.Contrast
		for i := range lut {
			v := math.Pow(float64(i)/255, g)
			v = (v-0.5)*c + 0.5 + j.Brightness
			lut[i] = uint8(math.Round(255 * min(max(v, 0), 1)))
		}
		b := m.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			i := m.PixOffset(b.Min.X, y)
			row := m.Pix[i : i+4*b.Dx()]
			for x := 0; x < len(row); x += 4 {
				row[x], row[x+1], row[x+2] = lut[row[x]], lut[row[x+1]], lut[row[x+2]]
			}
		}
	}
	if j.Blur > 0.05 {
		gaussianBlur(m, j.Blur)
	}
}

// gaussianBlur blurs the RGB channels of m with a separable Gaussian of
// standard deviation sigma, replicating edge pixels.
func gaussianBlur(m *image.RGBA, sigma float64) {
	r := int(math.Ceil(3 * sigma))
	k := make([]float32, 2*r+1)
	var sum float32
	for i := range k {
		d := float64(i - r)
		k[i] = float32(math.Exp(-d * d / (2 * sigma * sigma)))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	tmp := make([]float32, 3*w*h)
	at := func(x, y int) []uint8 {
		x = min(max(x, 0), w-1)
		y = min(max(y, 0), h-1)
		i := m.PixOffset(b.Min.X+x, b.Min.Y+y)
		return m.Pix[i : i+3 : i+3]
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s0, s1, s2 float32
			for i, kv := range k {
				p := at(x+i-r, y)
				s0 += kv * float32(p[0])
				s1 += kv * float32(p[1])
				s2 += kv * float32(p[2])
			}
			t := tmp[3*(y*w+x):]
			t[0], t[1], t[2] = s0, s1, s2
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s0, s1, s2 float32
			for i, kv := range k {
				yy := min(max(y+i-r, 0), h-1)
				t := tmp[3*(yy*w+x):]
				s0 += kv * t[0]
				s1 += kv * t[1]
				s2 += kv * t[2]
			}
			p := at(x, y)
			p[0] = uint8(min(s0+0.5, 255))
			p[1] = uint8(min(s1+0.5, 255))
			p[2] = uint8(min(s2+0.5, 255))
		}
	}
}
