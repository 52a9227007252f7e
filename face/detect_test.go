package face

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	pigo "github.com/esimov/pigo/core"
	"golang.org/x/image/draw"
)

// TestScanMatchesPigo checks the package's cascade scan against pigo's
// own RunCascade: same windows, same scores.
func TestScanMatchesPigo(t *testing.T) {
	ff, _ := moduleCascadeBytes(t)
	ref, err := pigo.NewPigo().Unpack(ff)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := parseFacefinder(ff)
	if err != nil {
		t.Fatal(err)
	}

	// An LFW image when the data is here, else a synthetic pattern.
	var grey []uint8
	rows, cols := 0, 0
	if img, ok := tryLFW(t, "Mark_Geragos/Mark_Geragos_0001.jpg"); ok {
		d := testDetector(t)
		d.toGrey(img, 0)
		grey, rows, cols = d.grey, d.gh, d.gw
	} else {
		rows, cols = 180, 200
		grey = make([]uint8, rows*cols)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range grey {
			grey[i] = uint8(128 + 60*math.Sin(float64(i%cols)/9) + 30*math.Cos(float64(i/cols)/7) + 20*rng.Float64())
		}
	}
	cp := pigo.CascadeParams{MinSize: 20, MaxSize: 170, ShiftFactor: 0.1, ScaleFactor: 1.1,
		ImageParams: pigo.ImageParams{Pixels: grey, Rows: rows, Cols: cols, Dim: cols}}
	want := ref.RunCascade(cp, 0)
	var sc scanner
	got := sc.scan(fc, grey, rows, cols, 20, 170, 0.1, 1.1, region{0, rows, 0, cols}, 0)
	if len(got) != len(want) {
		t.Fatalf("scan found %d windows, pigo %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.row != w.Row || g.col != w.Col || g.size != w.Scale || math.Abs(float64(g.q-w.Q)) > 1e-4 {
			t.Fatalf("window %d: got %+v, pigo %+v", i, g, w)
		}
	}
	t.Logf("%d windows agree with pigo", len(got))
}

// tryLFW decodes one LFW image if the data is present.
func tryLFW(t *testing.T, rel string) (image.Image, bool) {
	dir := os.Getenv("ONESHOT_DATA")
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			return nil, false
		}
		dir = filepath.Join(root, "..", "shared", "data")
	}
	p := filepath.Join(dir, "lfw", "images", rel)
	if _, err := os.Stat(p); err != nil {
		return nil, false
	}
	return decodeFile(t, p), true
}

func TestDetectNothing(t *testing.T) {
	d := testDetector(t)
	flat := image.NewRGBA(image.Rect(0, 0, 640, 480))
	draw.Draw(flat, flat.Bounds(), image.NewUniform(color.RGBA{90, 120, 150, 255}), image.Point{}, draw.Src)
	noise := image.NewGray(image.Rect(0, 0, 320, 240))
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range noise.Pix {
		noise.Pix[i] = uint8(rng.IntN(256))
	}
	for name, img := range map[string]image.Image{"flat": flat, "noise": noise, "1×1": image.NewGray(image.Rect(0, 0, 1, 1))} {
		a, err := d.Analyze(img)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(a.Faces) != 0 || !a.Quality.Problems.Has(NoFace) || a.Quality.OK() {
			t.Errorf("%s: %d faces, problems %q; want no face", name, len(a.Faces), a.Quality.Problems)
		}
	}
}

func TestDetectBadInput(t *testing.T) {
	d := testDetector(t)
	for name, img := range map[string]image.Image{
		"nil":      nil,
		"empty":    image.NewRGBA(image.Rectangle{}),
		"too wide": image.NewGray(image.Rect(0, 0, MaxSide+1, 2)),
	} {
		if _, err := d.Detect(img); err == nil {
			t.Errorf("Detect(%s) succeeded", name)
		}
		if _, err := d.Analyze(img); err == nil {
			t.Errorf("Analyze(%s) succeeded", name)
		}
	}
	var zero Detector
	if _, err := zero.Detect(image.NewGray(image.Rect(0, 0, 8, 8))); err == nil {
		t.Error("Detect on a zero Detector succeeded")
	}
	if _, err := NewDetector(nil, nil); err == nil {
		t.Error("NewDetector(nil, nil) succeeded")
	}
}

