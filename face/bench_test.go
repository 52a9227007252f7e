package face

import (
	"image"
	"path/filepath"
	"testing"

	"golang.org/x/image/draw"
)

// benchFrame is a 640×480 frame holding one LFW face enlarged 1.6×, about
// the size of a face at arm's length from a laptop camera.
func benchFrame(b *testing.B) *image.RGBA {
	dir := dataDir(b)
	img := decodeFile(b, filepath.Join(dir, "lfw", "images", "Aaron_Eckhart", "Aaron_Eckhart_0001.jpg"))
	big := image.NewRGBA(image.Rect(0, 0, 400, 400))
	draw.BiLinear.Scale(big, big.Bounds(), img, img.Bounds(), draw.Src, nil)
	return webcamFrame(big, 120, 60)
}

// BenchmarkPipeline640x480 is one webcam frame through what the engine
// runs before the network: detection with the engine's frame detector
// (usable faces only, coarse-to-fine), pupils, quality, the nose and mouth
// of five-point alignment, and alignment to the compact embedder's 64×64
// crop and its tensor. make bench sets it beside the same stages measured
// in the browser.
func BenchmarkPipeline640x480(b *testing.B) {
	frame := benchFrame(b)
	d := testCascades(b).NewFrameDetector()
	five := TemplateCompact64
	five.FivePoint = true
	crop := five.NewCrop()
	tensor := make([]float32, 3*64*64)
	b.ReportAllocs()
	for b.Loop() {
		a, err := d.Analyze(frame)
		if err != nil || len(a.Faces) == 0 {
			b.Fatalf("no face: %v", err)
		}
		eyes, err := d.AlignEyes(a, five)
		if err != nil {
			b.Fatal(err)
		}
		if err := Align(crop, frame, eyes, five); err != nil {
			b.Fatal(err)
		}
		if err := Tensor(tensor, crop, NormSigned); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDetect640x480 is detection alone on the same frame.
func BenchmarkDetect640x480(b *testing.B) {
	frame := benchFrame(b)
	d := testDetector(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Detect(frame); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnalyzeLFW is the pipeline without alignment on one 250×250
// LFW image, the unit of work when preparing training data.
func BenchmarkAnalyzeLFW(b *testing.B) {
	dir := dataDir(b)
	img := decodeFile(b, filepath.Join(dir, "lfw", "images", "Aaron_Eckhart", "Aaron_Eckhart_0001.jpg"))
	d := testDetector(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Analyze(img); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAlign is the alignment of one face into the 150×150 crop.
func BenchmarkAlign(b *testing.B) {
	frame := benchFrame(b)
	d := testDetector(b)
	a, _ := d.Analyze(frame)
	crop := TemplateDlib150.NewCrop()
	b.ReportAllocs()
	for b.Loop() {
		if err := Align(crop, frame, a.Eyes, TemplateDlib150); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDetect640x480Usable is detection on the same frame searching
// only faces that can pass the quality policy, exhaustively.
func BenchmarkDetect640x480Usable(b *testing.B) {
	frame := benchFrame(b)
	d := testDetector(b)
	d.Params.MinFacePixels = d.Policy.SmallestUsefulFace()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Detect(frame); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDetect640x480Frame is detection on the same frame with the
// engine's frame detector: usable faces only, scanned coarse-to-fine.
func BenchmarkDetect640x480Frame(b *testing.B) {
	frame := benchFrame(b)
	d := testCascades(b).NewFrameDetector()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Detect(frame); err != nil {
			b.Fatal(err)
		}
	}
}
