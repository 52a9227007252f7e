// Command teacher converts face-api.js's face recognition weights (the
// teacher network for distillation, a port of dlib's ResNet face
// recogniser) into Oneshot's own model file, so later tools load it with
// nn.Load and no npm:
//
//	scripts/fetch-faceapi.sh
//	go run ./cmd/teacher -out build/teacher.oneshot
//
// The weights are found as teacher.ModelDir does ($ONESHOT_FACEAPI, else
// third_party/ under the module root) unless -model names the folder. The
// converted file is derived from the npm package: keep it out of the
// repository (build/ is ignored).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/nn"
	"github.com/oneshotface/oneshot/teacher"
)

func main() {
	out := flag.String("out", "build/teacher.oneshot", "model file to write")
	model := flag.String("model", "", "face-api model folder holding "+teacher.ManifestName+" (default: found like teacher.ModelDir)")
	flag.Parse()
	log.SetFlags(0)
	if err := run(*model, *out); err != nil {
		log.Fatal("teacher: ", err)
	}
}

func run(dir, out string) error {
	if dir == "" {
		d, err := teacher.ModelDir()
		if err != nil {
			return err
		}
		dir = d
	}
	t0 := time.Now()
	m, err := teacher.LoadDir(dir)
	if err != nil {
		return err
	}
	// Say how crops must be made for this model, so embedder.New can use
	// it: dlib's 150×150 chip with 25% padding, face-api's normalisation.
	norm := face.Normalization{Mean: teacher.MeanRGB, Scale: [3]float32{1. / 255, 1. / 255, 1. / 255}}
	if err := embedder.Describe(m, face.TemplateDlib150, norm, 0); err != nil {
		return err
	}
	if v := packageVersion(dir); v != "" {
		m.Meta["source_package"] = "@vladmandic/face-api@" + v
	}
	size, err := nn.SaveFile(out, m) // a failed run leaves no half file
	if err != nil {
		return err
	}
	n := 0
	for _, p := range m.Params() {
		n += p.Value.Shape().TotalSize()
	}
	fmt.Printf("wrote %s: %d values, %.1f MB, from %s in %v\n", out, n, float64(size)/1e6, dir, time.Since(t0).Round(time.Millisecond))
	return nil
}

// packageVersion reads the version from the package.json beside the model
// folder, or returns "".
func packageVersion(modelDir string) string {
	b, err := os.ReadFile(filepath.Join(modelDir, "..", "package.json"))
	if err != nil {
		return ""
	}
	var p struct{ Version string }
	if json.Unmarshal(b, &p) != nil {
		return ""
	}
	return p.Version
}