// TestWebcamFrame pastes LFW faces into 640×480 frames and checks the box,
// the pupils, the mapping back to frame coordinates and the verdicts.
func TestWebcamFrame(t *testing.T) {
	d := testDetector(t)
	dir := dataDir(t)
	// The middle of LFW images: the labelled face, without the people
	// behind it.
	middle := func(rel string) image.Image {
		img := decodeFile(t, filepath.Join(dir, "lfw", "images", rel))
		return img.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(image.Rect(50, 40, 200, 220))
	}
	face1 := middle("Aaron_Eckhart/Aaron_Eckhart_0001.jpg")
	face2 := middle("Colin_Powell/Colin_Powell_0001.jpg")

	// Where are the pupils in the LFW image itself?
	ref, err := d.Analyze(face1)
	if err != nil || len(ref.Faces) == 0 || !ref.Eyes.Found {
		t.Fatalf("no face or pupils in the LFW image: %v", err)
	}
	for _, off := range []image.Point{{0, 0}, {200, 120}, {490, 300}} {
		frame := webcamFrame(face1, off.X, off.Y)
		a, err := d.Analyze(frame)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Faces) != 1 || !a.Eyes.Found {
			t.Fatalf("face at %v: %d faces, eyes found %v", off, len(a.Faces), a.Eyes.Found)
		}
		dx := float64(off.X - face1.Bounds().Min.X)
		dy := float64(off.Y - face1.Bounds().Min.Y)
		for _, p := range [][2]Point{{a.Eyes.Left, ref.Eyes.Left}, {a.Eyes.Right, ref.Eyes.Right}} {
			if e := math.Hypot(p[0].X-p[1].X-dx, p[0].Y-p[1].Y-dy); e > 3 {
				t.Errorf("face at %v: pupil at (%.1f, %.1f), want near (%.1f, %.1f)", off, p[0].X, p[0].Y, p[1].X+dx, p[1].Y+dy)
			}
		}
		if !a.Quality.OK() {
			t.Errorf("face at %v: quality problems %q (%+v)", off, a.Quality.Problems, a.Quality)
		}
	}

	// Two people.
	frame := webcamFrame(face1, 40, 100)
	b := face2.Bounds()
	draw.Draw(frame, b.Sub(b.Min).Add(image.Pt(400, 120)), face2, b.Min, draw.Src)
	a, err := d.Analyze(frame)
	if err != nil {
		t.Fatal(err)
	}
	if a.Quality.Faces != 2 || !a.Quality.Problems.Has(SeveralFaces) || !slices.Contains(a.Quality.Reasons(), "two faces") {
		t.Errorf("two people: %d faces, reasons %q", a.Quality.Faces, a.Quality.Reasons())
	}

	// A small face.
	small := image.NewRGBA(image.Rect(0, 0, 75, 90))
	draw.BiLinear.Scale(small, small.Bounds(), face1, face1.Bounds(), draw.Src, nil)
	a, err = d.Analyze(webcamFrame(small, 270, 190))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Faces) > 0 && !a.Quality.Problems.Has(FaceTooSmall) {
		t.Errorf("small face: problems %q, eye distance %.1f; want %q", a.Quality.Problems, a.Quality.EyeDistance, FaceTooSmall)
	}

	// Dark and blurry.
	dark := webcamFrame(face1, 200, 120)
	Jitter{Brightness: -0.45}.applyPixels(dark)
	if a, _ := d.Analyze(dark); !a.Quality.Problems.Has(TooDark) {
		t.Errorf("dark frame: problems %q, brightness %.0f", a.Quality.Problems, a.Quality.Brightness)
	}
	blurry := webcamFrame(face1, 200, 120)
	gaussianBlur(blurry, 3.5)
	if a, _ := d.Analyze(blurry); len(a.Faces) > 0 && !a.Quality.Problems.Has(TooBlurry) {
		t.Errorf("blurry frame: problems %q, sharpness %.1f", a.Quality.Problems, a.Quality.Sharpness)
	}
}

// TestDeterministic checks the same image always gives the same answer,
// whatever the Detector saw before.
func TestDeterministic(t *testing.T) {
	d1, d2 := testDetector(t), testDetector(t)
	dir := dataDir(t)
	img := decodeFile(t, filepath.Join(dir, "lfw", "images", "Colin_Powell", "Colin_Powell_0001.jpg"))
	other := decodeFile(t, filepath.Join(dir, "orl", "s1", "1.png"))
	a1, _ := d1.Analyze(img)
	want := a1.Eyes
	d2.Analyze(other)
	for range 3 {
		a2, _ := d2.Analyze(img)
		if a2.Eyes != want {
			t.Fatalf("eyes %+v, then %+v", want, a2.Eyes)
		}
	}
}

