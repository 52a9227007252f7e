package engine

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oneshotface/oneshot/face"
)

// TestProblemCodesReachThePage checks the contract between the engine's
// quality codes and the web side: every bit of face.Problem has a code,
// every code is in the TypeScript union of web/oneshot.d.ts, and the demo
// page (web/app/hints.js) has words for every code, so a new problem
// cannot reach a person as a bare code or as nothing.
func TestProblemCodesReachThePage(t *testing.T) {
	seen := face.Problem(0)
	for _, pc := range problemCodes {
		seen |= pc.p
	}
	for i := range 16 { // face.Problem is a uint16; a bit with words is a problem
		bit := face.Problem(1) << i
		if len(bit.Messages()) > 0 && seen&bit == 0 {
			t.Errorf("face.Problem bit %#x has no code in problemCodes", uint16(bit))
		}
	}
	dts := readWeb(t, "oneshot.d.ts")
	hints := readWeb(t, filepath.Join("app", "hints.js"))
	for _, pc := range problemCodes {
		if !strings.Contains(dts, `"`+pc.code+`"`) {
			t.Errorf("web/oneshot.d.ts does not list the quality code %q", pc.code)
		}
		if !strings.Contains(hints, "  "+pc.code+": ") {
			t.Errorf("web/app/hints.js has no hint for the quality code %q", pc.code)
		}
	}
}

func readWeb(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "web", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestResultKeysAreDeclared checks that every key of the answers the page
// reads about verdicts and models is declared in web/oneshot.d.ts, so a
// field added in Go (judged, thresholdSource, …) reaches the declarations.
func TestResultKeysAreDeclared(t *testing.T) {
	dts := readWeb(t, "oneshot.d.ts")
	for name, v := range map[string]any{
		"Verification":   Verification{Judged: true},
		"Identification": Identification{},
		"ModelInfo":      ModelInfo{StrictThreshold: 1, ThresholdTrusted: true, Architecture: "a", FineTuned: "f"},
		"Options":        Options{Threshold: 1, K: 1, AnyQuality: true},
		"ModelOptions":   ModelOptions{TrustThreshold: true},
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(b, &keys); err != nil {
			t.Fatal(err)
		}
		for k := range keys {
			if !strings.Contains(dts, "  "+k+":") && !strings.Contains(dts, "  "+k+"?:") {
				t.Errorf("web/oneshot.d.ts does not declare %s.%s", name, k)
			}
		}
	}
}
