package gallery

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"time"

	"github.com/oneshotface/oneshot/face"
)

// Capture is one frame of a person, already through the face pipeline:
// what the engine hands the gallery instead of a camera frame.
type Capture struct {
	// Crop is the face aligned to the embedder's template (face.Align),
	// at most MaxCropSide pixels a side. The gallery keeps a copy, to
	// re-embed it if the embedder changes.
	Crop *image.RGBA
	// Embedding is the embedder's output for Crop. It is scaled to unit
	// length if it is not already.
	Embedding []float32
	// Quality is the face pipeline's verdict on the frame
	// (face.Analysis.Quality). A frame with problems is refused; the zero
	// Quality has none.
	Quality face.Quality
}

// FrameResult is what Enroll did with one Capture.
type FrameResult struct {
	// Accepted is true when the frame was kept.
	Accepted bool
	// Reasons say, in words a person understands, why a refused frame
	// was refused ("too dark", "two faces"); empty for accepted frames.
	Reasons []string
	// Distance is an accepted frame's squared distance to the new
	// template (0 for refused frames): a frame far from the others
	// stands out.
	Distance float32
}

// EnrollResult reports an enrollment frame by frame.
type EnrollResult struct {
	// ID is the person enrolled.
	ID string
	// Frames has one result per Capture, in order.
	Frames []FrameResult
	// Accepted and Refused count the frames kept and refused.
	Accepted, Refused int
	// Replaced is true when a person already enrolled as ID was
	// replaced.
	Replaced bool
}

// ErrNoGoodFrame is wrapped by Enroll's error when every frame was
// refused; the EnrollResult returned with it says why for each frame.
var ErrNoGoodFrame = errors.New("no frame was good enough to enroll")

// Enroll enrolls a person as id from caps, replacing anyone enrolled as id
// before. Frames whose Quality has problems are refused (the result says
// why); the others are kept, with their crops, and the person's template is
// the re-normalised mean of their unit embeddings.
//
// When every frame is refused nothing changes and the error wraps
// ErrNoGoodFrame; the result still says why each frame was refused. A
// malformed Capture (no crop, an embedding that is empty, all zeros, not
// finite, or of another length than the gallery's, see DimensionError)
// is an error of the caller and fails the whole call, changing nothing.
func (g *Gallery) Enroll(id string, caps []Capture) (EnrollResult, error) {
	if err := ValidateID(id); err != nil {
		return EnrollResult{}, err
	}
	if len(caps) == 0 {
		return EnrollResult{}, fmt.Errorf("no frames to enroll %q", id)
	}
	if len(caps) > MaxFrames {
		return EnrollResult{}, fmt.Errorf("%d frames to enroll %q: the limit is %d", len(caps), id, MaxFrames)
	}
	res := EnrollResult{ID: id, Frames: make([]FrameResult, len(caps))}
	var frames []frame
	var kept []int // index in caps of each frame
	var refusals []string
	for i, c := range caps {
		if !c.Quality.OK() {
			r := c.Quality.Reasons()
			res.Frames[i] = FrameResult{Reasons: r}
			res.Refused++
			refusals = append(refusals, fmt.Sprintf("frame %d: %s", i+1, strings.Join(r, ", ")))
			continue
		}
		f, err := captureFrame(c)
		if err != nil {
			return EnrollResult{}, fmt.Errorf("enrolling %q, frame %d of %d: %w", id, i+1, len(caps), err)
		}
		if len(frames) > 0 && len(f.emb) != len(frames[0].emb) {
			return EnrollResult{}, fmt.Errorf("enrolling %q, frame %d of %d has %d values and frame %d has %d: every embedding must come from one model",
				id, i+1, len(caps), len(f.emb), kept[0]+1, len(frames[0].emb))
		}
		frames = append(frames, f)
		kept = append(kept, i)
	}
	if len(frames) == 0 {
		return res, fmt.Errorf("%w %q: %s", ErrNoGoodFrame, id, strings.Join(refusals, "; "))
	}
	p, err := newPerson(id, time.Now().UnixMilli(), frames)
	if err != nil {
		return EnrollResult{}, fmt.Errorf("enrolling %q: %w", id, err)
	}
	for j, i := range kept {
		res.Frames[i] = FrameResult{Accepted: true, Distance: dist(frames[j].emb, p.template)}
	}
	res.Accepted = len(frames)

	g.mu.Lock()
	defer g.mu.Unlock()
	// The embeddings held are those of the people not waiting to enroll
	// again (theirs are gone).
	embedded := false
	for _, q := range g.people {
		embedded = embedded || q.again == ""
	}
	if g.dim != 0 && len(p.template) != g.dim && (g.fixedDim || embedded) {
		return EnrollResult{}, fmt.Errorf("enrolling %q: %w", id, &DimensionError{Got: len(p.template), Want: g.dim})
	}
	old, replaced := g.people[id]
	if !replaced && len(g.people) >= MaxPeople {
		return EnrollResult{}, fmt.Errorf("the gallery is full: it holds %d people, the limit", MaxPeople)
	}
	// An upper bound: the new person as in a version-2 file, the old one
	// (replaced) as in a version-1 file.
	size := g.encodedSize() + p.encodedSize(len(p.template), true)
	if replaced {
		size -= old.encodedSize(g.dim, false)
	}
	if size > MaxFileBytes {
		return EnrollResult{}, fmt.Errorf("the gallery is full: with %q it would take %d bytes, the limit is %d", id, size, MaxFileBytes)
	}
	if g.people == nil {
		g.people = map[string]*person{}
	}
	g.people[id] = p
	g.dim = len(p.template)
	res.Replaced = replaced
	return res, nil
}

// captureFrame checks an accepted Capture and copies it into a frame.
func captureFrame(c Capture) (frame, error) {
	if c.Crop == nil {
		return frame{}, errors.New("no crop: the gallery keeps each frame's aligned crop to re-embed it later")
	}
	b := c.Crop.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return frame{}, fmt.Errorf("crop is %d×%d", w, h)
	}
	if w > MaxCropSide || h > MaxCropSide {
		return frame{}, fmt.Errorf("crop is %d×%d, larger than the %d×%d limit: keep the embedder's aligned crop, not the frame", w, h, MaxCropSide, MaxCropSide)
	}
	if len(c.Embedding) > MaxDim {
		return frame{}, fmt.Errorf("embedding has %d values, the limit is %d", len(c.Embedding), MaxDim)
	}
	e, err := Unit(c.Embedding)
	if err != nil {
		return frame{}, err
	}
	return frame{emb: e, w: w, h: h, pix: cropBytes(c.Crop)}, nil
}

// cropBytes copies img's pixels into w×h×4 bytes without row padding.
func cropBytes(img *image.RGBA) []byte {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	pix := make([]byte, w*h*4)
	for y := 0; y < h; y++ {
		o := img.PixOffset(b.Min.X, b.Min.Y+y)
		copy(pix[y*w*4:(y+1)*w*4], img.Pix[o:o+w*4])
	}
	return pix
}
