package nn

import (
	"runtime"
	"sync"
)

// Bands of rows: how the layers outside the matrix products use both cores.
//
// gemm splits a product across cores by bands of its output rows. The other
// layers of a training step — batch norm, PReLU, depthwise convolutions —
// are passes over memory with a per-channel sum here and there (batch
// statistics, the gradients of γ, β, α and of depthwise filters). They
// split their rows (or images) the same way: into a few contiguous bands,
// each on its own goroutine natively, one after the other in WebAssembly.
//
// A sum over rows is made per band and the bands' sums are then added in
// band order. The number of bands depends only on the tensor's shape, never
// on the machine (GOMAXPROCS) or the platform, so a step computes the same
// bits on one core as on several (TestBandsAreDeterministic), and runs stay
// deterministic for a seed and a build (train.TestResumeIsExact).

const (
	// maxBands caps the bands of one pass: enough for the 2–4 cores of a
	// laptop, few enough that the bands' partial sums cost nothing.
	maxBands = 4
	// bandValues is the least work (values touched) worth a goroutine.
	bandValues = 1 << 15
)

// bandLimit is maxBands; tests set it to 1 to compare with one band.
var bandLimit = maxBands

// bandCount is how many bands a pass over rows rows of width values each
// is split into: one per bandValues of work, at most maxBands and at most
// one per row.
func bandCount(rows, width int) int {
	return max(1, min(rows*width/bandValues, bandLimit, rows))
}

// bandRange is band b's rows [lo, hi) of rows rows split into nb bands.
func bandRange(rows, nb, b int) (lo, hi int) {
	return b * rows / nb, (b + 1) * rows / nb
}

// forBands calls f(args, b, lo, hi) for each of the nb bands of rows rows:
// natively each but the first on a goroutine of its own (it returns when
// all are done), in band order in WebAssembly or with one core. f must
// write only its own rows and band b's own part of any scratch.
//
// args holds everything the pass reads and writes — its sizes and the
// slices of its tensors and scratch — as a small struct declared beside f,
// so a band function's inputs are its arguments. Passed by value to a
// plain function, it allocates nothing on one band or in WebAssembly (a
// closure would), and a layer that has seen a shape allocates nothing
// there (TestLayersNoSteadyStateAllocs); natively the goroutines of a
// split pass cost a few small allocations, as gemm's do. A band function
// copies the fields it uses into locals and cuts the per-channel vectors
// to C (alpha[:c]) before its loop over rows: the compiler then keeps them
// in registers and drops the row kernels' bounds checks, which otherwise
// cost batch norm's inference a quarter of its time.
func forBands[A any](rows, nb int, args A, f func(args A, b, lo, hi int)) {
	if nb <= 1 {
		f(args, 0, 0, rows)
		return
	}
	if runtime.GOARCH == "wasm" || runtime.GOMAXPROCS(0) == 1 {
		for b := range nb {
			lo, hi := bandRange(rows, nb, b)
			f(args, b, lo, hi)
		}
		return
	}
	// The goroutines share one copy of args on the heap, so that args
	// itself stays on the stack and the paths above allocate nothing.
	shared := new(A)
	*shared = args
	var wg sync.WaitGroup
	for b := 1; b < nb; b++ {
		lo, hi := bandRange(rows, nb, b)
		wg.Go(func() { f(*shared, b, lo, hi) })
	}
	lo, hi := bandRange(rows, nb, 0)
	f(args, 0, lo, hi) // the first band on this goroutine
	wg.Wait()
}

// bandSums is scratch for passes that sum two values per channel over
// bands of rows (batch norm's statistics and gradient sums): each band adds
// into its own part, and total adds the parts in band order, so the sums'
// bits do not depend on how the bands were scheduled.
type bandSums struct {
	c    int       // channels
	part []float64 // 2·C sums per band: band b's first at [2bC, (2b+1)C), second after it
}

// band is band b's two sums.
func (s bandSums) band(b int) (s1, s2 []float64) {
	c := s.c
	return s.part[2*b*c : (2*b+1)*c], s.part[(2*b+1)*c : (2*b+2)*c]
}

// total adds the nb bands' sums, in band order, into s1 and s2 (C each).
func (s bandSums) total(nb int, s1, s2 []float64) {
	clear(s1)
	clear(s2)
	for b := range nb {
		p1, p2 := s.band(b)
		for i := range s1 {
			s1[i] += p1[i]
			s2[i] += p2[i]
		}
	}
}
