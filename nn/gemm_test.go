package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestGemmQuick(t *testing.T) {
	m, n, k := 2, 3, 4
	a := []float32{1, 2, 3, 4, 5, 6, 7, 8}  // 2x4
	at := []float32{1, 5, 2, 6, 3, 7, 4, 8} // 4x2
	b := make([]float32, 12)
	for i := range b {
		b[i] = float32(i)
	} // 4x3
	bt := make([]float32, 12)
	for i := 0; i < 4; i++ {
		for j := 0; j < 3; j++ {
			bt[j*4+i] = b[i*3+j]
		}
	}
	want := make([]float32, 6)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			for p := 0; p < k; p++ {
				want[i*n+j] += a[i*k+p] * b[p*n+j]
			}
		}
	}
	for _, tc := range []struct {
		ta, tb bool
		A, B   []float32
	}{{false, false, a, b}, {true, false, at, b}, {false, true, a, bt}, {true, true, at, bt}} {
		c := make([]float32, 6)
		gemm(tc.ta, tc.tb, m, n, k, tc.A, tc.B, c, false)
		gemm(tc.ta, tc.tb, m, n, k, tc.A, tc.B, c, true)
		for i := range c {
			if c[i] != 2*want[i] {
				t.Fatalf("ta=%v tb=%v got %v want 2*%v", tc.ta, tc.tb, c, want)
			}
		}
	}
}

// naiveGemm is the direct triple loop the kernels are checked against.
func naiveGemm(transA, transB bool, m, n, k int, a, b, c []float32, accumulate bool) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				av, bv := a[i*k+p], b[p*n+j]
				if transA {
					av = a[p*m+i]
				}
				if transB {
					bv = b[j*k+p]
				}
				s += float64(av) * float64(bv)
			}
			if accumulate {
				c[i*n+j] += float32(s)
			} else {
				c[i*n+j] = float32(s)
			}
		}
	}
}

// TestGemmPacked checks the packed kernel (the one WebAssembly runs; SIMD
// when built with GOEXPERIMENT=simd) against the direct loop on shapes
// with every remainder of the row tile and the column panel, both
// transposes and accumulation, and gemm itself on the same shapes.
func TestGemmPacked(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = rng.Float32()*2 - 1
		}
		return s
	}
	shapes := [][3]int{{1, 1, 1}, {4, 8, 3}, {5, 9, 7}, {7, 33, 27}, {64, 24, 27}, {13, 40, 0}, {9, 3, 65}, {16, 160, 64},
		{203, 67, 97}, {1031, 40, 33}} // the last two are split over goroutines natively
	for _, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				for _, acc := range []bool{false, true} {
					a, b := fill(m*k), fill(k*n)
					c0 := fill(m * n)
					want := append([]float32(nil), c0...)
					naiveGemm(ta, tb, m, n, k, a, b, want, acc)
					for name, f := range map[string]func(bool, bool, int, int, int, []float32, []float32, []float32, bool){"packed": gemmPacked, "gemm": gemm} {
						if k == 0 && name == "gemm" {
							continue // the engine never multiplies by an empty matrix; gonum's path refuses it
						}
						got := append([]float32(nil), c0...)
						f(ta, tb, m, n, k, a, b, got, acc)
						for i := range got {
							if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
								t.Fatalf("%s m=%d n=%d k=%d transA=%v transB=%v accumulate=%v: c[%d] = %v, want %v", name, m, n, k, ta, tb, acc, i, got[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

// TestGemmRowsDoNotDependOnTheirPlace: a row of C is the same bits whether
// its row of A falls in a tile of the packed kernel or among the rows left
// over (an embedding must not change with its place in a batch). A's rows
// are rotated by one, which moves the last row from the rows left over
// into the first tile and a tile's last row out of it (m = 5 and m = 9);
// n = 48 is a whole number of panels in every build, so B is read in
// place rather than packed.
func TestGemmRowsDoNotDependOnTheirPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, s := range [][3]int{{5, 24, 27}, {9, 40, 33}, {5, 3, 8}, {5, 48, 9}} {
		m, n, k := s[0], s[1], s[2]
		for _, acc := range []bool{false, true} {
			a, b, c0 := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
			for _, x := range [][]float32{a, b, c0} {
				for i := range x {
					x[i] = rng.Float32()*2 - 1
				}
			}
			got := slices.Clone(c0)
			gemmPacked(false, false, m, n, k, a, b, got, acc)
			// Row r of A (and of C's start) moved to row (r+1) mod m.
			ra, rc := make([]float32, m*k), make([]float32, m*n)
			for r := range m {
				q := (r + 1) % m
				copy(ra[q*k:(q+1)*k], a[r*k:(r+1)*k])
				copy(rc[q*n:(q+1)*n], c0[r*n:(r+1)*n])
			}
			gemmPacked(false, false, m, n, k, ra, b, rc, acc)
			for r := range m {
				q := (r + 1) % m
				if !slices.Equal(got[r*n:(r+1)*n], rc[q*n:(q+1)*n]) {
					t.Fatalf("m=%d n=%d k=%d accumulate=%v: row %d differs at row %d", m, n, k, acc, r, q)
				}
			}
		}
	}
}

// BenchmarkGemm times the engine's gemm and the packed kernel on the
// shapes of the compact embedder's convolutions (rows = pixels, k = input
// channels, n = output channels); in WebAssembly gemm is the packed
// kernel, natively it is gonum's.
func BenchmarkGemm(b *testing.B) {
	for _, s := range [][3]int{{1024, 24, 27}, {1024, 32, 24}, {64, 160, 160}, {16, 320, 320}} {
		m, n, k := s[0], s[1], s[2]
		x, w, y := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
		// gonum skips zero values of A: random values keep the timing honest.
		rng := rand.New(rand.NewPCG(1, 2))
		for _, s := range [][]float32{x, w} {
			for i := range s {
				s[i] = rng.Float32()*2 - 1
			}
		}
		for name, f := range map[string]func(bool, bool, int, int, int, []float32, []float32, []float32, bool){"gemm": gemm, "packed": gemmPacked} {
			b.Run(fmt.Sprintf("%s/%dx%dx%d", name, m, n, k), func(b *testing.B) {
				for b.Loop() {
					f(false, false, m, n, k, x, w, y, false)
				}
				b.ReportMetric(float64(2*m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
