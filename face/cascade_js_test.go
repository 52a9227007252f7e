//go:build js || wasip1

package face

import "testing"

// In a browser the tests cannot read the pigo module from disk.

func moduleCascadeBytes(tb testing.TB) (ff, pl []byte) {
	tb.Skip("pigo's cascade files are read from the module cache, which a browser cannot reach")
	return nil, nil
}

func testCascades(tb testing.TB) *Cascades {
	tb.Skip("pigo's cascade files are read from the module cache, which a browser cannot reach")
	return nil
}
