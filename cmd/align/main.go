// Command align shows what the face pipeline does, so a person can look:
//
//	go run ./cmd/align -in face.jpg -out crop.png
//
// writes the aligned crop to crop.png and the input with the face box and
// pupils drawn to crop-marked.png (or -marked PATH).
//
//	go run ./cmd/align -sheet 64 -dir ../shared/data/lfw/images -out sheet.png
//
// writes a contact sheet of 64 aligned crops drawn evenly from the images
// under -dir (with -guides, faint lines through the template's eye
// positions).
//
//	go run ./cmd/align -rate ../shared/data/lfw/images
//
// measures over every JPEG and PNG under a folder how often a face, and a
// face with both pupils, is found, using all CPUs. With -frame 0.5 each
// image is first scaled by 0.5 and pasted in the middle of a grey 640×480
// frame, as a camera would see the face from further away; with -coarse
// the scan is the engine's coarse-to-fine one, so
//
//	go run ./cmd/align -rate ../shared/data/lfw/images -frame 0.5 -coarse
//
// measures what the engine finds in such frames.
//
// The cascades are read from the pigo module (face.LoadCascadesFromModule);
// -cascades prints the folder they are read from, for build scripts that
// copy them into the web build.
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"log"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/image/draw"

	"github.com/oneshotface/oneshot/face"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("align: ")
	var (
		in       = flag.String("in", "", "input image (JPEG or PNG) to align")
		out      = flag.String("out", "", "output PNG: the crop (with -in) or the contact sheet (with -sheet)")
		marked   = flag.String("marked", "", "with -in: where to write the input with box and pupils drawn (default: -out with -marked before .png)")
		tmplName = flag.String("template", "dlib150", "crop template: "+templateNames())
		five     = flag.Bool("five-point", false, "align by five points (pupils, nose tip, mouth corners: face.FivePointEyes), as a five-point model does, instead of the pupils alone")
		sheet    = flag.Int("sheet", 0, "write a contact sheet of this many aligned crops from -dir")
		dir      = flag.String("dir", "", "folder of images for -sheet (searched recursively)")
		guides   = flag.Bool("guides", true, "with -sheet: draw faint lines through the template's eye positions")
		jitter   = flag.Bool("jitter", false, "with -sheet: apply random training augmentations (seeded by -seed)")
		seed     = flag.Uint64("seed", 1, "seed for -jitter")
		rate     = flag.String("rate", "", "measure the detection rate over every image under this folder")
		failures = flag.String("failures", "", "with -rate: write the paths of images without face or pupils to this file")
		workers  = flag.Int("workers", runtime.GOMAXPROCS(0), "with -rate: images analysed in parallel")
		frame    = flag.Float64("frame", 0, "with -rate: scale each image by this factor and paste it in the middle of a grey 640×480 frame")
		verbose  = flag.Bool("v", false, "print the analysis of -in")
		cascades = flag.Bool("cascades", false, "print the folder holding pigo's cascade files (facefinder, puploc) and exit")
	)
	params := face.DefaultParams()
	flag.Float64Var(&params.Pad, "pad", params.Pad, "grey border added before detection, fraction of the shorter side (negative: none)")
	flag.Float64Var(&params.MinFace, "minface", params.MinFace, "smallest face, fraction of the shorter side")
	flag.Float64Var(&params.Shift, "shift", params.Shift, "window step, fraction of its size")
	flag.Float64Var(&params.ScaleStep, "scalestep", params.ScaleStep, "window growth per scale")
	flag.IntVar(&params.Perturbs, "perturbs", params.Perturbs, "pupil localiser starts per eye")
	flag.BoolVar(&params.CoarseToFine, "coarse", params.CoarseToFine, "scan coarse-to-fine, as the engine does (see face.Params.CoarseToFine)")
	flag.BoolVar(&params.RetryFine, "retry", params.RetryFine, "when the scan finds no face, scan again on a finer grid (see face.Params.RetryFine; the engine does not)")
	flag.Float64Var(&params.RetryBorder, "retry-border", params.RetryBorder, "with -retry: when the finer scan finds nothing either, scan inside a border this wide (see face.Params.RetryBorder; negative: none)")
	flag.Parse()

	if *cascades {
		dir, err := face.CascadeDir()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(dir)
		return
	}
	t, ok := face.Templates[*tmplName]
	if !ok {
		log.Fatalf("unknown -template %q: use %s", *tmplName, templateNames())
	}
	t.FivePoint = *five
	c, err := face.LoadCascadesFromModule()
	if err != nil {
		log.Fatal(err)
	}
	newDetector := func() *face.Detector {
		d := c.NewDetector()
		d.Params = params
		return d
	}

	switch {
	case *rate != "":
		if err := measureRate(*rate, *failures, *workers, *frame, newDetector); err != nil {
			log.Fatal(err)
		}
	case *sheet > 0:
		if *dir == "" || *out == "" {
			log.Fatal("-sheet needs -dir (a folder of images) and -out (the PNG to write)")
		}
		var jr *face.JitterRange
		if *jitter {
			jr = &face.DefaultJitterRange
		}
		if err := contactSheet(*dir, *out, *sheet, t, *guides, jr, *seed, newDetector()); err != nil {
			log.Fatal(err)
		}
	case *in != "":
		if *out == "" {
			log.Fatal("-in needs -out (the PNG to write the crop to)")
		}
		m := *marked
		if m == "" {
			m = strings.TrimSuffix(*out, filepath.Ext(*out)) + "-marked.png"
		}
		if err := alignOne(*in, *out, m, t, newDetector(), *verbose); err != nil {
			log.Fatal(err)
		}
	default:
		flag.Usage()
		os.Exit(2)
	}
}

