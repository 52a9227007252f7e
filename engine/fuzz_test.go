//go:build !js

package engine

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/nn"
)

// FuzzLoadModel loads fuzzed model files as the engine does (header limits
// first, then the file, then a try on a blank crop) and runs every model it
// accepts on a crop with a face-like pattern. The checksum is repaired, so
// mutations reach the header, the architecture and the weights. It must
// never panic, never run a model over the limits, and an accepted model
// must give a finite embedding of the length it reported, or an error.
//
//	go test -run XXX -fuzz FuzzLoadModel -fuzztime 60s ./engine/
func FuzzLoadModel(f *testing.F) {
	tiny := tinyModel(f, face.TemplateCompact64)
	conv, err := nn.NewConv2D("c", 3, 4, 3, 2, 1, 1, true, nil)
	if err != nil {
		f.Fatal(err)
	}
	bn, err := nn.NewBatchNorm("bn", 4, 1e-5, 0.1)
	if err != nil {
		f.Fatal(err)
	}
	pool, err := nn.NewMaxPool("mp", 2, 2, 0)
	if err != nil {
		f.Fatal(err)
	}
	dense, err := nn.NewDense("fc", 4, 8, true, nil)
	if err != nil {
		f.Fatal(err)
	}
	small := modelOf(f, nn.NewSequential("", conv, bn, &nn.ReLU{}, pool, &nn.GlobalAvgPool{}, dense, nn.NewL2Normalize("l2", 0)), face.DlibTemplate(24, 0.1), 0.9)
	for i, b := range [][]byte{tiny, withCohort(f, tiny, 8, 8), small} {
		if _, err := loadModel(b, ModelOptions{}, ThresholdImported); err != nil {
			f.Fatalf("seed %d does not load: %v", i, err)
		}
		f.Add(b[:len(b)-4])
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		file := binary.LittleEndian.AppendUint32(bytes.Clone(body), crc32.ChecksumIEEE(body))
		m, err := loadModel(file, ModelOptions{TrustThreshold: true}, ThresholdImported)
		if err != nil {
			return
		}
		c := m.cost
		if c.MACs > MaxModelMACs || c.Params > MaxModelParams || c.Values > MaxModelValues {
			t.Fatalf("a model over the limits was accepted: %+v", c)
		}
		tmpl := m.emb.Template
		crop := tmpl.NewCrop()
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range crop.Pix {
			crop.Pix[i] = uint8(rng.IntN(256))
		}
		var v []float32
		if err := guard(func() error {
			var err error
			v, err = m.emb.EmbedCrop(crop)
			return err
		}); err != nil {
			return
		}
		if len(v) != m.dim {
			t.Fatalf("the model gave %d values, and %d on the blank crop", len(v), m.dim)
		}
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return // an error later (toUnit), not a crash
			}
		}
		if b := crop.Bounds(); b != image.Rect(0, 0, tmpl.Width, tmpl.Height) {
			t.Fatalf("the crop is %v", b)
		}
	})
}
