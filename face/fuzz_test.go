package face

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"testing"
)

// The fuzz targets feed the public entry points arbitrary input. None may
// panic; errors are expected. Run each with, e.g.,
//
//	go test -fuzz FuzzDecode -fuzztime 30s ./face/

func FuzzDecode(f *testing.F) {
	if !decodersBuilt {
		f.Skip("this build has no JPEG/PNG decoders (WebAssembly: the browser decodes)")
	}
	grey := image.NewGray(image.Rect(0, 0, 8, 6))
	for i := range grey.Pix {
		grey.Pix[i] = uint8(i * 5)
	}
	f.Add(encodePNG(f, grey))
	var jb bytes.Buffer
	jpeg.Encode(&jb, image.NewRGBA(image.Rect(0, 0, 9, 7)), nil)
	f.Add(jb.Bytes())
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xe0})
	f.Add([]byte("not an image"))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := DecodeBytes(data)
		if err != nil {
			if img != nil {
				t.Fatal("an image and an error")
			}
			return
		}
		b := img.Bounds()
		if b.Dx() <= 0 || b.Dy() <= 0 || b.Dx() > MaxSide || b.Dy() > MaxSide {
			t.Fatalf("decoded a %v image", b)
		}
		// Whatever decodes must go through the pipeline.
		if b.Dx()*b.Dy() <= 1<<16 {
			runPipeline(t, img)
		}
	})
}

// fuzzDetector returns a Detector on cascades parsed once per process.
func fuzzDetector(t *testing.T) *Detector {
	return testCascades(t).NewDetector()
}

// runPipeline runs Analyze, Align, AlignJittered and Tensor on img.
func runPipeline(t *testing.T, img image.Image) {
	d := fuzzDetector(t)
	a, err := d.Analyze(img)
	if err != nil {
		t.Fatalf("Analyze of a valid image: %v", err)
	}
	if len(a.Faces) == 0 {
		a.Eyes = Eyes{Left: Point{1, 1}, Right: Point{3, 2}}
	}
	tm := TemplateCompact64
	crop := tm.NewCrop()
	if err := Align(crop, img, a.Eyes, tm); err != nil {
		t.Fatalf("Align: %v", err)
	}
	if err := AlignJittered(crop, img, a.Eyes, tm, Jitter{Flip: true, Rotate: 3, Blur: 0.7, Gamma: 0.1}); err != nil {
		t.Fatalf("AlignJittered: %v", err)
	}
	if err := Tensor(make([]float32, 3*64*64), crop, NormDlib); err != nil {
		t.Fatal(err)
	}
}

func FuzzFromRGBA(f *testing.F) {
	f.Add(make([]byte, 4*16*12), 16, 12)
	f.Add(bytes.Repeat([]byte{200, 10, 30, 255, 0, 0, 0, 0}, 200), 40, 10)
	f.Add([]byte{}, 0, 0)
	f.Add([]byte{1, 2, 3}, -1, 3)
	f.Add(make([]byte, 16), 1<<31, 1<<31)
	f.Fuzz(func(t *testing.T, pix []byte, w, h int) {
		img, err := FromRGBA(pix, w, h)
		if err != nil {
			if img != nil {
				t.Fatal("an image and an error")
			}
			return
		}
		if len(img.Pix) != 4*w*h || w > MaxSide || h > MaxSide {
			t.Fatalf("accepted %d bytes as %d×%d", len(pix), w, h)
		}
		runPipeline(t, img)
	})
}

