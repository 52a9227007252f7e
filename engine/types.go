package engine

import (
	"encoding/json"
	"math"
	"time"

	"github.com/oneshotface/oneshot/face"
)

// Frame is one picture: RGBA bytes, four a pixel, rows top to bottom with
// no padding (a browser's ImageData.data), and its size in pixels. The
// engine reads Pix during the call only and never changes it.
type Frame struct {
	Pix           []byte
	Width, Height int
}

// Point is a position in frame coordinates, in pixels.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Box is a face's square in frame coordinates: its top-left corner and
// size, in pixels. It may reach outside the frame.
type Box struct {
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// Pupils are the two pupils of a face. Left is the one on the image's left.
// Found is false when the localiser failed and the positions are estimated
// from the box (good enough to draw, not for a precise crop).
type Pupils struct {
	Left  Point `json:"left"`
	Right Point `json:"right"`
	Found bool  `json:"found"`
}

// Face is one face found in a frame.
type Face struct {
	Box Box `json:"box"`
	// Score is the detector's confidence: around 5 is a weak face, 20 and
	// more a clear one.
	Score  float32 `json:"score"`
	Pupils Pupils  `json:"pupils"`
}

// Quality is the verdict on a frame for enrollment or verification: the
// problems found (as codes a program can switch on and as sentences a
// person understands) and the measurements behind them.
type Quality struct {
	// OK is true when the frame has no problem.
	OK bool `json:"ok"`
	// Problems are codes, one per problem: "noFace", "severalFaces",
	// "faceTooSmall", "eyesNotFound", "tooDark", "tooBright",
	// "lowContrast", "tooBlurry", "tooTilted", "unclearFace".
	Problems []string `json:"problems"`
	// Reasons say the same in words, most important first ("too dark").
	Reasons []string `json:"reasons"`
	// Faces is how many faces of similar size the frame holds.
	Faces int `json:"faces"`
	// EyeDistance is the distance between the pupils, in pixels.
	EyeDistance float64 `json:"eyeDistance"`
	// Roll is the tilt of the line between the pupils, in degrees.
	Roll float64 `json:"roll"`
	// Brightness and Contrast are the mean and standard deviation of the
	// face's grey levels (0…255).
	Brightness float64 `json:"brightness"`
	Contrast   float64 `json:"contrast"`
	// Sharpness is the variance of the Laplacian of the face; blurry
	// faces are low.
	Sharpness float64 `json:"sharpness"`
}

// Detection is the answer of Detect.
type Detection struct {
	// Width and Height are the frame's size.
	Width  int `json:"width"`
	Height int `json:"height"`
	// Faces are the faces found, best first (at most MaxFaces); empty
	// when there is none.
	Faces []Face `json:"faces"`
	// Quality is the verdict on the frame, judged on the best face.
	Quality Quality `json:"quality"`
	// Timings are how long the call's stages took in the engine (align
	// and embed are 0: Detect does neither).
	Timings Timings `json:"timings"`
}

// Embedding is the answer of Embed.
type Embedding struct {
	// Vector is the best face's unit embedding.
	Vector []float32 `json:"vector"`
	// Face is the face that was embedded.
	Face Face `json:"face"`
	// Quality is the verdict on the frame.
	Quality Quality `json:"quality"`
	// Timings are how long the call's stages took in the engine; Embed
	// is the forward pass of the one crop.
	Timings Timings `json:"timings"`
}

// FrameResult is what Enroll did with one frame.
type FrameResult struct {
	// Accepted is true when the frame was kept.
	Accepted bool `json:"accepted"`
	// Reasons say why a refused frame was refused; empty when accepted.
	Reasons []string `json:"reasons"`
	// Distance is an accepted frame's squared distance to the person's
	// new template (0 for a refused frame).
	Distance float32 `json:"distance"`
	// Face is the best face of the frame; nil when there was none.
	Face *Face `json:"face"`
	// Quality is the verdict on the frame.
	Quality Quality `json:"quality"`
}

// EnrollResult is the answer of Enroll.
type EnrollResult struct {
	// ID is the person enrolled.
	ID string `json:"id"`
	// Enrolled is true when the person is now in the gallery (at least one
	// frame was accepted).
	Enrolled bool `json:"enrolled"`
	// Frames has one result per frame, in order.
	Frames []FrameResult `json:"frames"`
	// Accepted and Refused count the frames.
	Accepted int `json:"accepted"`
	Refused  int `json:"refused"`
	// Replaced is true when someone enrolled as ID before was replaced.
	Replaced bool `json:"replaced"`
	// Spread is the mean squared distance of the accepted frames to the
	// template: near the threshold means they hardly look like one person.
	Spread float32 `json:"spread"`
	// Timings are how long the call's stages took in the engine, each
	// summed over the frames (refused frames are not aligned or embedded).
	Timings Timings `json:"timings"`
}

// Verification is the answer of Verify.
type Verification struct {
	// ID is the person the face was compared with.
	ID string `json:"id"`
	// Judged is false when the frame's quality had problems and the call
	// did not ask for a verdict anyway (Options.AnyQuality): the face was
	// not compared, Match is false, Distance and Score are 0 (and left out
	// of the JSON), and Quality says what to fix.
	Judged bool `json:"judged"`
	// Match is true when the face was judged and Distance ≤ Threshold.
	Match bool `json:"match"`
	// Distance is the squared distance of the face's embedding to the
	// person's template, 0 (identical) … 4 (opposite).
	Distance float32 `json:"distance"`
	// Threshold is the threshold the verdict used.
	Threshold float32 `json:"threshold"`
	// Score restates Distance as a 0–100 similarity, 50 at the threshold.
	Score float32 `json:"score"`
	// Face is the face that was compared; Quality the verdict on the frame.
	Face    Face    `json:"face"`
	Quality Quality `json:"quality"`
	// Timings are how long the call's stages took in the engine.
	Timings Timings `json:"timings"`
}

// MarshalJSON writes v's JSON; a Verification that was not judged has no
// distance and no score, so that a caller comparing them with the threshold
// itself cannot read a match into a frame nobody compared.
func (v Verification) MarshalJSON() ([]byte, error) {
	type plain Verification
	if v.Judged {
		return json.Marshal(plain(v))
	}
	return json.Marshal(struct {
		plain
		Distance *float32 `json:"distance,omitempty"`
		Score    *float32 `json:"score,omitempty"`
	}{plain: plain(v)})
}

// Candidate is one enrolled person in Identify's ranking.
type Candidate struct {
	ID       string  `json:"id"`
	Distance float32 `json:"distance"`
	Score    float32 `json:"score"`
	Match    bool    `json:"match"`
}

// Identification is the answer of Identify.
type Identification struct {
	// Judged is false when the frame's quality had problems and the call
	// did not ask for a verdict anyway (Options.AnyQuality): nobody was
	// compared, Candidates is empty, Unknown false, ID "", and Quality
	// says what to fix.
	Judged bool `json:"judged"`
	// Candidates are the nearest enrolled people, nearest first.
	Candidates []Candidate `json:"candidates"`
	// Unknown is true when the face was judged and nobody is within the
	// threshold.
	Unknown bool `json:"unknown"`
	// ID is the nearest person when they are within the threshold, else "".
	ID string `json:"id"`
	// Threshold is the threshold used.
	Threshold float32 `json:"threshold"`
	Face      Face    `json:"face"`
	Quality   Quality `json:"quality"`
	// Timings are how long the call's stages took in the engine.
	Timings Timings `json:"timings"`
}

// Timings are how long the stages of one call took inside the engine, in
// milliseconds, measured with Go's monotonic clock. In the wasm module that
// clock is the worker's performance.now(), so these are the module's own
// compute times, without the postMessage round trip, the copy of the pixels
// into Go or the encoding of the answer; a browser may coarsen that clock
// to 5 µs (cross-origin isolated pages) or 100 µs. Stages a call did not
// run are 0.
type Timings struct {
	// Detect is the face scan: greyscale conversion, the detection
	// cascade over the frame, clustering.
	Detect float64 `json:"detect"`
	// Pupils is the pupil localisation (of every face reported, for
	// Detect; of the best face otherwise).
	Pupils float64 `json:"pupils"`
	// Quality is the quality measurements and checks of the best face.
	Quality float64 `json:"quality"`
	// Align is the similarity-transform alignment of the face into the
	// model's crop, with the nose and mouth localised first for a
	// five-point model.
	Align float64 `json:"align"`
	// Embed is the network's forward pass on the aligned crop (its
	// conversion to the input tensor and the scaling to unit length
	// included): what a crop-only embed would cost.
	Embed float64 `json:"embed"`
	// Total is the whole call in the engine, from its start to its
	// answer: the stages above plus the frame checks and the gallery's
	// work (and, when calls overlap, waiting for the one before).
	Total float64 `json:"total"`
}

// stopwatch adds up the stages of one call. The zero stopwatch is not
// started: make one with startStopwatch.
type stopwatch struct {
	start                               time.Time
	detect, pupils, quality, align, emb time.Duration
}

// startStopwatch starts timing a call.
func startStopwatch() *stopwatch { return &stopwatch{start: time.Now()} }

// addAnalysis adds the face pipeline's stage times; a nil stopwatch
// ignores them.
func (s *stopwatch) addAnalysis(t face.StageTimes) {
	if s == nil {
		return
	}
	s.detect += t.Detect
	s.pupils += t.Pupils
	s.quality += t.Quality
}

// timings reports the stages, and the total so far, in milliseconds.
func (s *stopwatch) timings() Timings {
	return Timings{
		Detect:  ms(s.detect),
		Pupils:  ms(s.pupils),
		Quality: ms(s.quality),
		Align:   ms(s.align),
		Embed:   ms(s.emb),
		Total:   ms(time.Since(s.start)),
	}
}

// ms converts a duration to milliseconds, rounded to the microsecond.
// A nonzero duration shorter than that reports 0.001, not 0.
func ms(d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return max(math.Round(float64(d)/1e3)/1e3, 0.001)
}

// Options tune Verify and Identify.
type Options struct {
	// Threshold overrides the model's threshold when not 0; it must be
	// between 0 and 4 (exclusive).
	Threshold float32 `json:"threshold,omitempty"`
	// Strict asks for the model's strict point (ModelInfo.StrictThreshold)
	// instead of its default threshold; it is an error for a model that
	// has none, and beside a Threshold.
	Strict bool `json:"strict,omitempty"`
	// K is how many candidates Identify returns (0: DefaultCandidates).
	K int `json:"k,omitempty"`
	// AnyQuality asks for a verdict on a frame whose quality has problems
	// (too dark, blurred, several faces, …); without it such a frame gets
	// none (Verification.Judged, Identification.Judged). A frame without
	// a face is an error either way.
	AnyQuality bool `json:"anyQuality,omitempty"`
}

// ModelInfo describes the engine's model.
type ModelInfo struct {
	// Fingerprint names the model file ("sha256:…").
	Fingerprint string `json:"fingerprint"`
	// Bytes is the size of the model file.
	Bytes int `json:"bytes"`
	// Threshold is the default verification threshold; Calibrated is
	// false when the model file has none and UncalibratedThreshold is used.
	Threshold  float32 `json:"threshold"`
	Calibrated bool    `json:"calibrated"`
	// ThresholdSource says where Threshold comes from: ThresholdLoaded
	// ("loaded": the model file the engine was made with, such as the
	// shipped model), ThresholdImported ("imported": the file passed to
	// ImportModel, whose maker calibrated it, or not) or
	// ThresholdUncalibrated ("uncalibrated": the file has none). A model
	// fine-tuned in the engine keeps the source of the model it came from.
	ThresholdSource string `json:"thresholdSource"`
	// ThresholdTrusted is true when the threshold or strict point lies
	// outside MinModelThreshold…MaxModelThreshold and was accepted only
	// because the import asked to trust it (ModelOptions.TrustThreshold).
	ThresholdTrusted bool `json:"thresholdTrusted,omitempty"`
	// MACs is the number of multiply-adds the model spends on one crop
	// (nn.Cost; at most MaxModelMACs).
	MACs int64 `json:"multiplyAdds"`
	// StrictThreshold is the model's stricter operating point (0: none):
	// the distance at which 1% of its calibration pairs of two different
	// people were accepted. Ask for it with Options.Strict when a false
	// accept costs more than a false reject.
	StrictThreshold float32 `json:"strictThreshold,omitempty"`
	// Dim is the embedding length.
	Dim int `json:"dim"`
	// CropWidth and CropHeight are the size of the aligned crop it reads.
	CropWidth  int `json:"cropWidth"`
	CropHeight int `json:"cropHeight"`
	// Params is the number of parameters.
	Params int `json:"params"`
	// Architecture is the model file's "architecture" metadata, if any.
	Architecture string `json:"architecture,omitempty"`
	// FineTuned describes the fine-tuning the model went through, if any.
	FineTuned string `json:"fineTuned,omitempty"`
	// Mirror is true when each face is embedded with its mirror image
	// (embedder.Embedder.Mirror).
	Mirror bool `json:"mirror"`
	// CohortFaces is the number of faces in the model's cohort, which
	// normalises every comparison (gallery.Cohort); 0: raw distances.
	CohortFaces int `json:"cohortFaces"`
}

// Info describes the engine: its model and its gallery.
type Info struct {
	Model ModelInfo `json:"model"`
	// People are the ids enrolled, sorted.
	People []string `json:"people"`
	// EnrollAgain are the people of People whom the model cannot verify
	// until they enroll again: their kept face crops do not show what it
	// reads (see ErrEnrollAgain). Sorted; empty, not nil, when none.
	EnrollAgain []string `json:"enrollAgain"`
}

// GalleryInfo is the answer of ImportGallery.
type GalleryInfo struct {
	// People is the number of people now enrolled.
	People int `json:"people"`
	// Reembedded is true when the file came from another model and its
	// crops were embedded again with the engine's.
	Reembedded bool `json:"reembedded"`
}

// problemCodes are the codes of face.Problem's bits, in bit order.
var problemCodes = []struct {
	p    face.Problem
	code string
}{
	{face.NoFace, "noFace"},
	{face.SeveralFaces, "severalFaces"},
	{face.FaceTooSmall, "faceTooSmall"},
	{face.EyesNotFound, "eyesNotFound"},
	{face.TooDark, "tooDark"},
	{face.TooBright, "tooBright"},
	{face.LowContrast, "lowContrast"},
	{face.TooBlurry, "tooBlurry"},
	{face.TooTilted, "tooTilted"},
	{face.UnclearFace, "unclearFace"},
}

// quality converts the face pipeline's verdict.
func quality(q face.Quality) Quality {
	out := Quality{
		OK:          q.OK(),
		Problems:    []string{},
		Reasons:     q.Reasons(),
		Faces:       q.Faces,
		EyeDistance: q.EyeDistance,
		Roll:        q.Roll,
		Brightness:  q.Brightness,
		Contrast:    q.Contrast,
		Sharpness:   q.Sharpness,
	}
	if out.Reasons == nil {
		out.Reasons = []string{}
	}
	for _, c := range problemCodes {
		if q.Problems&c.p != 0 {
			out.Problems = append(out.Problems, c.code)
		}
	}
	return out
}

// faceOf converts a detected face and its pupils.
func faceOf(f face.Face, e face.Eyes) Face {
	return Face{
		Box:   Box{X: f.X - f.Size/2, Y: f.Y - f.Size/2, Width: f.Size, Height: f.Size},
		Score: f.Score,
		Pupils: Pupils{
			Left:  Point{e.Left.X, e.Left.Y},
			Right: Point{e.Right.X, e.Right.Y},
			Found: e.Found,
		},
	}
}
