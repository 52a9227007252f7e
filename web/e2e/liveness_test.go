//go:build !js

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oneshotface/oneshot/internal/browsertest"
)

// TestLivenessRefusesStillPhoto enrolls a person from the fake webcam, then
// plays a still photograph of them through it and runs "Verify with
// liveness": the challenge asks for a turn of the head that a photograph
// cannot make, and the page must refuse, say why, and have spoken the
// prompts to screen readers.
func TestLivenessRefusesStillPhoto(t *testing.T) {
	needBrowser(t, "liveness page")
	dir := browsertest.BuildWeb(t)
	model, trained := browsertest.ModelFor(t, dir)
	a, _ := pickPeople(t, model, trained)
	tmp := t.TempDir()
	video := filepath.Join(tmp, "still.y4m")
	writeY4M(t, video, a.frames[:1]) // one photograph, held still
	shots, err := os.MkdirTemp("", "oneshot-e2e-liveness-")
	if err != nil {
		t.Fatal(err)
	}
	origin := serve(t, dir)
	s := open(t, dir, origin, t.TempDir(), shots, fakeCamera(video)...)
	defer s.close()
	s.navigate(origin + "/index.html")
	s.waitReady()
	s.startCamera()
	s.enroll(a.name)
	s.click("liveness-button")
	// The first prompt is spoken once the challenge starts.
	if got := s.poll(`document.getElementById("liveness-spoken").textContent`, 60*time.Second); !strings.HasPrefix(got, "Step 1 of 4") {
		t.Errorf("the screen reader's first prompt is %q, want it to start with \"Step 1 of 4\"", got)
	}
	v := s.poll(`document.getElementById("liveness-verdict").dataset.verdict`, 120*time.Second)
	s.shot("liveness-still-photo")
	if v != "fail" {
		t.Fatalf("a still photograph of %s got the liveness verdict %q, want fail", a.name, v)
	}
	if live := s.eval(`document.getElementById("liveness-verdict").dataset.live`); live != "false" {
		t.Errorf("the photograph was judged live=%s", live)
	}
	text := s.eval(`document.getElementById("liveness-verdict").textContent`)
	if !strings.Contains(text, "turn of the head") {
		t.Errorf("the verdict %q does not say which turn did not come", text)
	}
	if got := s.eval(`document.getElementById("liveness-spoken").textContent`); got != text {
		t.Errorf("the screen reader was told %q, the page shows %q", got, text)
	}
	if p := s.eval(`document.getElementById("liveness-button").getAttribute("aria-pressed")`); p != "false" {
		t.Errorf("after the verdict the liveness button is still pressed (%s)", p)
	}
}
