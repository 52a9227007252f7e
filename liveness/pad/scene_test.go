package pad

import (
	"image"
	"image/color"
	"math"
	"testing"
)

// apply maps a page point through the scene's homography.
func apply(h [9]float64, u, v float64) (float64, float64) {
	w := h[6]*u + h[7]*v + h[8]
	return (h[0]*u + h[1]*v + h[2]) / w, (h[3]*u + h[4]*v + h[5]) / w
}

func TestHomographyIsAPageInFrontOfACamera(t *testing.T) {
	s := NewScene(image.NewRGBA(image.Rect(0, 0, 100, 100)), 2)
	// Facing the camera: the page's centre at the frame's, drawn at scale.
	h := s.homography(PagePose{})
	if x, y := apply(h, 0, 0); math.Abs(x-FrameWidth/2) > 1e-9 || math.Abs(y-FrameHeight/2) > 1e-9 {
		t.Fatalf("centre maps to (%v, %v)", x, y)
	}
	if x, _ := apply(h, 10, 0); math.Abs(x-(FrameWidth/2+20)) > 1e-9 {
		t.Fatalf("10 page pixels right map to x=%v, want %v", x, FrameWidth/2+20)
	}
	// Tilted about a vertical axis: the side that goes away shrinks, the
	// other grows (perspective), and vertical lines stay vertical.
	h = s.homography(PagePose{Yaw: 40})
	xl, _ := apply(h, -40, 0)
	xr, _ := apply(h, 40, 0)
	left, right := FrameWidth/2-xl, xr-FrameWidth/2
	if !(left < 80 && right < 80) || math.Abs(left-right) < 1 {
		t.Fatalf("a page tilted 40°: half-widths %v and %v, want both foreshortened and unequal", left, right)
	}
	x1, _ := apply(h, 40, -30)
	x2, _ := apply(h, 40, 30)
	if math.Abs(x1-x2) > 1e-9 {
		t.Fatalf("a vertical edge of a page tilted about a vertical axis leans: %v vs %v", x1, x2)
	}
	// Rolled in the image plane by 90°: right becomes down.
	h = s.homography(PagePose{Roll: 90})
	if x, y := apply(h, 10, 0); math.Abs(x-FrameWidth/2) > 1e-6 || math.Abs(y-(FrameHeight/2+20)) > 1e-6 {
		t.Fatalf("rolled 90°, (10, 0) maps to (%v, %v)", x, y)
	}
}

func TestRenderDrawsThePhotoOverTheBackground(t *testing.T) {
	photo := image.NewRGBA(image.Rect(0, 0, 40, 40))
	for i := range photo.Pix {
		photo.Pix[i] = 255 // white, opaque
	}
	s := NewScene(photo, 1)
	f := s.Render(nil, PagePose{}, nil)
	if c := f.RGBAAt(FrameWidth/2, FrameHeight/2); c != (color.RGBA{255, 255, 255, 255}) {
		t.Fatalf("the frame's centre is %v, want the white photo", c)
	}
	if c := f.RGBAAt(5, 5); c.R == 255 {
		t.Fatalf("the corner is %v, want the background", c)
	}
	// Moved right by 100 px, the centre shows the background.
	f = s.Render(f, PagePose{DX: 100}, nil)
	if c := f.RGBAAt(FrameWidth/2, FrameHeight/2); c.R == 255 {
		t.Fatal("a photo moved away still covers the centre")
	}
}