// TestDetectionRate runs the pipeline over an even sample of LFW and ORL.
// The full measurement is `go run ./cmd/align -rate DIR`.
func TestDetectionRate(t *testing.T) {
	d := testDetector(t)
	dir := dataDir(t)
	for _, set := range []struct {
		name             string
		n                int
		minFace, minEyes float64
	}{
		{"lfw", 200, 0.98, 0.97},
		{"orl", 100, 0.97, 0.96},
	} {
		paths := sample(imagesUnder(t, filepath.Join(dir, set.name)), set.n)
		var faces, eyes int
		for _, p := range paths {
			a, err := d.Analyze(decodeFile(t, p))
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Faces) > 0 {
				faces++
				if a.Eyes.Found {
					eyes++
				}
			}
		}
		n := float64(len(paths))
		t.Logf("%s: %d images, face %.1f%%, face and both pupils %.1f%%", set.name, len(paths), 100*float64(faces)/n, 100*float64(eyes)/n)
		if float64(faces)/n < set.minFace || float64(eyes)/n < set.minEyes {
			t.Errorf("%s: face %d/%d, pupils %d/%d; want at least %.0f%% and %.0f%%", set.name, faces, len(paths), eyes, len(paths), 100*set.minFace, 100*set.minEyes)
		}
	}
}

// TestCoarseToFine checks that the coarse-to-fine scan finds the faces
// the exhaustive scan finds, with the same pupils, on LFW and ORL images
// and on webcam-sized frames, while classifying far fewer windows.
func TestCoarseToFine(t *testing.T) {
	full, coarse := testDetector(t), testDetector(t)
	coarse.Params.CoarseToFine = true
	dir := dataDir(t)
	type input struct {
		name string
		img  image.Image
	}
	var inputs []input
	for _, set := range []struct {
		name string
		n    int
	}{{"lfw", 150}, {"orl", 50}} {
		for _, p := range sample(imagesUnder(t, filepath.Join(dir, set.name)), set.n) {
			inputs = append(inputs, input{p, decodeFile(t, p)})
		}
	}
	for i, in := range inputs[:20] { // the same faces, smaller and larger, in a frame
		b := in.img.Bounds()
		side := 100 + 15*i
		scaled := image.NewRGBA(image.Rect(0, 0, side, side*b.Dy()/b.Dx()))
		draw.BiLinear.Scale(scaled, scaled.Bounds(), in.img, b, draw.Src, nil)
		inputs = append(inputs, input{in.name + " in a frame", webcamFrame(scaled, 20*i, 10*i)})
	}
	var same, fullTried, coarseTried int
	for _, in := range inputs {
		a, err := full.Analyze(in.img)
		if err != nil {
			t.Fatal(err)
		}
		fullTried += full.scan.tried
		coarse.scan.prior = nil // each image on its own, no tracking
		b, err := coarse.Analyze(in.img)
		if err != nil {
			t.Fatal(err)
		}
		coarseTried += coarse.scan.tried
		if len(a.Faces) == 0 {
			if len(b.Faces) == 0 {
				same++
			}
			continue
		}
		if len(b.Faces) == 0 {
			t.Logf("%s: coarse-to-fine found no face", in.name)
			continue
		}
		if o := overlap(a.Faces[0], b.Faces[0]); o < 0.8 {
			t.Logf("%s: best faces overlap %.2f", in.name, o)
			continue
		}
		d := math.Max(math.Hypot(a.Eyes.Left.X-b.Eyes.Left.X, a.Eyes.Left.Y-b.Eyes.Left.Y),
			math.Hypot(a.Eyes.Right.X-b.Eyes.Right.X, a.Eyes.Right.Y-b.Eyes.Right.Y))
		if d > 0.05*a.Eyes.Distance() {
			t.Logf("%s: pupils moved %.1f px", in.name, d)
			continue
		}
		same++
	}
	n := len(inputs)
	ratio := float64(coarseTried) / float64(fullTried)
	t.Logf("%d of %d images: the same face and pupils; windows classified: %d coarse-to-fine vs %d (%.2f)", same, n, coarseTried, fullTried, ratio)
	if float64(same) < 0.97*float64(n) {
		t.Errorf("coarse-to-fine agreed with the exhaustive scan on %d of %d images; want at least 97%%", same, n)
	}
	if ratio > 0.45 {
		t.Errorf("coarse-to-fine classified %.2f of the exhaustive scan's windows; want at most 0.45", ratio)
	}

	// Tracking: a face found in a frame is found in the next frame, moved
	// a little, with the exhaustive scan's box and pupils.
	frames := inputs[len(inputs)-20:]
	for _, in := range frames {
		if a, _ := coarse.Analyze(in.img); len(a.Faces) == 0 {
			continue
		}
		moved := image.NewRGBA(in.img.Bounds())
		draw.Draw(moved, moved.Bounds().Add(image.Pt(3, 2)), in.img, in.img.Bounds().Min, draw.Src)
		a, _ := full.Analyze(moved)
		b, _ := coarse.Analyze(moved)
		if len(a.Faces) == 0 {
			continue
		}
		if len(b.Faces) == 0 || overlap(a.Faces[0], b.Faces[0]) < 0.99 || a.Eyes != b.Eyes {
			t.Errorf("%s moved: tracked face %+v, exhaustive %+v", in.name, b.Faces, a.Faces[0])
		}
	}
}

