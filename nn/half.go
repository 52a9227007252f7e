package nn

import "math"

// IEEE 754 half precision (binary16): 1 sign bit, 5 exponent bits (bias
// 15), 10 fraction bits. It holds about three significant decimal digits
// between 6.1e-5 and 65504, and subnormal values down to 6e-8. The model
// file stores weights in it after Model.RoundToHalf: half the bytes, and a
// relative error of at most 2⁻¹¹ ≈ 4.9e-4 per weight, which a trained
// network's answers barely notice (MODEL_CARD.md measures it).

// maxHalf is the largest finite half-precision value.
const maxHalf = 65504

// halfFits reports whether v can be stored as a finite half-precision
// value (it may round to a subnormal or to zero).
func halfFits(v float32) bool {
	return !math.IsNaN(float64(v)) && math.Abs(float64(v)) <= maxHalf
}

// halfExact reports whether v is a half-precision value exactly (so
// storing it in two bytes loses nothing); NaN is not.
func halfExact(v float32) bool {
	return !math.IsNaN(float64(v)) && math.Float32bits(fromHalf(toHalf(v))) == math.Float32bits(v)
}

// toHalf rounds v to the nearest half-precision value, ties to even; a
// value that rounds beyond maxHalf (|v| ≥ 65520) becomes ±Inf, and NaN
// stays NaN.
func toHalf(v float32) uint16 {
	b := math.Float32bits(v)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	frac := b & 0x7fffff
	switch {
	case exp == 0xff: // Inf or NaN
		if frac != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp-127 > 15: // too large even before rounding
		return sign | 0x7c00
	}
	e := exp - 127 + 15 // the half's biased exponent
	if e >= 1 {
		// Normal: keep 10 of the 23 fraction bits, round on the other 13.
		// A carry out of the fraction moves into the exponent, as it
		// should (and past the largest exponent into Inf).
		h := uint32(e)<<10 | frac>>13
		rest := frac & 0x1fff
		if rest > 0x1000 || rest == 0x1000 && h&1 == 1 {
			h++
		}
		return sign | uint16(h)
	}
	// Subnormal half (or zero): the value is m × 2⁻²⁴ with m < 1024.
	if e < -10 {
		return sign // rounds to zero (even a tie: 0 is even)
	}
	m := frac | 0x800000    // the implicit leading bit
	shift := uint32(14 - e) // 13 bits of the float's extra precision, plus 1 − e
	h := m >> shift
	rest := m & (1<<shift - 1)
	half := uint32(1) << (shift - 1)
	if rest > half || rest == half && h&1 == 1 {
		h++ // may become the smallest normal, which is right
	}
	return sign | uint16(h)
}

// fromHalf returns the float32 that equals half-precision h exactly.
func fromHalf(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
	case frac == 0:
		return math.Float32frombits(sign)
	}
	// Subnormal: frac × 2⁻²⁴, exact in float32.
	v := float32(frac) * (1.0 / (1 << 24))
	return math.Float32frombits(sign | math.Float32bits(v))
}