// templateNames lists the crop presets -template can name (face.Templates).
func templateNames() string {
	return strings.Join(slices.Sorted(maps.Keys(face.Templates)), ", ")
}

func decodeFile(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := face.DecodePhoto(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// alignOne writes the crop of one image and the image with box and pupils.
func alignOne(in, out, marked string, t face.Template, d *face.Detector, verbose bool) error {
	img, err := decodeFile(in)
	if err != nil {
		return err
	}
	a, err := d.Analyze(img)
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d face(s); quality: %s\n", in, len(a.Faces), strings.Join(reasonsOr(a.Quality), "; "))
	if verbose {
		for i, f := range a.Faces {
			fmt.Printf("  face %d: centre (%.1f, %.1f) size %.1f score %.1f hits %d\n", i, f.X, f.Y, f.Size, f.Score, f.Hits)
		}
		q := a.Quality
		fmt.Printf("  eyes: left (%.1f, %.1f) right (%.1f, %.1f) found %v spread %.3f\n", a.Eyes.Left.X, a.Eyes.Left.Y, a.Eyes.Right.X, a.Eyes.Right.Y, a.Eyes.Found, a.Eyes.Spread)
		fmt.Printf("  quality: eye distance %.1f px, roll %.1f°, brightness %.0f, contrast %.1f, sharpness %.1f, score %.1f\n",
			q.EyeDistance, q.Roll, q.Brightness, q.Contrast, q.Sharpness, q.Score)
	}
	if len(a.Faces) == 0 {
		return fmt.Errorf("%s: no face found, no crop written", in)
	}
	eyes, err := d.AlignEyes(a, t)
	if err != nil {
		return err
	}
	crop := t.NewCrop()
	if err := face.Align(crop, img, eyes, t); err != nil {
		return err
	}
	if err := writePNG(out, crop); err != nil {
		return err
	}
	canvas := image.NewRGBA(img.Bounds())
	draw.Draw(canvas, canvas.Bounds(), img, img.Bounds().Min, draw.Src)
	for i, f := range a.Faces {
		col := color.RGBA{255, 200, 0, 255}
		if i == 0 {
			col = color.RGBA{0, 255, 0, 255}
		}
		drawRect(canvas, f.Box(), col)
	}
	eyeCol := color.RGBA{255, 0, 0, 255}
	if !a.Eyes.Found {
		eyeCol = color.RGBA{255, 0, 255, 255} // fallback: estimated from the box
	}
	r := max(2, int(a.Eyes.Distance()/12))
	drawCross(canvas, a.Eyes.Left, r, eyeCol)
	drawCross(canvas, a.Eyes.Right, r, eyeCol)
	if err := writePNG(marked, canvas); err != nil {
		return err
	}
	fmt.Printf("wrote %s (crop, template %s) and %s (box green, other faces yellow, pupils red; magenta = estimated from the box)\n", out, t.Name, marked)
	return nil
}

func reasonsOr(q face.Quality) []string {
	if q.OK() {
		return []string{"ok"}
	}
	return q.Reasons()
}

func drawRect(m *image.RGBA, r image.Rectangle, c color.RGBA) {
	for x := r.Min.X; x < r.Max.X; x++ {
		for _, y := range []int{r.Min.Y, r.Min.Y + 1, r.Max.Y - 2, r.Max.Y - 1} {
			m.SetRGBA(x, y, c)
		}
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for _, x := range []int{r.Min.X, r.Min.X + 1, r.Max.X - 2, r.Max.X - 1} {
			m.SetRGBA(x, y, c)
		}
	}
}

func drawCross(m *image.RGBA, p face.Point, r int, c color.RGBA) {
	x, y := int(math.Floor(p.X)), int(math.Floor(p.Y))
	for i := -r; i <= r; i++ {
		m.SetRGBA(x+i, y, c)
		m.SetRGBA(x, y+i, c)
	}
}

// imagesUnder lists the JPEG and PNG files under dir, sorted.
func imagesUnder(dir string) ([]string, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".jpg", ".jpeg", ".png":
			if e.Type().IsRegular() || e.Type()&fs.ModeSymlink != 0 {
				paths = append(paths, p)
			}
		}
		return nil
	})
	slices.Sort(paths)
	if err == nil && len(paths) == 0 {
		err = fmt.Errorf("no JPEG or PNG images under %s", dir)
	}
	return paths, err
}