// TestRetryFine checks the photo detector's second, finer scan on LFW
// training images in which the usual grid finds no face: without the retry
// there is none, with it the face in the middle of the picture is found,
// with both pupils. The camera's frame detector does not retry.
func TestRetryFine(t *testing.T) {
	dir := dataDir(t)
	once := testDetector(t)
	once.Params.RetryFine = false
	retry := testDetector(t)
	if !retry.Params.RetryFine || testCascades(t).NewFrameDetector().Params.RetryFine {
		t.Fatal("want RetryFine on for the photo detector and off for the frame detector")
	}
	for _, rel := range []string{
		"Bill_Clinton/Bill_Clinton_0027.jpg",
		"Bonnie_Hunt/Bonnie_Hunt_0001.jpg",
		"Kobe_Bryant/Kobe_Bryant_0001.jpg",
	} {
		img := decodeFile(t, filepath.Join(dir, "lfw", "images", rel))
		a, err := once.Analyze(img)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Faces) != 0 {
			t.Errorf("%s: the usual scan finds %d faces; this test wants an image it misses", rel, len(a.Faces))
			continue
		}
		a, err = retry.Analyze(img)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Faces) == 0 {
			t.Errorf("%s: no face after the finer scan", rel)
			continue
		}
		// LFW's deep-funneled pictures are centred on the face.
		f := a.Faces[0]
		if math.Hypot(f.X-125, f.Y-125) > 30 || !a.Eyes.Found {
			t.Errorf("%s: face at (%.0f, %.0f), pupils found %v; want the face in the middle with both pupils", rel, f.X, f.Y, a.Eyes.Found)
		}
	}
}

// TestRetryBorder checks the photo detector's last scan inside a wider
// border on FIW training pictures whose faces fill the frame, forehead or
// chin cut: with the usual border (and the finer scan) no face is found,
// with RetryBorder's the face filling the middle of the picture is.
func TestRetryBorder(t *testing.T) {
	dir := dataDir(t)
	usual := testDetector(t)
	usual.Params.RetryBorder = -1
	wide := testDetector(t)
	if wide.Params.RetryBorder <= wide.Params.Pad {
		t.Fatalf("the photo detector's RetryBorder %v is not wider than its Pad %v", wide.Params.RetryBorder, wide.Params.Pad)
	}
	for _, rel := range []string{
		"F0007/MID1/P00075_face2.jpg",
		"F0033/MID2/P00343_face4.jpg",
		"F0349/MID1/P11110_face1.jpg",
	} {
		img := decodeFile(t, filepath.Join(dir, "fiw", "images", rel))
		a, err := usual.Analyze(img)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Faces) != 0 {
			t.Errorf("%s: the usual border finds %d faces; this test wants a picture it misses", rel, len(a.Faces))
			continue
		}
		if a, err = wide.Analyze(img); err != nil {
			t.Fatal(err)
		}
		if len(a.Faces) == 0 {
			t.Errorf("%s: no face inside the wider border", rel)
			continue
		}
		f, b := a.Faces[0], img.Bounds()
		if math.Hypot(f.X-float64(b.Dx())/2, f.Y-float64(b.Dy())/2) > 25 || f.Size < 0.8*float64(b.Dx()) {
			t.Errorf("%s: face at (%.0f, %.0f) of size %.0f; want the face filling the middle of the %d×%d picture", rel, f.X, f.Y, f.Size, b.Dx(), b.Dy())
		}
	}
}
