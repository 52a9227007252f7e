package face

import (
	"fmt"
	"image"
	"math"
	"strings"
	"time"

	"golang.org/x/image/draw"
)

// Problem is a set of reasons a frame is not good enough to enroll or
// verify a face, as bit flags. The zero Problem means none.
type Problem uint16

// The problems Analyze reports.
const (
	NoFace       Problem = 1 << iota // no face in the frame
	SeveralFaces                     // more than one face of similar size
	FaceTooSmall                     // pupils closer than Policy.MinEyeDistance
	EyesNotFound                     // pupils not localised; the crop is a rough guess
	TooDark                          // face's mean brightness below Policy.MinBrightness
	TooBright                        // … above Policy.MaxBrightness
	LowContrast                      // face's contrast below Policy.MinContrast
	TooBlurry                        // sharpness below Policy.MinSharpness
	TooTilted                        // |roll| above Policy.MaxRoll
	UnclearFace                      // detection score below Policy.MinScore
	lastProblem
)

var problemText = [...]string{
	"no face",
	"more than one face",
	"face too small: come closer",
	"eyes not found: look at the camera",
	"too dark",
	"too bright",
	"too little contrast",
	"too blurry: hold still",
	"turn your head less",
	"face unclear",
}

// Has reports whether p includes every problem in q.
func (p Problem) Has(q Problem) bool { return p&q == q }

// Messages lists the problems in p as short sentences a person
// understands, most important first.
func (p Problem) Messages() []string {
	var m []string
	for i, t := range problemText {
		if p&(1<<i) != 0 {
			m = append(m, t)
		}
	}
	return m
}

// String joins Messages with "; ", or says "ok".
func (p Problem) String() string {
	if p == 0 {
		return "ok"
	}
	return strings.Join(p.Messages(), "; ")
}

// Policy holds the quality thresholds. DefaultPolicy suits enrollment and
// verification from a webcam; loosen it for training data.
type Policy struct {
	// MinEyeDistance is the least distance between the pupils, in
	// pixels of the input image.
	MinEyeDistance float64
	// MinBrightness and MaxBrightness bound the mean grey level (0…255)
	// of the face; MinContrast bounds its standard deviation.
	MinBrightness, MaxBrightness, MinContrast float64
	// MinSharpness bounds the variance of the Laplacian of the face,
	// measured on a 64×64 crop with the eyes 28 px apart, so it does not
	// depend on the camera's resolution.
	MinSharpness float64
	// MaxRoll is the largest tilt of the line between the pupils, in
	// degrees.
	MaxRoll float64
	// MinScore is the least detection score (Face.Score).
	MinScore float32
	// OtherFace is the size, relative to the best face, from which a
	// second face counts as another person in the frame (0.5: a face half
	// as wide), if its score is at least MinScore; smaller or fainter
	// faces in the background are ignored.
	OtherFace float64
	// RequireEyes makes a fallback (box-based) eye estimate a problem.
	RequireEyes bool
}

// DefaultPolicy returns the thresholds the package was tuned with.
func DefaultPolicy() Policy {
	return Policy{
		MinEyeDistance: 28,
		MinBrightness:  50, MaxBrightness: 215, MinContrast: 15,
		MinSharpness: 20,
		MaxRoll:      20,
		MinScore:     8,
		OtherFace:    0.5,
		RequireEyes:  true,
	}
}

// Quality describes how fit a frame is for enrollment or verification:
// the measurements and the problems Policy found in them.
type Quality struct {
	// Faces is the number of people in the frame: the best face and the
	// others at least Policy.OtherFace its size with a score of at least
	// Policy.MinScore.
	Faces int
	// Score is the best face's detection score.
	Score float32
	// EyeDistance is the distance between the pupils, in image pixels.
	EyeDistance float64
	// Roll is the tilt of the line between the pupils, in degrees.
	Roll float64
	// Brightness and Contrast are the mean and standard deviation of the
	// face's grey levels (0…255).
	Brightness, Contrast float64
	// Sharpness is the variance of the Laplacian of the face at a fixed
	// scale; blurry faces are low.
	Sharpness float64
	// EyesFound is Eyes.Found.
	EyesFound bool
	// Problems is what Policy found wrong; zero means good.
	Problems Problem
}

// OK reports whether the frame has no problems.
func (q Quality) OK() bool { return q.Problems == 0 }

// Reasons is Problems.Messages with the number of faces spelt out.
func (q Quality) Reasons() []string {
	m := q.Problems.Messages()
	if q.Problems.Has(SeveralFaces) {
		for i, s := range m {
			if s == problemText[1] {
				if q.Faces == 2 {
					m[i] = "two faces"
				} else {
					m[i] = fmt.Sprintf("%d faces", q.Faces)
				}
			}
		}
	}
	return m
}

// Analysis is the result of Detector.Analyze: every face, the chosen one,
// its eyes and the verdict on the frame.
type Analysis struct {
	// Faces holds every face found, best first. It is owned by the
	// Detector and overwritten by its next call.
	Faces []Face
	// Face is the best face, Faces[0]; the zero Face when there is none.
	Face Face
	// Eyes are Face's pupils (the zero Eyes when there is no face).
	Eyes Eyes
	// Quality is the verdict.
	Quality Quality
	// Times are how long Analyze's stages took.
	Times StageTimes
}

