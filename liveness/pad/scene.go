package pad

import (
	"image"
	"math"
	"math/rand/v2"
)

// Frame size of the rendered camera.
const (
	FrameWidth  = 640
	FrameHeight = 480
)

// Pose of a flat page in front of the camera. With every field zero the
// page faces the camera, centred, at its Scene's scale.
type PagePose struct {
	// DX, DY move the page's centre in the image, in pixels.
	DX, DY float64
	// Scale multiplies the page's size (0 means 1).
	Scale float64
	// Roll rotates it in the image plane; Yaw tilts it about a vertical
	// axis, Pitch about a horizontal one; degrees.
	Roll, Yaw, Pitch float64
}

// Scene renders a photograph as a page held in front of a camera.
type Scene struct {
	photo *image.RGBA
	// Scale is the page's size in the frame relative to the photograph's
	// pixels, when it faces the camera.
	Scale float64
	// Distance is the camera's distance to the page in units of frame
	// pixels (the focal length, so that a page facing the camera is drawn
	// at Scale): a page at arm's length before a webcam is about 550.
	Distance float64
	bg       []uint8 // the background frame's RGBA bytes
}

// NewScene makes a scene of photo drawn at scale.
func NewScene(photo image.Image, scale float64) *Scene {
	b := photo.Bounds()
	rgba := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			rgba.Set(x, y, photo.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	// A fixed textured background: a room is not a flat grey.
	r := rand.New(rand.NewPCG(7, 11))
	bg := make([]uint8, 4*FrameWidth*FrameHeight)
	for y := 0; y < FrameHeight; y++ {
		for x := 0; x < FrameWidth; x++ {
			v := uint8(110 + 30*math.Sin(float64(x)/37)*math.Cos(float64(y)/53) + float64(r.IntN(9)))
			i := 4 * (y*FrameWidth + x)
			bg[i], bg[i+1], bg[i+2], bg[i+3] = v, v, v, 255
		}
	}
	return &Scene{photo: rgba, Scale: scale, Distance: 550, bg: bg}
}

// homography maps page pixels (photo coordinates centred on the photo's
// middle) to frame pixels for pose p: the page rotated by
// Ry(yaw)·Rx(pitch)·Rz(roll), at the scene's distance, seen by a pinhole
// camera whose focal length equals that distance.
func (s *Scene) homography(p PagePose) [9]float64 {
	sc := s.Scale
	if p.Scale != 0 {
		sc *= p.Scale
	}
	rad := math.Pi / 180
	cr, sr := math.Cos(p.Roll*rad), math.Sin(p.Roll*rad)
	cy, sy := math.Cos(p.Yaw*rad), math.Sin(p.Yaw*rad)
	cp, sp := math.Cos(p.Pitch*rad), math.Sin(p.Pitch*rad)
	rz := [9]float64{cr, -sr, 0, sr, cr, 0, 0, 0, 1}
	rx := [9]float64{1, 0, 0, 0, cp, -sp, 0, sp, cp}
	ry := [9]float64{cy, 0, sy, 0, 1, 0, -sy, 0, cy}
	r := mul3(ry, mul3(rx, rz))
	f := s.Distance
	// Columns: r1·sc, r2·sc, t = (DX, DY, f) in camera units where image
	// x = cx + f·X/Z.
	m := [9]float64{
		r[0] * sc, r[1] * sc, p.DX,
		r[3] * sc, r[4] * sc, p.DY,
		r[6] * sc, r[7] * sc, f,
	}
	k := [9]float64{f, 0, FrameWidth / 2, 0, f, FrameHeight / 2, 0, 0, 1}
	return mul3(k, m)
}

// Render draws the page at pose p into dst (FrameWidth×FrameHeight; made
// when nil), with sensor noise drawn from noise (none when nil).
func (s *Scene) Render(dst *image.RGBA, p PagePose, noise *rand.Rand) *image.RGBA {
	if dst == nil {
		dst = image.NewRGBA(image.Rect(0, 0, FrameWidth, FrameHeight))
	}
	copy(dst.Pix, s.bg)
	h := s.homography(p)
	inv, ok := inverse3(h)
	pw, ph := s.photo.Rect.Dx(), s.photo.Rect.Dy()
	if ok {
		x0, y0, x1, y1 := s.pageBounds(h, pw, ph)
		for y := y0; y < y1; y++ {
			fy := float64(y) + 0.5
			for x := x0; x < x1; x++ {
				fx := float64(x) + 0.5
				w := inv[6]*fx + inv[7]*fy + inv[8]
				if w <= 1e-9 {
					continue
				}
				u := (inv[0]*fx+inv[1]*fy+inv[2])/w + float64(pw)/2 - 0.5
				v := (inv[3]*fx+inv[4]*fy+inv[5])/w + float64(ph)/2 - 0.5
				if u >= 0 && v >= 0 && u <= float64(pw-1) && v <= float64(ph-1) {
					bilinear(dst.Pix[y*dst.Stride+4*x:], s.photo, u, v)
				}
			}
		}
	}
	if noise != nil {
		// Sensor noise of up to ±3 grey levels, the same on the three
		// channels of a pixel, from a cheap generator seeded by noise.
		st := noise.Uint64() | 1
		for i := 0; i < len(dst.Pix); i += 4 {
			st ^= st << 13
			st ^= st >> 7
			st ^= st << 17
			d := int(st%7) - 3
			for c := i; c < i+3; c++ {
				dst.Pix[c] = uint8(min(max(int(dst.Pix[c])+d, 0), 255))
			}
		}
	}
	return dst
}

// pageBounds is the frame rectangle holding the page's four corners, with
// a pixel to spare; the whole frame when a corner is behind the camera.
func (s *Scene) pageBounds(h [9]float64, pw, ph int) (x0, y0, x1, y1 int) {
	x0, y0, x1, y1 = FrameWidth, FrameHeight, 0, 0
	for _, c := range [][2]float64{{-1, -1}, {1, -1}, {-1, 1}, {1, 1}} {
		u, v := c[0]*float64(pw)/2, c[1]*float64(ph)/2
		w := h[6]*u + h[7]*v + h[8]
		if w <= 1e-9 {
			return 0, 0, FrameWidth, FrameHeight
		}
		x, y := (h[0]*u+h[1]*v+h[2])/w, (h[3]*u+h[4]*v+h[5])/w
		x0, x1 = min(x0, int(math.Floor(x))-1), max(x1, int(math.Ceil(x))+1)
		y0, y1 = min(y0, int(math.Floor(y))-1), max(y1, int(math.Ceil(y))+1)
	}
	return max(x0, 0), max(y0, 0), min(x1, FrameWidth), min(y1, FrameHeight)
}

// jitter adds noise of up to ±3 grey levels.
func jitter(v uint8, r *rand.Rand) uint8 {
	return uint8(min(max(int(v)+r.IntN(7)-3, 0), 255))
}

// bilinear samples img at (u, v), in pixel-centre coordinates, into the
// first four bytes of dst.
func bilinear(dst []uint8, img *image.RGBA, u, v float64) {
	x0, y0 := int(u), int(v)
	x1, y1 := min(x0+1, img.Rect.Dx()-1), min(y0+1, img.Rect.Dy()-1)
	fx, fy := u-float64(x0), v-float64(y0)
	i00, i01 := y0*img.Stride+4*x0, y0*img.Stride+4*x1
	i10, i11 := y1*img.Stride+4*x0, y1*img.Stride+4*x1
	px := img.Pix
	for ch := range 3 {
		top := float64(px[i00+ch])*(1-fx) + float64(px[i01+ch])*fx
		bot := float64(px[i10+ch])*(1-fx) + float64(px[i11+ch])*fx
		dst[ch] = uint8(top*(1-fy) + bot*fy + 0.5)
	}
	dst[3] = 255
}

// mul3 multiplies two 3×3 matrices stored row by row.
func mul3(a, b [9]float64) [9]float64 {
	var c [9]float64
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				c[3*i+j] += a[3*i+k] * b[3*k+j]
			}
		}
	}
	return c
}

// inverse3 inverts a 3×3 matrix; ok is false when it is singular.
func inverse3(m [9]float64) ([9]float64, bool) {
	a, b, c, d, e, f, g, h, i := m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]
	det := a*(e*i-f*h) - b*(d*i-f*g) + c*(d*h-e*g)
	if math.Abs(det) < 1e-12 {
		return [9]float64{}, false
	}
	return [9]float64{
		(e*i - f*h) / det, (c*h - b*i) / det, (b*f - c*e) / det,
		(f*g - d*i) / det, (a*i - c*g) / det, (c*d - a*f) / det,
		(d*h - e*g) / det, (b*g - a*h) / det, (a*e - b*d) / det,
	}, true
}
