package nn

// Lowering a convolution to matrix products (im2col).
//
// A convolution of a batch is one matrix product once the input patches
// are laid out as rows: im2col copies, for every output position, the
// K×K×Cg values under the filter into one row of a (N·OH·OW) × (K·K·Cg)
// matrix, ordered (kh, kw, c) like the rows of the HWIO weight matrix, so
// that patches × W is the NHWC output (Conv2D.Forward). Backward runs the
// same products transposed and col2im, the adjoint of im2col, adds each
// patch row's gradient back where it was read. A grouped convolution does
// this per group, on the columns of its own channels (packColumns,
// unpackColumns). conv2dForwardRef in reference.go is the same sum
// written directly.

// im2col copies the patches of channels [c0, c0+cg) of every output position
// into cols, one row of Kernel·Kernel·cg values per position, ordered
// (kh, kw, c) like the rows of the weight matrix. Padding reads as zero.
func im2col(sh convShape, xs, cols []float32, c0, cg int) {
	k, s, p, h, w, ch := sh.k, sh.stride, sh.pad, sh.h, sh.w, sh.in
	kc := k * k * cg
	r := 0
	for b := 0; b < sh.n; b++ {
		for oy := 0; oy < sh.oh; oy++ {
			for ox := 0; ox < sh.ow; ox++ {
				row := cols[r*kc : (r+1)*kc]
				r++
				for kh := 0; kh < k; kh++ {
					seg := row[kh*k*cg : (kh+1)*k*cg]
					ih := oy*s - p + kh
					if ih < 0 || ih >= h {
						clear(seg)
						continue
					}
					base := (b*h + ih) * w
					for kw := 0; kw < k; kw++ {
						dst := seg[kw*cg : (kw+1)*cg]
						iw := ox*s - p + kw
						if iw < 0 || iw >= w {
							clear(dst)
							continue
						}
						off := (base+iw)*ch + c0
						copy(dst, xs[off:off+cg])
					}
				}
			}
		}
	}
}

// col2im is the adjoint of im2col: it adds each patch row of dcols back into
// channels [c0, c0+cg) of dx at the cells it was read from.
func col2im(sh convShape, dcols, dxs []float32, c0, cg int) {
	k, s, p, h, w, ch := sh.k, sh.stride, sh.pad, sh.h, sh.w, sh.in
	kc := k * k * cg
	r := 0
	for b := 0; b < sh.n; b++ {
		for oy := 0; oy < sh.oh; oy++ {
			for ox := 0; ox < sh.ow; ox++ {
				row := dcols[r*kc : (r+1)*kc]
				r++
				for kh := 0; kh < k; kh++ {
					ih := oy*s - p + kh
					if ih < 0 || ih >= h {
						continue
					}
					base := (b*h + ih) * w
					for kw := 0; kw < k; kw++ {
						iw := ox*s - p + kw
						if iw < 0 || iw >= w {
							continue
						}
						src := row[(kh*k+kw)*cg : (kh*k+kw+1)*cg]
						off := (base+iw)*ch + c0
						dst := dxs[off : off+cg]
						for i, v := range src {
							dst[i] += v
						}
					}
				}
			}
		}
	}
}

// packColumns copies columns [c0, c0+nc) of the rows×stride matrix src into
// the contiguous rows×nc matrix dst.
func packColumns(dst, src []float32, rows, stride, c0, nc int) {
	for r := 0; r < rows; r++ {
		copy(dst[r*nc:(r+1)*nc], src[r*stride+c0:r*stride+c0+nc])
	}
}

// unpackColumns writes (or, with add, adds) the rows×nc matrix src into
// columns [c0, c0+nc) of the rows×stride matrix dst.
func unpackColumns(dst, src []float32, rows, stride, c0, nc int, add bool) {
	for r := 0; r < rows; r++ {
		d, s := dst[r*stride+c0:r*stride+c0+nc], src[r*nc:(r+1)*nc]
		if !add {
			copy(d, s)
			continue
		}
		for i, v := range s {
			d[i] += v
		}
	}
}
