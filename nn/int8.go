package nn

import "math"

// 8-bit weights with one scale per output channel. A weight tensor of rank
// 2 or more keeps its output channels on its last axis (Conv2D's kernel is
// kh×kw×in×out, Dense's in×out); in 8 bits each channel c is stored as its
// largest magnitude peak_c (a float32) and every value as a code q in
// −127…127, the value being
//
//	v = q · peak_c / 127   (int8Value)
//
// so a value moves by at most peak_c/254 when rounded: channels of small
// weights keep their own fine grid instead of sharing the tensor's coarsest
// one. The channel's largest value is its own code ±127 and is exact, so
// rounding an already rounded tensor changes nothing. The model file stores
// such tensors in one byte a value (format version 3) after
// Model.RoundToInt8; the model computes in float32 either way.

// int8Value is the value of code q in a channel whose largest magnitude is
// peak. It is computed in float64, where q·peak is exact, and rounded once.
func int8Value(q int8, peak float32) float32 {
	return float32(float64(q) * float64(peak) / 127)
}

// int8Code is the code nearest to v in a channel of largest magnitude peak
// (0 when peak is 0).
func int8Code(v, peak float32) int8 {
	if peak == 0 {
		return 0
	}
	q := math.Round(float64(v) * 127 / float64(peak))
	return int8(max(-127, min(127, q)))
}

// int8Peaks returns the largest magnitude of each of the channels (the
// last axis: value i is in channel i mod channels), or ok false when a
// value is not finite.
func int8Peaks(values []float32, channels int) (peaks []float32, ok bool) {
	peaks = make([]float32, channels)
	for i, v := range values {
		a := float32(math.Abs(float64(v)))
		if math.IsNaN(float64(a)) || math.IsInf(float64(a), 0) {
			return nil, false
		}
		if c := i % channels; a > peaks[c] {
			peaks[c] = a
		}
	}
	return peaks, true
}

// int8Encode returns the channels' peaks and every value's code when each
// value is exactly the 8-bit value of its code (RoundToInt8 makes them
// so), and ok false otherwise (the tensor is then stored otherwise).
func int8Encode(values []float32, channels int) (peaks []float32, codes []int8, ok bool) {
	if channels <= 0 || len(values)%channels != 0 {
		return nil, nil, false
	}
	peaks, ok = int8Peaks(values, channels)
	if !ok {
		return nil, nil, false
	}
	codes = make([]int8, len(values))
	for i, v := range values {
		q := int8Code(v, peaks[i%channels])
		if math.Float32bits(int8Value(q, peaks[i%channels])) != math.Float32bits(v) {
			return nil, nil, false
		}
		codes[i] = q
	}
	return peaks, codes, true
}

// int8Eligible reports whether p may be stored in 8 bits: a weight (not a
// buffer such as batch norm's running statistics) of rank 2 or more.
func int8Eligible(p *Param) bool {
	return !p.Buffer && len(p.Value.Shape()) >= 2
}

// RoundToInt8 rounds every weight tensor of rank 2 or more (convolution
// kernels, dense matrices; not biases, scales or buffers) to 8 bits with
// one scale per output channel (see int8Value) and sets Int8, so that Save
// stores those tensors in one byte a value: about a quarter of float32's
// bytes. A tensor with a value that is not finite is left as it is. It
// returns the largest change it made relative to the largest magnitude of
// the value's channel, at most 1/254 ≈ 3.9e-3. Rounding is for a model to
// ship, after its accuracy was measured rounded (MODEL_CARD.md);
// training it afterwards moves its values off the grid again, and Save then
// stores the tensors that moved in float32 or half precision.
func (m *Model) RoundToInt8() float64 {
	worst := 0.0
	for _, p := range m.Params() {
		if !int8Eligible(p) {
			continue
		}
		shape := p.Value.Shape()
		channels := shape[len(shape)-1]
		values := p.Value.Float32s()
		peaks, ok := int8Peaks(values, channels)
		if !ok {
			continue
		}
		for i, v := range values {
			peak := peaks[i%channels]
			r := int8Value(int8Code(v, peak), peak)
			if peak > 0 {
				worst = max(worst, math.Abs(float64(r)-float64(v))/float64(peak))
			}
			values[i] = r
		}
	}
	m.Int8 = true
	return worst
}
