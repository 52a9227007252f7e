//go:build goexperiment.simd

package nn

import "simd"

// lanes is the number of float32 values in one SIMD vector: 4 in
// WebAssembly (SIMD128), 8 or 16 on amd64 with AVX2 or AVX-512.
var lanes = vectorLen()

// vectorLen asks the simd package for its vector length (a package-level
// initialiser cannot call the simd intrinsics directly).
func vectorLen() int { return simd.BroadcastFloat32s(0).Len() }

// panel is the width, in columns, of the packed kernel's B panels: two
// vectors.
var panel = 2 * lanes

// microKernel computes a tileRows × cols tile of C (cols ≤ panel): for
// r < tileRows and j < cols, c[r·ldc+j] (+)= Σp a[r·k+p]·pb[p·ldb+j].
// The tile is eight vectors held in registers over the k steps; each step
// loads two vectors of the panel and broadcasts one value of each row of A.
// The steps go two at a time: in WebAssembly each turn of a loop passes
// through the function's block dispatch, so halving the turns is what
// makes the loop cheaper there. An odd k's last step is written out once
// more: handed to a scalar row kernel instead, it cost the stem's product
// (k = 27) enough to make the whole embed 14–30% slower in Node
// (2026-12-07).
func microKernel(k int, a, pb []float32, ldb int, c []float32, ldc, cols int, accumulate bool) {
	L, w := lanes, panel
	a0, a1, a2, a3 := a[:k], a[k:2*k], a[2*k:3*k], a[3*k:4*k]
	var c00, c01, c10, c11, c20, c21, c30, c31 simd.Float32s
	pb = pb[:(k-1)*ldb+w]
	p := 0
	for ; p+2 <= k; p += 2 {
		o := p * ldb
		b0 := simd.LoadFloat32s(pb[o : o+L])
		b1 := simd.LoadFloat32s(pb[o+L : o+w])
		x := simd.BroadcastFloat32s(a0[p])
		c00 = x.MulAdd(b0, c00)
		c01 = x.MulAdd(b1, c01)
		x = simd.BroadcastFloat32s(a1[p])
		c10 = x.MulAdd(b0, c10)
		c11 = x.MulAdd(b1, c11)
		x = simd.BroadcastFloat32s(a2[p])
		c20 = x.MulAdd(b0, c20)
		c21 = x.MulAdd(b1, c21)
		x = simd.BroadcastFloat32s(a3[p])
		c30 = x.MulAdd(b0, c30)
		c31 = x.MulAdd(b1, c31)
		o += ldb
		b0 = simd.LoadFloat32s(pb[o : o+L])
		b1 = simd.LoadFloat32s(pb[o+L : o+w])
		x = simd.BroadcastFloat32s(a0[p+1])
		c00 = x.MulAdd(b0, c00)
		c01 = x.MulAdd(b1, c01)
		x = simd.BroadcastFloat32s(a1[p+1])
		c10 = x.MulAdd(b0, c10)
		c11 = x.MulAdd(b1, c11)
		x = simd.BroadcastFloat32s(a2[p+1])
		c20 = x.MulAdd(b0, c20)
		c21 = x.MulAdd(b1, c21)
		x = simd.BroadcastFloat32s(a3[p+1])
		c30 = x.MulAdd(b0, c30)
		c31 = x.MulAdd(b1, c31)
	}
	if p < k {
		o := p * ldb
		b0 := simd.LoadFloat32s(pb[o : o+L])
		b1 := simd.LoadFloat32s(pb[o+L : o+w])
		x := simd.BroadcastFloat32s(a0[p])
		c00 = x.MulAdd(b0, c00)
		c01 = x.MulAdd(b1, c01)
		x = simd.BroadcastFloat32s(a1[p])
		c10 = x.MulAdd(b0, c10)
		c11 = x.MulAdd(b1, c11)
		x = simd.BroadcastFloat32s(a2[p])
		c20 = x.MulAdd(b0, c20)
		c21 = x.MulAdd(b1, c21)
		x = simd.BroadcastFloat32s(a3[p])
		c30 = x.MulAdd(b0, c30)
		c31 = x.MulAdd(b1, c31)
	}
	storeRow(c[0*ldc:], c00, c01, cols, accumulate)
	storeRow(c[1*ldc:], c10, c11, cols, accumulate)
	storeRow(c[2*ldc:], c20, c21, cols, accumulate)
	storeRow(c[3*ldc:], c30, c31, cols, accumulate)
}

// rowKernel computes one row of a panel, c[j] (+)= Σp a[p]·pb[p·ldb+j] for
// the len(c) ≤ panel columns of c, with microKernel's operations in its
// order (fused multiply-adds where the target has them), so a row of C
// comes out the same bits whether it falls in a tile or among the rows
// left over: an embedding does not depend on its place in a batch.
func rowKernel(k int, a, pb []float32, ldb int, c []float32, accumulate bool) {
	L, w := lanes, panel
	var c0, c1 simd.Float32s
	pb = pb[:(k-1)*ldb+w]
	for p, av := range a[:k] {
		o := p * ldb
		x := simd.BroadcastFloat32s(av)
		c0 = x.MulAdd(simd.LoadFloat32s(pb[o:o+L]), c0)
		c1 = x.MulAdd(simd.LoadFloat32s(pb[o+L:o+w]), c1)
	}
	storeRow(c, c0, c1, len(c), accumulate)
}

// storeRow writes (or adds) the first cols values of the two vectors v0,
// v1 into row.
func storeRow(row []float32, v0, v1 simd.Float32s, cols int, accumulate bool) {
	L := lanes
	if cols == 2*L {
		if accumulate {
			v0 = v0.Add(simd.LoadFloat32s(row[:L]))
			v1 = v1.Add(simd.LoadFloat32s(row[L : 2*L]))
		}
		v0.Store(row[:L])
		v1.Store(row[L : 2*L])
		return
	}
	var tmp [64]float32 // two vectors of at most 512 bits
	v0.Store(tmp[:L])
	v1.Store(tmp[L : 2*L])
	row = row[:cols]
	if accumulate {
		for j := range row {
			row[j] += tmp[j]
		}
	} else {
		copy(row, tmp[:cols])
	}
}