// StageTimes are how long the stages of one Analyze call took, on the
// monotonic clock (in a browser, performance.now(), whose resolution the
// browser may coarsen to between 5 and 100 µs). A stage that did not run
// (no face: no pupils, no quality) is 0.
type StageTimes struct {
	// Detect is the face scan: the greyscale copy of the frame, the
	// detection cascade over every window and scale, and the clustering.
	Detect time.Duration
	// Pupils is the pupil localisation of the best face.
	Pupils time.Duration
	// Quality is the quality measurements and checks of the best face.
	Quality time.Duration
}

// Analyze runs the pipeline up to the crop: Detect, then Eyes on the best
// face, then the quality checks of d.Policy. Align the face afterwards
// from the eyes the template asks for: eyes, err := d.AlignEyes(a,
// template), then Align(crop, img, eyes, template) (for a template of the
// pupils, eyes is a.Eyes).
//
// A frame without a face is not an error: the Analysis says NoFace. The
// error is for input the pipeline cannot read (see Detect).
func (d *Detector) Analyze(img image.Image) (Analysis, error) {
	t0 := time.Now()
	faces, err := d.Detect(img)
	if err != nil {
		return Analysis{}, err
	}
	t1 := time.Now()
	a := Analysis{Faces: faces}
	a.Times.Detect = t1.Sub(t0)
	if len(faces) == 0 {
		a.Quality.Problems = NoFace
		return a, nil
	}
	a.Face = faces[0]
	a.Eyes = d.Eyes(a.Face)
	t2 := time.Now()
	a.Quality = d.assess(faces, a.Eyes)
	a.Times.Pupils, a.Times.Quality = t2.Sub(t1), time.Since(t2)
	return a, nil
}

// qualityTemplate is the fixed geometry quality is measured at.
var qualityTemplate = DlibTemplate(64, 0.1)

// assess measures the best face and applies the policy.
func (d *Detector) assess(faces []Face, eyes Eyes) Quality {
	pol := d.Policy
	best := faces[0]
	q := Quality{
		Score:       best.Score,
		EyeDistance: eyes.Distance(),
		Roll:        eyes.Roll(),
		EyesFound:   eyes.Found,
	}
	q.Faces = 1
	for _, f := range faces[1:] {
		if f.Size >= pol.OtherFace*best.Size && f.Score >= pol.MinScore {
			q.Faces++
		}
	}
	q.Brightness, q.Contrast, q.Sharpness = d.measure(eyes)

	if q.Faces > 1 {
		q.Problems |= SeveralFaces
	}
	if q.EyeDistance < pol.MinEyeDistance {
		q.Problems |= FaceTooSmall
	}
	if pol.RequireEyes && !eyes.Found {
		q.Problems |= EyesNotFound
	}
	if q.Brightness < pol.MinBrightness {
		q.Problems |= TooDark
	}
	if q.Brightness > pol.MaxBrightness {
		q.Problems |= TooBright
	}
	if q.Contrast < pol.MinContrast {
		q.Problems |= LowContrast
	}
	if q.Sharpness < pol.MinSharpness {
		q.Problems |= TooBlurry
	}
	if math.Abs(q.Roll) > pol.MaxRoll {
		q.Problems |= TooTilted
	}
	if q.Score < pol.MinScore {
		q.Problems |= UnclearFace
	}
	return q
}

// measure aligns the greyscale face into a small fixed crop and returns
// the mean and standard deviation of its grey levels and the variance of
// its Laplacian, over the inner face (brows to mouth, cheek to cheek).
func (d *Detector) measure(eyes Eyes) (mean, std, sharp float64) {
	t := qualityTemplate
	if d.qcrop == nil {
		d.qcrop = t.NewCrop()
	}
	m := t.Transform(eyes, Jitter{})
	clearRGBA(d.qcrop)
	draw.BiLinear.Transform(d.qcrop, m, &d.greyImg, d.greyImg.Bounds(), draw.Src, nil)

	dist := t.Right.X - t.Left.X
	x0 := int(t.Left.X - 0.2*dist)
	x1 := int(t.Right.X + 0.2*dist)
	y0 := int(t.Left.Y - 0.3*dist)
	y1 := int(t.Left.Y + 1.2*dist)
	x0, y0 = max(x0, 1), max(y0, 1)
	x1, y1 = min(x1, t.Width-1), min(y1, t.Height-1)

	pix, stride := d.qcrop.Pix, d.qcrop.Stride
	g := func(x, y int) float64 { return float64(pix[y*stride+4*x]) }
	var s, ss, l, ll, n float64
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			v := g(x, y)
			s += v
			ss += v * v
			lap := g(x-1, y) + g(x+1, y) + g(x, y-1) + g(x, y+1) - 4*v
			l += lap
			ll += lap * lap
			n++
		}
	}
	if n == 0 {
		return 0, 0, 0
	}
	mean = s / n
	std = math.Sqrt(max(ss/n-mean*mean, 0))
	lm := l / n
	sharp = max(ll/n-lm*lm, 0)
	return mean, std, sharp
}