// contactSheet aligns n images drawn evenly from dir into a grid.
func contactSheet(dir, out string, n int, t face.Template, guides bool, jr *face.JitterRange, seed uint64, d *face.Detector) error {
	paths, err := imagesUnder(dir)
	if err != nil {
		return err
	}
	n = min(n, len(paths))
	cols := int(math.Ceil(math.Sqrt(float64(n))))
	rows := (n + cols - 1) / cols
	const gap = 2
	sheet := image.NewRGBA(image.Rect(0, 0, cols*(t.Width+gap)+gap, rows*(t.Height+gap)+gap))
	draw.Draw(sheet, sheet.Bounds(), image.NewUniform(color.RGBA{40, 40, 40, 255}), image.Point{}, draw.Src)
	crop := t.NewCrop()
	rng := rand.New(rand.NewPCG(seed, 0))
	var noFace, fallback int
	for i := 0; i < n; i++ {
		p := paths[i*len(paths)/n]
		img, err := decodeFile(p)
		if err != nil {
			return err
		}
		a, err := d.Analyze(img)
		if err != nil {
			return err
		}
		if len(a.Faces) == 0 {
			noFace++
			clear(crop.Pix)
		} else {
			if !a.Eyes.Found {
				fallback++
			}
			j := face.Jitter{}
			if jr != nil {
				j = jr.Sample(rng)
			}
			eyes, err := d.AlignEyes(a, t)
			if err != nil {
				return err
			}
			if err := face.AlignJittered(crop, img, eyes, t, j); err != nil {
				return err
			}
		}
		x0 := gap + (i%cols)*(t.Width+gap)
		y0 := gap + (i/cols)*(t.Height+gap)
		r := image.Rect(x0, y0, x0+t.Width, y0+t.Height)
		draw.Draw(sheet, r, crop, image.Point{}, draw.Src)
		if guides {
			drawGuides(sheet, r, t)
		}
		if len(a.Faces) > 0 && !a.Eyes.Found {
			drawRect(sheet, r, color.RGBA{255, 0, 255, 255})
		}
	}
	if err := writePNG(out, sheet); err != nil {
		return err
	}
	fmt.Printf("wrote %s: %d crops (%d×%d, template %s) from %d images under %s; %d without a face (black), %d with eyes estimated from the box (magenta frame)\n",
		out, n, t.Width, t.Height, t.Name, len(paths), dir, noFace, fallback)
	return nil
}

