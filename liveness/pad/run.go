package pad

import (
	"errors"
	"image"
	"math"
	"time"

	"github.com/oneshotface/oneshot/engine"
)

// Outcome is how one presentation ended.
type Outcome struct {
	// State is the challenge's last answer.
	State engine.ChallengeState
	// Frames is how many frames were played.
	Frames int
	// Held is the largest turn held on two frames in a row while a turn
	// was asked for, towards the side asked (the challenge's Yaw, signed
	// so that positive is the asked way): how close the presentation came
	// to passing a turn whatever the threshold.
	Held float64
}

// Play runs one challenge for id on e with the frames of p, fps frames a
// second of simulated time, until the challenge has a verdict or maxFrames
// were played (then the last state, not Done, is returned).
func Play(e *engine.Engine, id string, opts engine.ChallengeOptions, p Player, fps float64, maxFrames int) (Outcome, error) {
	if !(fps > 0) || maxFrames < 1 {
		return Outcome{}, errors.New("pad: fps and maxFrames must be positive")
	}
	ch, st, err := e.StartChallenge(id, opts)
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{Held: math.Inf(-1)}
	prev, havePrev := 0.0, false
	for ; !st.Done && out.Frames < maxFrames; out.Frames++ {
		t := time.Duration(float64(out.Frames) / fps * float64(time.Second))
		img := p.Next(st, t)
		asked := st.Move
		st, err = ch.Next(FrameOf(img), t)
		if err != nil {
			out.State = st
			return out, err
		}
		sign := map[string]float64{"left": 1, "right": -1}[asked]
		if sign == 0 || !st.Measured {
			havePrev = false
			continue
		}
		y := sign * st.Yaw
		if havePrev {
			out.Held = max(out.Held, min(y, prev))
		}
		prev, havePrev = y, true
		if st.Move != asked {
			havePrev = false
		}
	}
	out.State = st
	return out, nil
}

// FrameOf wraps an RGBA image's pixels as an engine Frame (copied when
// the image has padding or an offset).
func FrameOf(img *image.RGBA) engine.Frame {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if img.Stride == 4*w && img.Rect.Min == (image.Point{}) {
		return engine.Frame{Pix: img.Pix[:4*w*h], Width: w, Height: h}
	}
	pix := make([]byte, 0, 4*w*h)
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		i := img.PixOffset(img.Rect.Min.X, y)
		pix = append(pix, img.Pix[i:i+4*w]...)
	}
	return engine.Frame{Pix: pix, Width: w, Height: h}
}
