//go:build !goexperiment.simd

package nn

// panel is the width, in columns, of the packed kernel's B panels.
const panel = 4

// microKernel computes a tileRows × cols tile of C (cols ≤ panel): for
// r < tileRows and j < cols, c[r·ldc+j] (+)= Σp a[r·k+p]·pb[p·ldb+j].
// The sixteen sums live in local variables over the k steps.
func microKernel(k int, a, pb []float32, ldb int, c []float32, ldc, cols int, accumulate bool) {
	a0, a1, a2, a3 := a[:k], a[k:2*k], a[2*k:3*k], a[3*k:4*k]
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	pb = pb[:(k-1)*ldb+panel]
	for p := 0; p < k; p++ {
		b := pb[p*ldb : p*ldb+4 : p*ldb+4]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		x := a0[p]
		c00 += x * b0
		c01 += x * b1
		c02 += x * b2
		c03 += x * b3
		x = a1[p]
		c10 += x * b0
		c11 += x * b1
		c12 += x * b2
		c13 += x * b3
		x = a2[p]
		c20 += x * b0
		c21 += x * b1
		c22 += x * b2
		c23 += x * b3
		x = a3[p]
		c30 += x * b0
		c31 += x * b1
		c32 += x * b2
		c33 += x * b3
	}
	tile := [tileRows][panel]float32{
		{c00, c01, c02, c03}, {c10, c11, c12, c13},
		{c20, c21, c22, c23}, {c30, c31, c32, c33},
	}
	storeTile(&tile, c, ldc, cols, accumulate)
}

// storeTile writes (or adds) the first cols columns of tile into C.
func storeTile(tile *[tileRows][panel]float32, c []float32, ldc, cols int, accumulate bool) {
	for r := range tileRows {
		row := c[r*ldc : r*ldc+cols]
		if accumulate {
			for j := range row {
				row[j] += tile[r][j]
			}
		} else {
			copy(row, tile[r][:cols])
		}
	}
}

// rowKernel computes one row of a panel, c[j] (+)= Σp a[p]·pb[p·ldb+j] for
// the len(c) ≤ panel columns of c, in microKernel's order (the sum from
// zero, then stored or added), so a row of C comes out the same bits
// whether it falls in a tile or among the rows left over.
func rowKernel(k int, a, pb []float32, ldb int, c []float32, accumulate bool) {
	var sum [panel]float32
	for p, av := range a[:k] {
		row := pb[p*ldb : p*ldb+len(c)]
		for j, bv := range row {
			sum[j] += av * bv
		}
	}
	if accumulate {
		for j := range c {
			c[j] += sum[j]
		}
	} else {
		copy(c, sum[:len(c)])
	}
}
