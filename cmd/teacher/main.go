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
//
// The same network is the page's accurate model. `make web` builds it as
//
//	go run ./cmd/teacher -half -int8 -calibration models/accurate.json -out build/web/accurate.oneshot
//
// -half rounds every weight to half precision (nn.Model.RoundToHalf: an
// 11 MB file instead of 23 MB, embeddings within about 1e-3 of float32's);
// -int8 then rounds the weights of convolutions and dense layers to 8 bits
// with one scale per output channel (nn.Model.RoundToInt8: 5.7 MB);
// -calibration stores the threshold and strict point that cmd/cohort
// measured for that rounded network on training people (the JSON file
// says how, and for which rounding: its half and int8 must match the
// flags), so the engine verifies with them. Without -calibration the
// file has no threshold: fine for a teacher, not for a model that ships.
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
	half := flag.Bool("half", false, "round the weights to half precision: half the file, for the page's accurate model")
	int8 := flag.Bool("int8", false, "then round the weights of convolutions and dense layers to 8 bits with a scale per output channel: about a quarter of the float32 file")
	calib := flag.String("calibration", "", "JSON file with the threshold and strict_threshold to store (models/accurate.json); they must have been measured on the network as written, -half included")
	flag.Parse()
	log.SetFlags(0)
	if err := run(*model, *out, precision{*half, *int8}, *calib); err != nil {
		log.Fatal("teacher: ", err)
	}
}

// Calibration is the file -calibration reads: the operating points cmd/cohort
// measured for the accurate model, and how.
type Calibration struct {
	// Threshold is the squared distance between unit embeddings up to which
	// two faces are the same person; StrictThreshold the stricter point
	// at which 1% of the calibration's pairs of two people are accepted.
	Threshold       float32 `json:"threshold"`
	StrictThreshold float32 `json:"strict_threshold"`
	// Half and Int8 say the figures were measured on the network rounded
	// to half precision, and then to 8 bits (cmd/cohort -half, -int8).
	Half bool `json:"half"`
	Int8 bool `json:"int8"`
	// Measured says on what and by which command, for people.
	Measured string `json:"measured"`
}

// readCalibration reads and checks a calibration file.
func readCalibration(path string) (Calibration, error) {
	var c Calibration
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	if !(c.Threshold > 0 && c.Threshold < 4) {
		return c, fmt.Errorf("%s: threshold %g is not a squared distance between unit vectors (0 to 4)", path, c.Threshold)
	}
	if !(c.StrictThreshold > 0 && c.StrictThreshold < c.Threshold) {
		return c, fmt.Errorf("%s: strict_threshold %g is not between 0 and the threshold %g", path, c.StrictThreshold, c.Threshold)
	}
	return c, nil
}

// precision is how the weights are rounded: to half precision, then the
// weights of convolutions and dense layers to 8 bits.
type precision struct{ half, int8 bool }

func run(dir, out string, p precision, calibPath string) error {
	var calib Calibration
	if calibPath != "" {
		c, err := readCalibration(calibPath)
		if err != nil {
			return err
		}
		if c.Half != p.half || c.Int8 != p.int8 {
			return fmt.Errorf("%s was measured with half %v and int8 %v, but this file is written with -half=%v -int8=%v: the threshold would not fit the network",
				calibPath, c.Half, c.Int8, p.half, p.int8)
		}
		calib = c
	}
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
	if err := embedder.Describe(m, face.TemplateDlib150, norm, calib.Threshold); err != nil {
		return err
	}
	if calib.StrictThreshold > 0 {
		if err := embedder.DescribeStrict(m, calib.StrictThreshold); err != nil {
			return err
		}
		m.Meta["calibration"] = calib.Measured
	}
	m.Meta[embedder.MetaMirror] = "0" // one pass a face: the page's speed
	if p.half {
		m.RoundToHalf()
	}
	if p.int8 {
		m.RoundToInt8()
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
