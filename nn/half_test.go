package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Every finite half value survives fromHalf then toHalf unchanged.
func TestHalfRoundTripsEveryValue(t *testing.T) {
	for h := range 1 << 16 {
		v := fromHalf(uint16(h))
		if math.IsNaN(float64(v)) {
			if got := toHalf(v); got&0x7c00 != 0x7c00 || got&0x3ff == 0 {
				t.Fatalf("NaN %#04x came back as %#04x, not a NaN", h, got)
			}
			continue
		}
		if got := toHalf(v); got != uint16(h) {
			t.Fatalf("half %#04x = %g came back as %#04x", h, v, got)
		}
	}
}

// toHalf picks the nearest half value, ties to the one with an even last
// bit, for float32 values across the whole half range and beyond.
func TestHalfRoundsToNearest(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	check := func(v float32) {
		t.Helper()
		h := toHalf(v)
		got := float64(fromHalf(h))
		if math.Abs(float64(v)) > maxHalf+16 { // beyond the midpoint to the next power: Inf
			if !math.IsInf(got, 0) || (got > 0) != (v > 0) {
				t.Fatalf("toHalf(%g) = %g, want ±Inf", v, got)
			}
			return
		}
		err := math.Abs(got - float64(v))
		for _, n := range []uint16{h - 1, h + 1} {
			if n&0x7c00 == 0x7c00 || (n^h)&0x8000 != 0 {
				continue // Inf/NaN or across the sign
			}
			alt := math.Abs(float64(fromHalf(n)) - float64(v))
			if alt < err || alt == err && h&1 == 1 {
				t.Fatalf("toHalf(%g) = %#04x (%g) but %#04x (%g) is nearer or an even tie", v, h, got, n, fromHalf(n))
			}
		}
	}
	for range 200000 {
		e := r.Float64()*44 - 28 // 2⁻²⁸ … 2¹⁶: zero, subnormals, normals, overflow
		v := float32(math.Ldexp(1+r.Float64(), int(math.Floor(e))))
		if r.IntN(2) == 0 {
			v = -v
		}
		check(v)
	}
	// Exact ties between neighbours, normal and subnormal.
	for _, h := range []uint16{0x3c00, 0x3c01, 0x0001, 0x0002, 0x03ff, 0x7bfe} {
		check((fromHalf(h) + fromHalf(h+1)) / 2)
	}
	check(0)
	check(float32(math.Copysign(0, -1)))
}