func FuzzParseCascades(f *testing.F) {
	f.Add([]byte{}, []byte{}, uint32(0), byte(0), uint32(0))
	f.Add([]byte("0123456789abcdefghij"), []byte("0123456789abcdefghij"), uint32(0), byte(0), uint32(0))
	f.Add([]byte{}, []byte{}, uint32(20), byte(0x7f), uint32(1))
	f.Add([]byte{}, []byte{}, uint32(1000), byte(0xff), uint32(2))
	f.Add([]byte{}, []byte{}, uint32(100), byte(0xc0), uint32(3))
	ff, pl := moduleCascadeBytes(f)
	frame := noiseImage(96, 80, 9)
	f.Fuzz(func(t *testing.T, rawFF, rawPL []byte, pos uint32, val byte, mode uint32) {
		// Mode 0 parses the raw bytes; others corrupt a copy of the real
		// cascades: one byte of either file, then a cut.
		a, b := rawFF, rawPL
		if mode%4 != 0 {
			a, b = bytes.Clone(ff), bytes.Clone(pl)
			target := a
			if mode%2 == 0 {
				target = b
			}
			target[int(pos)%len(target)] = val
			if mode%4 == 3 {
				cut := int(pos) % len(target)
				if mode%2 == 0 {
					b = b[:cut]
				} else {
					a = a[:cut]
				}
			}
		}
		c, err := ParseCascades(a, b)
		if err != nil {
			return
		}
		// A cascade that parses must run without panicking, even if its
		// numbers are nonsense.
		d := c.NewDetector()
		an, err := d.Analyze(frame)
		if err != nil {
			t.Fatal(err)
		}
		for _, fc := range an.Faces {
			e := d.Eyes(fc)
			for _, v := range []float64{e.Left.X, e.Left.Y, e.Right.X, e.Right.Y} {
				if e.Found && (math.IsNaN(v) || math.IsInf(v, 0)) {
					t.Fatalf("found eyes at %v", e)
				}
			}
		}
	})
}

func FuzzAlign(f *testing.F) {
	f.Add(30.0, 40.0, 70.0, 42.0, false, 0.0, 0.0, 0.0, 0.0, 0.0)
	f.Add(-1e9, 5.0, 1e9, 5.0, true, 720.0, 0.5, -3.0, 1.0, 5.0)
	f.Add(10.0, 10.0, 10.0, 10.0, false, 0.0, -0.95, 0.0, 0.0, 0.0)
	f.Add(math.MaxFloat64, 0.0, -math.MaxFloat64, 1e-300, true, 1e300, 1e300, 1e300, 1e300, 19.0)
	src := noiseImage(100, 90, 4)
	f.Fuzz(func(t *testing.T, lx, ly, rx, ry float64, flip bool, rot, scale, shift, gamma, blur float64) {
		tm := TemplateCompact64
		crop := tm.NewCrop()
		j := Jitter{Flip: flip, Rotate: rot, Scale: scale, ShiftX: shift, ShiftY: -shift, Gamma: gamma, Contrast: gamma, Brightness: shift, Blur: blur}
		if err := AlignJittered(crop, src, Eyes{Left: Point{lx, ly}, Right: Point{rx, ry}}, tm, j); err != nil {
			return
		}
		for i := 3; i < len(crop.Pix); i += 4 {
			if crop.Pix[i] != 255 {
				t.Fatalf("crop pixel %d has alpha %d", i/4, crop.Pix[i])
			}
		}
	})
}

func FuzzParams(f *testing.F) {
	f.Add(0.1, 24, 0.1, 1.1, 0.2, float32(3), 0.25, 31, false, true)
	f.Add(0.1, 24, 0.1, 1.1, 0.2, float32(3), 0.25, 31, true, false)
	f.Add(math.Inf(1), -5, math.NaN(), math.Inf(1), 7.0, float32(math.Inf(1)), math.Inf(-1), 1000, true, true)
	f.Add(1e-9, 1<<40, 1e-9, 1.0000001, -1.0, float32(-1), 5.0, -3, true, true)
	frame := noiseImage(120, 100, 5)
	f.Fuzz(func(t *testing.T, minFace float64, minPx int, shift, scaleStep, iou float64, minScore float32, pad float64, perturbs int, coarse, retry bool) {
		d := fuzzDetector(t)
		d.Params = Params{MinFace: minFace, MinFacePixels: minPx, Shift: shift, ScaleStep: scaleStep, IoU: iou, MinScore: minScore, Pad: pad, Perturbs: perturbs, CoarseToFine: coarse, RetryFine: retry}
		a, err := d.Analyze(frame)
		if err != nil {
			t.Fatal(err)
		}
		if coarse { // a second frame, tracking the first one's faces
			if _, err := d.Analyze(frame); err != nil {
				t.Fatal(err)
			}
		}
		for _, fc := range a.Faces {
			d.Eyes(fc)
		}
	})
}