// drawGuides blends faint lines through the template's eye positions.
func drawGuides(m *image.RGBA, r image.Rectangle, t face.Template) {
	blend := func(x, y int) {
		if !(image.Point{x, y}).In(r) {
			return
		}
		i := m.PixOffset(x, y)
		m.Pix[i+0] = uint8((int(m.Pix[i+0]) + 3*0) / 4)
		m.Pix[i+1] = uint8((int(m.Pix[i+1]) + 3*255) / 4)
		m.Pix[i+2] = uint8((int(m.Pix[i+2]) + 3*255) / 4)
	}
	ey := r.Min.Y + int(t.Left.Y)
	for x := r.Min.X; x < r.Max.X; x += 2 {
		blend(x, ey)
	}
	for _, ex := range []float64{t.Left.X, t.Right.X} {
		x := r.Min.X + int(ex)
		for y := r.Min.Y; y < r.Max.Y; y += 2 {
			blend(x, y)
		}
	}
}

// inFrame returns img scaled by scale in the middle of a grey 640×480
// frame (cropped if it does not fit).
func inFrame(img image.Image, scale float64) *image.RGBA {
	f := image.NewRGBA(image.Rect(0, 0, 640, 480))
	draw.Draw(f, f.Bounds(), image.NewUniform(color.Gray{128}), image.Point{}, draw.Src)
	b := img.Bounds()
	w, h := int(math.Round(scale*float64(b.Dx()))), int(math.Round(scale*float64(b.Dy())))
	at := image.Rect(320-w/2, 240-h/2, 320-w/2+w, 240-h/2+h)
	draw.BiLinear.Scale(f, at, img, b, draw.Src, nil)
	return f
}

// measureRate runs the pipeline over every image under dir (each scaled
// into a 640×480 frame first when frame > 0) and prints the rates.
func measureRate(dir, failures string, workers int, frame float64, newDetector func() *face.Detector) error {
	if frame < 0 || frame > 2.5 || math.IsNaN(frame) {
		return fmt.Errorf("-frame %g: use a scale between 0 (no frame) and 2.5", frame)
	}
	paths, err := imagesUnder(dir)
	if err != nil {
		return err
	}
	type result struct {
		face, eyes, ok, several bool
		err                     error
	}
	results := make([]result, len(paths))
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < max(workers, 1); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := newDetector()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(paths) {
					return
				}
				img, err := decodeFile(paths[i])
				if err != nil {
					results[i].err = err
					continue
				}
				if frame > 0 {
					img = inFrame(img, frame)
				}
				if d.Params.CoarseToFine {
					d = newDetector() // each image on its own: no tracking from the last one
				}
				a, err := d.Analyze(img)
				if err != nil {
					results[i].err = err
					continue
				}
				results[i] = result{
					face:    len(a.Faces) > 0,
					eyes:    len(a.Faces) > 0 && a.Eyes.Found,
					ok:      a.Quality.OK(),
					several: a.Quality.Problems.Has(face.SeveralFaces),
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var nFace, nEyes, nOK, nSeveral, nErr int
	var failed []string
	for i, r := range results {
		if r.err != nil {
			nErr++
			log.Print(r.err)
		}
		if r.face {
			nFace++
		}
		if r.eyes {
			nEyes++
		} else {
			failed = append(failed, paths[i])
		}
		if r.ok {
			nOK++
		}
		if r.several {
			nSeveral++
		}
	}
	n := float64(len(paths))
	pct := func(k int) float64 { return 100 * float64(k) / n }
	fmt.Printf("%s: %d images in %.1fs (%.1f ms an image in each of %d workers)\n", dir, len(paths), elapsed.Seconds(), elapsed.Seconds()*1000/n*float64(max(workers, 1)), workers)
	fmt.Printf("  face found:             %6d  %6.2f%%\n", nFace, pct(nFace))
	fmt.Printf("  face and both pupils:   %6d  %6.2f%%\n", nEyes, pct(nEyes))
	fmt.Printf("  quality ok (default policy): %d  %.2f%%\n", nOK, pct(nOK))
	fmt.Printf("  several faces:          %6d  %6.2f%%\n", nSeveral, pct(nSeveral))
	if nErr > 0 {
		fmt.Printf("  unreadable:             %6d\n", nErr)
	}
	if failures != "" {
		if err := os.WriteFile(failures, []byte(strings.Join(failed, "\n")+"\n"), 0o644); err != nil {
			return err
		}
		fmt.Printf("  %d images without face or pupils listed in %s\n", len(failed), failures)
	}
	return nil
}
