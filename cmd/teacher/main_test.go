package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeCalibration(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.json")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadCalibration(t *testing.T) {
	c, err := readCalibration(writeCalibration(t, `{"threshold": 0.39, "strict_threshold": 0.2, "half": true, "measured": "m"}`))
	if err != nil || c.Threshold != 0.39 || c.StrictThreshold != 0.2 || !c.Half || c.Measured != "m" {
		t.Fatalf("readCalibration: %+v %v", c, err)
	}
	for text, want := range map[string]string{
		`{"threshold": 0, "strict_threshold": 0.2}`:     "threshold 0 is not a squared distance",
		`{"threshold": 4.5, "strict_threshold": 0.2}`:   "threshold 4.5 is not a squared distance",
		`{"threshold": 0.39, "strict_threshold": 0.5}`:  "strict_threshold 0.5 is not between 0 and the threshold 0.39",
		`{"threshold": 0.39, "strict_threshold": 0.39}`: "strict_threshold 0.39 is not between",
		`{"threshold": 0.39}`:                           "strict_threshold 0 is not between",
		`{"threshold": "low"}`:                          "cannot unmarshal",
	} {
		if _, err := readCalibration(writeCalibration(t, text)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error containing %q", text, err, want)
		}
	}
	if _, err := readCalibration(filepath.Join(t.TempDir(), "none.json")); err == nil {
		t.Error("a missing file: no error")
	}
}

// TestRunRefusesOtherPrecision: a calibration measured on the
// half-precision network is refused for a float32 file (and the other way
// round), before any weights are read.
func TestRunRefusesOtherPrecision(t *testing.T) {
	half := writeCalibration(t, `{"threshold": 0.39, "strict_threshold": 0.2, "half": true}`)
	out := filepath.Join(t.TempDir(), "m.oneshot")
	if err := run(t.TempDir(), out, precision{}, half); err == nil || !strings.Contains(err.Error(), "measured with half true and int8 false") {
		t.Errorf("a half-precision calibration for a float32 file: %v", err)
	}
	if err := run(t.TempDir(), out, precision{half: true, int8: true}, half); err == nil || !strings.Contains(err.Error(), "-half=true -int8=true") {
		t.Errorf("a half-precision calibration for an 8-bit file: %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused run wrote a file")
	}
}
