package pad

import (
	"errors"
	"image"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/oneshotface/oneshot/engine"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/liveness"
)

// View is one photograph of a person with the yaw the challenge measures
// on it, rendered as a camera frame.
type View struct {
	Frame *image.RGBA
	Yaw   float64
}

// MeasureViews renders each photograph facing the camera at scale and
// measures its yaw; photographs whose face, pupils or landmarks are not
// found are left out.
func MeasureViews(photos []image.Image, scale float64, d *face.Detector, lc *face.LandmarkCascades) []View {
	var out []View
	for _, p := range photos {
		fr := NewScene(p, scale).Render(nil, PagePose{}, nil)
		a, err := d.Analyze(fr)
		if err != nil || len(a.Faces) == 0 || !a.Eyes.Found {
			continue
		}
		lm, err := d.Landmarks(lc, a.Eyes)
		if err != nil {
			continue
		}
		pose, err := liveness.Measure(a.Eyes, lm)
		if err != nil {
			continue
		}
		out = append(out, View{Frame: fr, Yaw: pose.Yaw})
	}
	return out
}

// Genuine plays a person's photographs as a head that turns when asked:
// looking at the camera shows Center; a turn shows the photographs on that
// side one after another, Step frames each, from the least turned to the
// most, and stays on the last.
type Genuine struct {
	Center     View
	Left       []View // yaw growing: the person's left
	Right      []View // yaw shrinking
	Step       int
	noise      *rand.Rand
	buf        *image.RGBA
	move       string
	moveFrames int
}

// NewGenuine orders views by yaw around the most frontal one, the view
// whose yaw is the median (the one shown when asked to look at the
// camera). It needs at least one view.
func NewGenuine(views []View, seed uint64) (*Genuine, error) {
	if len(views) == 0 {
		return nil, errors.New("pad: no views of the person")
	}
	v := slices.Clone(views)
	slices.SortFunc(v, func(a, b View) int {
		switch {
		case a.Yaw < b.Yaw:
			return -1
		case a.Yaw > b.Yaw:
			return 1
		}
		return 0
	})
	m := len(v) / 2
	g := &Genuine{Center: v[m], Step: 2, noise: rand.New(rand.NewPCG(seed, 5))}
	g.Left = v[m+1:]
	for i := m - 1; i >= 0; i-- {
		g.Right = append(g.Right, v[i])
	}
	return g, nil
}

// Next is the frame answering the challenge's last prompt.
func (g *Genuine) Next(st engine.ChallengeState, t time.Duration) *image.RGBA {
	if st.Move != g.move {
		g.move, g.moveFrames = st.Move, 0
	}
	g.moveFrames++
	src := g.Center.Frame
	var side []View
	switch st.Move {
	case "left":
		side = g.Left
	case "right":
		side = g.Right
	}
	if len(side) > 0 {
		i := min(g.moveFrames/g.Step, len(side)-1)
		src = side[i].Frame
	}
	if g.buf == nil {
		g.buf = image.NewRGBA(src.Rect)
	}
	for i := range src.Pix {
		if i%4 == 3 {
			g.buf.Pix[i] = 255
			continue
		}
		g.buf.Pix[i] = jitter(src.Pix[i], g.noise)
	}
	return g.buf
}

// Reach is how far this person's views turn both ways from the frontal
// one: the smaller of the largest yaw above Center's and the largest
// below it. A challenge whose turn threshold is above it cannot be passed
// with these views, however they are played.
func (g *Genuine) Reach() float64 {
	if len(g.Left) == 0 || len(g.Right) == 0 {
		return 0
	}
	return min(g.Left[len(g.Left)-1].Yaw-g.Center.Yaw, g.Center.Yaw-g.Right[len(g.Right)-1].Yaw)
}
