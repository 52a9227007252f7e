package nn

import "testing"

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
