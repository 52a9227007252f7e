//go:build !js

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/engine"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/internal/browsertest"
)

// Video geometry of the fake webcam: LFW's 250×250 images pasted in the
// middle of a grey 640×480 frame, each image held for holdFrames frames.
const (
	videoW, videoH = 640, 480
	holdFrames     = 10
	imagesPerVideo = 3
)

// TestDemoPage drives the demo page as a person would, with a fake webcam:
// enroll A; verify A (match; no match at the strictest threshold); a new
// browser on the same profile whose camera shows B: A is still enrolled,
// verify A (no match), identify (unknown); enroll B; identify (B);
// fine-tune on the captures of A and B (before/after shown), keep the
// model; reload (both still enrolled, the fine-tuned model restored). Then
// a browser whose camera is refused shows the permission message, and one
// whose camera shows no face says so; that one starts from storage an
// older version of the page left with a model it cannot read: the people
// are restored, the model is reported and kept until discarded. Every
// request the pages and the engine's worker make is recorded: none may
// leave the origin, and after the engine is ready only the page's own
// static files may be requested; nothing may break the page's
// Content-Security-Policy.
// Verdicts are asserted only with a trained model (models/compact.oneshot,
// or $ONESHOT_MODEL).
func TestDemoPage(t *testing.T) {
	needBrowser(t, "demo page")
	dir := browsertest.BuildWeb(t)
	model, trained := browsertest.ModelFor(t, dir)
	if !trained {
		t.Log("no trained model (models/compact.oneshot): checking that the page works, not the verdicts")
	}
	a, b := pickPeople(t, model, trained)
	t.Logf("person A: %s, person B: %s", a.name, b.name)
	tmp := t.TempDir()
	videoA := filepath.Join(tmp, "a.y4m")
	videoB := filepath.Join(tmp, "b.y4m")
	writeY4M(t, videoA, a.frames)
	writeY4M(t, videoB, b.frames)

	shots, err := os.MkdirTemp("", "oneshot-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots of each step: %s", shots)
	origin := serve(t, dir)
	checkHeaders(t, origin)
	page := origin + "/index.html"
	profile := t.TempDir()

	// Browser 1: the camera shows A.
	s := open(t, dir, origin, profile, shots, fakeCamera(videoA)...)
	s.navigate(page)
	s.waitReady()
	s.shot("01-ready")
	s.startCamera()
	s.shot("02-camera-A")
	s.enroll(a.name)
	s.shot("03-enrolled-A")
	s.click("verify-button")
	if v := s.verdict(); trained && v != "match" {
		t.Errorf("verify %s on %s's camera: verdict %q, want match", a.name, a.name, v)
	}
	s.shot("04-verify-A-on-A")
	// The strictest threshold in Settings turns the same face into a no-match.
	s.eval(`(() => { const r = document.getElementById("threshold"); r.value = r.min; r.dispatchEvent(new Event("input")); })()`)
	v := s.poll(`(() => { const d = document.getElementById("verify-verdict").dataset; return Number(d.threshold) < 0.1 && d.verdict; })()`, 60*time.Second)
	if trained && v != "nomatch" {
		t.Errorf("verify %s on %s's camera at the lowest threshold: verdict %q, want nomatch", a.name, a.name, v)
	}
	s.shot("04b-verify-A-strict-threshold")
	s.click("threshold-reset")
	s.poll(`document.getElementById("threshold").dataset.saved === "default"`, 10*time.Second)
	if trained {
		// The model's strict point: below the default, and what verdicts use once chosen
		// (the slider shows thresholds to its step, 0.01).
		def := s.poll(`(() => { const d = document.getElementById("verify-verdict").dataset; const t = Number(document.getElementById("threshold").value);
			return Math.abs(Number(d.threshold) - t) <= 0.005 && d.threshold; })()`, 60*time.Second)
		s.click("threshold-strict")
		s.poll(`document.getElementById("threshold").dataset.saved === "strict"`, 10*time.Second)
		strict := s.poll(fmt.Sprintf(`(() => { const d = document.getElementById("verify-verdict").dataset;
			return Number(d.threshold) < %s && Math.abs(Number(d.threshold) - Number(document.getElementById("threshold").value)) <= 0.005 && d.threshold; })()`, def), 60*time.Second)
		if got := s.eval(`document.getElementById("threshold-value").textContent`); !strings.Contains(got, "strict point") {
			t.Errorf("after choosing the strict point the threshold reads %q", got)
		}
		s.shot("04c-verify-A-model-strict-point")
		t.Logf("verdict threshold: default %s, strict %s", def, strict)
		s.click("threshold-reset")
		s.poll(`document.getElementById("threshold").dataset.saved === "default"`, 10*time.Second)
	}
	s.close()

	// Browser 2: same profile (IndexedDB), the camera shows B.
	s = open(t, dir, origin, profile, shots, fakeCamera(videoB)...)
	s.navigate(page)
	s.waitReady()
	if got := s.people(); !slices.Equal(got, []string{a.name}) {
		t.Errorf("after restarting the browser the page lists %q, want [%s]", got, a.name)
	}
	s.startCamera()
	s.eval(fmt.Sprintf(`document.getElementById("verify-person").value = %q`, a.name))
	s.click("verify-button")
	if v := s.verdict(); trained && v != "nomatch" {
		t.Errorf("verify %s on %s's camera: verdict %q, want nomatch", a.name, b.name, v)
	}
	s.shot("05-verify-A-on-B")
	s.click("identify-button")
	if id, unknown := s.identified(); trained && !unknown {
		t.Errorf("identify on %s's camera with only %s enrolled: %q, want unknown", b.name, a.name, id)
	}
	s.shot("06-identify-B-unknown")
	s.click("identify-button") // stop identifying
	s.enroll(b.name)
	s.shot("07-enrolled-B")
	s.click("identify-button")
	s.waitFresh("identify-verdict")
	if id, _ := s.identified(); trained && id != b.name {
		t.Errorf("identify on %s's camera: %q, want %s", b.name, id, b.name)
	}
	s.shot("08-identify-B")
	s.click("identify-button")

	want := []string{a.name, b.name}
	slices.Sort(want)

	// Importing a gallery replaces the enrolled people: the page asks first,
	// naming them, and "no" keeps them.
	exported := s.evalPromise(`globalThis.oneshotEngine.exportGallery().then((b) => btoa(Array.from(b, (x) => String.fromCharCode(x)).join("")))`)
	galleryBytes, err := base64.StdEncoding.DecodeString(exported)
	if err != nil {
		t.Fatalf("the exported gallery: %v", err)
	}
	galleryFile := filepath.Join(tmp, "exported.gallery")
	if err := os.WriteFile(galleryFile, galleryBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	answers, asked := s.answerDialogs()
	for _, accept := range []bool{false, true} {
		s.eval(`document.getElementById("settings-status").textContent = ""`)
		answers <- accept
		if err := chromedp.Do(s.ctx, chromedp.SetUploadFiles(chromedp.ID("import-gallery"), []string{galleryFile})); err != nil {
			t.Fatalf("choosing the gallery file: %v", err)
		}
		var question string
		select {
		case question = <-asked:
		case <-time.After(30 * time.Second):
			t.Fatal("importing a gallery over two enrolled people did not ask first")
		}
		if !strings.Contains(question, a.name) || !strings.Contains(question, b.name) || !strings.Contains(question, "replaces") {
			t.Errorf("the import's question does not say whom it replaces: %q", question)
		}
		status := s.poll(`document.getElementById("settings-status").textContent.match(/^(Nothing was imported|Imported|Import gallery failed).*/)?.[0]`, 30*time.Second)
		if want := map[bool]string{false: "Nothing was imported.", true: "Imported 2 people."}[accept]; status != want {
			t.Errorf("import answered %v: the page says %q, want %q", accept, status, want)
		}
		if n := len(s.people()); n != 2 {
			t.Errorf("import answered %v: %d people enrolled, want 2", accept, n)
		}
	}
	// Enrolling a name already enrolled replaces that person: the page asks
	// first, and "no" changes nothing.
	answers <- false
	s.eval(fmt.Sprintf(`document.getElementById("enroll-name").value = %q; document.getElementById("enroll-form").requestSubmit()`, a.name))
	select {
	case q := <-asked:
		if !strings.Contains(q, a.name) || !strings.Contains(q, "replaces") {
			t.Errorf("enrolling %s again asks %q, want it to say it replaces them", a.name, q)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("enrolling %s again did not ask first", a.name)
	}
	if st := s.poll(`document.getElementById("enroll-status").textContent.startsWith("Nothing changed") && document.getElementById("enroll-status").textContent`, 10*time.Second); !strings.Contains(st, a.name) {
		t.Errorf("after declining to enroll %s again the page says %q", a.name, st)
	}
	if mode := s.eval(`document.getElementById("mode").textContent`); mode != "Mode: preview" {
		t.Errorf("after declining to enroll again the page is in %q", mode)
	}
	// Remove asks too, and "no" keeps the person.
	answers <- false
	s.eval(fmt.Sprintf(`document.querySelector('#people li[data-id=%q] button').click()`, a.name))
	select {
	case q := <-asked:
		if !strings.Contains(q, "Remove "+a.name) {
			t.Errorf("removing %s asks %q", a.name, q)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("removing %s did not ask first", a.name)
	}
	time.Sleep(500 * time.Millisecond) // a removal, had it happened, would show by now
	if got := s.people(); !slices.Equal(got, want) {
		t.Errorf("after declining to remove %s the page lists %q, want %q", a.name, got, want)
	}

	keptModel := false
	if s.eval(`document.getElementById("finetune-section").dataset.available`) == "true" {
		s.eval(`document.getElementById("finetune-epochs").value = "3"`)
		s.click("finetune-run")
		st := s.poll(`["done", "failed"].includes(document.getElementById("finetune-section").dataset.state) && document.getElementById("finetune-section").dataset.state`, 120*time.Second)
		msg := s.eval(`document.getElementById("finetune-status").textContent`)
		s.shot("09-finetuned")
		if st != "done" {
			t.Errorf("fine-tuning %s: %s", st, msg)
		} else if !strings.Contains(msg, "before:") || !strings.Contains(msg, "after:") {
			t.Errorf("fine-tuning finished without before/after figures: %q", msg)
		}
		t.Logf("fine-tuning: %s", msg)
		if s.eval(`document.getElementById("finetune-section").dataset.kept`) == "true" {
			s.click("finetune-keep")
			s.poll(`document.getElementById("finetune-status").textContent.startsWith("Kept")`, 30*time.Second)
			keptModel = true
		}
	} else {
		t.Log("fine-tuning is not available in this build (engine.fineTune not implemented): the page shows the section disabled; skipping that step")
		s.shot("09-finetune-unavailable")
	}

	s.reload()
	s.waitReady()
	if got := s.people(); !slices.Equal(got, want) {
		t.Errorf("after a reload the page lists %q, want %q", got, want)
	}
	if keptModel {
		if msg := s.eval(`document.getElementById("storage-status").textContent`); !strings.Contains(msg, "Restored your fine-tuned model") {
			t.Errorf("after a reload the kept fine-tuned model was not restored: %q", msg)
		}
	}
	s.shot("10-reloaded")
	s.phone()
	s.shot("11-phone-width")

	// A second tab of the page in the same browser waits for the first
	// (every save writes the whole gallery from one tab's memory: two tabs
	// saving in turn would drop each other's people) and can take over,
	// after which the first stops; a third tab takes over by itself when
	// the tab using the storage closes.
	tab2 := s.newTab()
	tab2.navigate(page)
	tab2.poll(`document.body.dataset.elsewhere === "waiting" && !document.getElementById("elsewhere").hidden`, 90*time.Second)
	tab2.shot("14-second-tab-waiting")
	if inert := tab2.eval(`document.getElementById("main").inert`); inert != "true" {
		t.Errorf("a waiting tab's controls are not inert (inert = %s)", inert)
	}
	if got := s.eval(`document.body.dataset.elsewhere || "in use"`); got != "in use" {
		t.Errorf("opening a second tab changed the first: %q", got)
	}
	tab2.click("elsewhere-take")
	tab2.waitReady()
	if got := tab2.people(); !slices.Equal(got, want) {
		t.Errorf("the tab that took over lists %q, want %q", got, want)
	}
	s.poll(`document.body.dataset.elsewhere === "stopped"`, 30*time.Second)
	if inert := s.eval(`document.getElementById("main").inert`); inert != "true" {
		t.Errorf("the tab that lost the storage keeps its controls (inert = %s)", inert)
	}
	s.shot("15-first-tab-stopped")
	tab3 := s.newTab()
	tab3.navigate(page)
	tab3.poll(`document.body.dataset.elsewhere === "waiting"`, 90*time.Second)
	tab2.closeTab()
	tab3.waitReady()
	if got := tab3.people(); !slices.Equal(got, want) {
		t.Errorf("the tab that took over when the other closed lists %q, want %q", got, want)
	}
	tab3.closeTab()
	s.close()

	// Browser 3: the camera is refused (no fake permission UI: headless
	// Chromium denies the request).
	s = open(t, dir, origin, t.TempDir(), shots,
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("deny-permission-prompts", true))
	s.navigate(page)
	s.waitReady()
	s.click("camera-start")
	kind := s.poll(`document.getElementById("camera-message").dataset.kind`, 30*time.Second)
	text := s.eval(`document.getElementById("camera-message").textContent`)
	s.shot("12-camera-refused")
	if kind != "denied" || !strings.Contains(text, "permission") {
		t.Errorf("camera refused: the page says %q (%s), want the permission message", text, kind)
	}
	s.close()

	// Browser 4: the camera shows an empty grey room: the hint says so.
	// Its storage is first as an older version of the page left it, with a
	// model this build cannot read beside the gallery of A and B (the steps
	// of a bug report): the page restores the people, says the model failed,
	// and keeps it untouched until it is discarded.
	videoEmpty := filepath.Join(tmp, "empty.y4m")
	writeY4M(t, videoEmpty, []*image.RGBA{videoFrame(image.NewRGBA(image.Rect(0, 0, 0, 0)))})
	s = open(t, dir, origin, t.TempDir(), shots, fakeCamera(videoEmpty)...)
	s.navigate(origin + "/favicon.svg") // the origin, without the page opening its storage first
	s.evalPromise(fmt.Sprintf(`new Promise((resolve, reject) => {
		const open = indexedDB.open("oneshot", 1);
		open.onupgradeneeded = () => open.result.createObjectStore("kv");
		open.onerror = () => reject(open.error);
		open.onsuccess = () => {
			const db = open.result;
			const tx = db.transaction("kv", "readwrite");
			tx.objectStore("kv").put(Uint8Array.from(atob(%q), (c) => c.charCodeAt(0)), "gallery");
			tx.objectStore("kv").put(new Uint8Array([1, 2, 3]), "model");
			tx.oncomplete = () => { db.close(); resolve("written"); };
			tx.onerror = () => reject(tx.error);
		};
	})`, exported))
	s.navigate(page)
	s.waitReady()
	checkRestoreFailed := func(when string) {
		t.Helper()
		if got := s.eval(`document.body.dataset.restoreFailed || ""`); got != "model" {
			t.Errorf("%s: the page reports %q as not restored, want the model", when, got)
		}
		if got := s.people(); !slices.Equal(got, want) {
			t.Errorf("%s: the page lists %q, want %q", when, got, want)
		}
	}
	checkRestoreFailed("after version 1's storage with a damaged model")
	if text := s.eval(`document.getElementById("restore-failed").textContent`); !strings.Contains(text, "fine-tuned model") || s.eval(`document.getElementById("restore-failed").hidden`) != "false" {
		t.Errorf("the page does not show that the model failed: %q", text)
	}
	if left := s.evalPromise(`new Promise((resolve) => { const o = indexedDB.open("oneshot"); o.onsuccess = () => {
		const r = o.result.transaction("kv").objectStore("kv").getAllKeys(); r.onsuccess = () => { o.result.close(); resolve(r.result.join(",")); }; }; })`); left != "" {
		t.Errorf("version 1's plaintext values %q are still stored after the move to encrypted storage", left)
	}
	s.shot("13a-restore-failed")
	s.click("restore-keep")
	s.reload()
	s.waitReady()
	checkRestoreFailed("after keeping the model and reloading")
	s.click("restore-discard")
	s.poll(`document.getElementById("storage-status").textContent.startsWith("Discarded")`, 30*time.Second)
	s.reload()
	s.waitReady()
	if got := s.eval(`document.body.dataset.restoreFailed || ""`); got != "" {
		t.Errorf("after discarding the model the page still reports %q as not restored", got)
	}
	if got := s.people(); !slices.Equal(got, want) {
		t.Errorf("after discarding the model the page lists %q, want %q", got, want)
	}
	s.click("camera-start")
	hint := s.poll(`document.getElementById("hint").dataset.ok === "false" && document.getElementById("hint").textContent`, 60*time.Second)
	s.shot("13-no-face")
	if !strings.Contains(hint, "No face") {
		t.Errorf("camera showing no face: the hint says %q, want it to say there is no face", hint)
	}
	s.close()
}

// session is one browser on the page, with its network log.
type session struct {
	t      *testing.T
	ctx    context.Context
	dir    string // the served folder
	origin string
	shots  string

	mu         sync.Mutex
	requests   []string // every request URL, in order
	ready      int      // len(requests) when the engine said it was ready; -1 before
	workers    int      // workers attached to
	violations []string // what the Content-Security-Policy refused
}

// needBrowser skips a page test in -short mode and without the face data
// (saying which test, what), and makes sure Chromium is there: without it
// browsertest.Start skips, or fails in CI, with the reason.
func needBrowser(t *testing.T, what string) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	if _, err := dataset.Root(); err != nil {
		t.Skipf("skipping the %s test: %v", what, err)
	}
	if browsertest.ChromiumPath() == "" {
		browsertest.Start(t)
	}
}

// fakeCamera is the Chromium flags that grant the camera without asking
// and play video (a .y4m file) as its picture.
func fakeCamera(video string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", video),
	}
}

// open starts Chromium with a profile folder and extra flags and records
// the page's requests.
func open(t *testing.T, dir, origin, profile, shots string, flags ...chromedp.ExecAllocatorOption) *session {
	t.Helper()
	opts := append([]chromedp.ExecAllocatorOption{chromedp.UserDataDir(profile), chromedp.WindowSize(1100, 1000)}, flags...)
	s := &session{t: t, ctx: browsertest.Start(t, opts...), dir: dir, origin: origin, shots: shots, ready: -1}
	workers := make(chan target.ID, 8)
	if err := chromedp.Listen(s.ctx, func(ev any) {
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			s.record(e, "page")
		case *cdplog.EventEntryAdded:
			if e.Entry != nil && strings.Contains(e.Entry.Text, "Content Security Policy") {
				s.mu.Lock()
				s.violations = append(s.violations, e.Entry.Text)
				s.mu.Unlock()
			}
		case *target.EventAttachedToTarget:
			if e.TargetInfo != nil && e.TargetInfo.Type == "worker" {
				select {
				case workers <- e.TargetInfo.TargetID:
				default:
				}
			}
		}
	}); err != nil {
		t.Fatalf("listening to network events: %v", err)
	}
	// The engine's worker is a target of its own: attach to it and record
	// its requests too.
	go func() {
		for id := range workers {
			wctx, _ := chromedp.NewContext(s.ctx, chromedp.WithTargetID(id), chromedp.WithListener(func(ev any) {
				if e, ok := ev.(*network.EventRequestWillBeSent); ok {
					s.record(e, "worker")
				}
			}))
			_, err := chromedp.Run(wctx, chromedp.Evaluate[any]("1"))
			s.mu.Lock()
			s.workers++
			s.mu.Unlock()
			if os.Getenv("ONESHOT_E2E_DEBUG") != "" {
				fmt.Printf("attached to worker %s: %v\n", id, err)
			}
		}
	}()
	return s
}

func (s *session) record(e *network.EventRequestWillBeSent, from string) {
	if e.Request == nil {
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, e.Request.URL)
	s.mu.Unlock()
	if os.Getenv("ONESHOT_E2E_DEBUG") != "" {
		fmt.Printf("request from %s: %s %s %s\n", from, e.Type, e.Request.Method, e.Request.URL)
	}
}

// close checks the network log and closes the browser (the profile folder
// can then be opened by the next one).
func (s *session) close() {
	s.t.Helper()
	s.checkRequests()
	if err := chromedp.Cancel(s.ctx); err != nil {
		s.t.Logf("closing the browser: %v", err)
	}
}

// checkRequests fails the test for a request to another origin, or for a
// request after the engine was ready that is not one of the page's files.
func (s *session) checkRequests() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.violations {
		s.t.Errorf("the page did something its Content-Security-Policy refuses: %s", v)
	}
	for i, raw := range s.requests {
		u, err := url.Parse(raw)
		if err != nil {
			s.t.Errorf("request to an unreadable URL %q", raw)
			continue
		}
		if u.Scheme == "blob" || u.Scheme == "data" {
			continue // made in the tab, nothing is sent
		}
		if u.Scheme+"://"+u.Host != s.origin {
			s.t.Errorf("the page sent a request to another origin: %s", raw)
			continue
		}
		if s.ready >= 0 && i >= s.ready {
			rel := strings.TrimPrefix(u.Path, "/")
			if rel == "" || strings.HasSuffix(rel, "/") {
				rel += "index.html" // the file server's answer for a folder
			}
			p := filepath.Join(s.dir, filepath.FromSlash(rel))
			if st, err := os.Stat(p); err != nil || st.IsDir() || u.RawQuery != "" || strings.Contains(u.Path, "..") {
				s.t.Errorf("after the engine was ready the page requested %s, which is not one of its static files", raw)
			}
		}
	}
	if s.ready >= 0 && s.workers == 0 {
		s.t.Errorf("never attached to the engine's worker, so its requests were not recorded")
	}
	s.t.Logf("%d requests (page and worker), all to %s; %d after the engine was ready, all static files", len(s.requests), s.origin, max(0, len(s.requests)-s.ready))
}

// newTab opens another tab in the session's browser (same profile, so the
// same storage and locks). Its requests are not recorded: the first tab's
// are, and the tabs load the same page.
func (s *session) newTab() *session {
	s.t.Helper()
	ctx, _ := chromedp.NewContext(s.ctx) // the tab opens at its first action
	return &session{t: s.t, ctx: ctx, dir: s.dir, origin: s.origin, shots: s.shots, ready: -1}
}

// closeTab closes a tab opened by newTab.
func (s *session) closeTab() {
	s.t.Helper()
	if err := chromedp.Cancel(s.ctx); err != nil {
		s.t.Errorf("closing a tab: %v", err)
	}
}

func (s *session) navigate(u string) {
	s.t.Helper()
	if err := chromedp.Do(s.ctx, chromedp.Navigate(u)); err != nil {
		s.t.Fatalf("opening %s: %v", u, err)
	}
}

func (s *session) reload() {
	s.t.Helper()
	if err := chromedp.Do(s.ctx, chromedp.Reload()); err != nil {
		s.t.Fatalf("reloading: %v", err)
	}
}

// waitReady waits for the status line to say the engine is ready, then
// marks the network log: later requests must be static files.
func (s *session) waitReady() {
	s.t.Helper()
	text := s.poll(`document.querySelector("#status.ok, #status.error")?.textContent`, 90*time.Second)
	if !strings.Contains(text, "is ready") {
		s.t.Fatalf("the page says %q, want it to contain %q", text, "is ready")
	}
	s.poll(`document.body.dataset.ready`, 10*time.Second)
	s.mu.Lock()
	if s.ready < 0 {
		s.ready = len(s.requests)
	}
	s.mu.Unlock()
}

// poll waits until a JavaScript expression is truthy and returns it as a string.
func (s *session) poll(expr string, timeout time.Duration) string {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Poll[any](expr, chromedp.WithPollingTimeout(timeout)))
	if err != nil {
		s.shot("failed")
		s.t.Fatalf("waiting for %s: %v\npage: %s", expr, err, s.eval(`["status", "hint", "camera-message", "enroll-status", "verify-verdict", "identify-verdict", "finetune-status"].map((id) => id + ": " + document.getElementById(id).textContent).join("\\n")`))
	}
	return fmt.Sprint(v)
}

// eval evaluates a JavaScript expression and returns it as a string.
func (s *session) eval(expr string) string {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Evaluate[any](expr))
	if err != nil {
		s.t.Fatalf("evaluating %s: %v", expr, err)
	}
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// evalPromise evaluates a JavaScript expression whose value is a promise
// and returns what it resolves to, as a string.
func (s *session) evalPromise(expr string) string {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		s.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// answerDialogs answers each dialog the page opens (confirm) with the next
// value sent on answers, and sends the dialog's message on asked.
func (s *session) answerDialogs() (answers chan<- bool, asked <-chan string) {
	ans, msgs := make(chan bool, 4), make(chan string, 4)
	go func() {
		for ev, err := range chromedp.Events(s.ctx, page.JavascriptDialogOpening) {
			if err != nil {
				return
			}
			msgs <- ev.Message
			accept := false
			select {
			case accept = <-ans:
			case <-s.ctx.Done():
				return
			}
			if _, err := chromedp.Call(s.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept}); err != nil {
				s.t.Logf("answering a dialog: %v", err)
			}
		}
	}()
	return ans, msgs
}

func (s *session) click(id string) {
	s.t.Helper()
	s.eval(fmt.Sprintf(`(() => { const b = document.getElementById(%q); if (b.disabled) throw new Error("#%s is disabled"); b.click(); })()`, id, id))
}

// startCamera presses Start camera and waits for a good frame.
func (s *session) startCamera() {
	s.t.Helper()
	s.click("camera-start")
	s.poll(`document.getElementById("hint").dataset.ok === "true"`, 60*time.Second)
}

// enroll types a name, presses Enroll and waits for the page to say it is done.
func (s *session) enroll(name string) {
	s.t.Helper()
	s.eval(fmt.Sprintf(`document.getElementById("enroll-name").value = %q; document.getElementById("enroll-form").requestSubmit()`, name))
	got := s.poll(`document.getElementById("enroll-status").dataset.enrolled`, 90*time.Second)
	if got != name {
		s.t.Fatalf("enrolled %q, want %q", got, name)
	}
	if n := s.eval(`document.querySelectorAll("#enroll-thumbs canvas").length`); n != "5" {
		s.t.Errorf("%s thumbnails after enrolling, want 5", n)
	}
}

// people returns the enrolled people the page lists.
func (s *session) people() []string {
	s.t.Helper()
	v := s.eval(`[...document.querySelectorAll("#people li")].map((li) => li.dataset.id).join("\n")`)
	if v == "" {
		return nil
	}
	return strings.Split(v, "\n")
}

// waitFresh clears an element's result attributes so the next wait sees a new answer.
func (s *session) waitFresh(id string) {
	s.eval(fmt.Sprintf(`(() => { const e = document.getElementById(%q); delete e.dataset.verdict; delete e.dataset.unknown; })()`, id))
}

// verdict waits for a verification verdict: "match" or "nomatch".
func (s *session) verdict() string {
	s.t.Helper()
	return s.poll(`document.getElementById("verify-verdict").dataset.verdict`, 60*time.Second)
}

// identified waits for an identification.
func (s *session) identified() (id string, unknown bool) {
	s.t.Helper()
	u := s.poll(`document.getElementById("identify-verdict").dataset.unknown`, 60*time.Second)
	return s.eval(`document.getElementById("identify-verdict").dataset.id`), u == "true"
}

// phone narrows the viewport to a phone's width.
func (s *session) phone() {
	s.t.Helper()
	if err := chromedp.Do(s.ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		s.t.Fatalf("phone viewport: %v", err)
	}
	if w := s.eval(`document.documentElement.scrollWidth <= window.innerWidth + 1`); w != "true" {
		s.t.Errorf("at a phone's width the page scrolls sideways (scrollWidth %s, innerWidth %s)",
			s.eval(`document.documentElement.scrollWidth`), s.eval(`window.innerWidth`))
	}
}

// shot saves a screenshot of the whole page.
func (s *session) shot(name string) {
	s.t.Helper()
	b, err := chromedp.Run(s.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		s.t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(s.shots, name+".png"), b, 0o644); err != nil {
		s.t.Logf("screenshot %s: %v", name, err)
	}
}

// serve builds cmd/serve and runs it on a free port of 127.0.0.1, so the
// page gets the real headers (CSP, COEP, MIME types, compression). It
// returns the origin.
func serve(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "serve")
	build := exec.Command("go", "build", "-o", bin, "./cmd/serve")
	build.Dir = browsertest.ModuleRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building cmd/serve: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "-dir", dir, "-addr", addr)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	origin := "http://" + addr
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		r, err := http.Get(origin + "/index.html")
		if err == nil {
			r.Body.Close()
			break
		}
		if time.Since(start) > 20*time.Second {
			t.Fatalf("cmd/serve did not answer on %s: %v\n%s", addr, err, logs.String())
		}
	}
	return origin
}

// checkHeaders checks that the server sends the page with a
// Content-Security-Policy that keeps every connection on its origin.
func checkHeaders(t *testing.T, origin string) {
	t.Helper()
	r, err := http.Get(origin + "/index.html")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	csp := r.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
}

// subject is a person of the test and the video frames showing them.
type subject struct {
	name   string
	frames []*image.RGBA
}

// pickPeople chooses two LFW people of peopleDevTest.txt with
// imagesPerVideo images whose video frames pass the quality check. With a
// trained model it also checks natively that the scenario's verdicts hold
// for them (A enrolled: A matches, B does not and is unknown; B enrolled: B
// is identified), so the browser test checks the page, not the model.
func pickPeople(t *testing.T, model []byte, trained bool) (a, b subject) {
	t.Helper()
	people, e := browsertest.LFWPeople(t, "peopleDevTest.txt", model)
	var found []subject
	for _, p := range people {
		if len(p.Images) < imagesPerVideo+2 {
			continue
		}
		s := subject{name: p.Name}
		for _, path := range p.Images {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			img, err := face.DecodeBytes(data)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			f := videoFrame(img)
			d, err := e.Detect(engine.Frame{Pix: f.Pix, Width: videoW, Height: videoH})
			if err != nil {
				t.Fatal(err)
			}
			if d.Quality.OK {
				s.frames = append(s.frames, f)
			}
			if len(s.frames) == imagesPerVideo {
				break
			}
		}
		if len(s.frames) < imagesPerVideo {
			continue
		}
		for _, other := range found {
			if !trained || scenarioHolds(t, e, other, s) {
				return other, s
			}
		}
		found = append(found, s)
		if len(found) > 12 {
			break
		}
	}
	t.Skipf("LFW: found no two people with %d good images for whom the verdicts hold natively", imagesPerVideo)
	return
}

// scenarioHolds runs the browser scenario's verdicts natively, with a
// margin: the browser sees the frames through a video encoding, so a
// distance near the threshold could go either way there.
func scenarioHolds(t *testing.T, e *engine.Engine, a, b subject) bool {
	t.Helper()
	frames := func(s subject) []engine.Frame {
		var out []engine.Frame
		for _, f := range s.frames {
			out = append(out, engine.Frame{Pix: slices.Clone(f.Pix), Width: videoW, Height: videoH})
		}
		return out
	}
	defer e.Remove(a.name)
	defer e.Remove(b.name)
	if _, err := e.Enroll(a.name, frames(a)); err != nil {
		return false
	}
	for _, f := range frames(a) {
		if v, err := e.Verify(a.name, f, engine.Options{}); err != nil || v.Distance > 0.8*v.Threshold {
			return false
		}
	}
	for _, f := range frames(b) {
		if v, err := e.Verify(a.name, f, engine.Options{}); err != nil || v.Distance < 1.25*v.Threshold {
			return false
		}
		if r, err := e.Identify(f, engine.Options{}); err != nil || !r.Unknown {
			return false
		}
	}
	if _, err := e.Enroll(b.name, frames(b)); err != nil {
		return false
	}
	for _, f := range frames(b) {
		if v, err := e.Verify(b.name, f, engine.Options{}); err != nil || v.Distance > 0.8*v.Threshold {
			return false
		}
	}
	return true
}

// videoFrame pastes an image in the middle of a grey 640×480 frame.
func videoFrame(img image.Image) *image.RGBA {
	f := image.NewRGBA(image.Rect(0, 0, videoW, videoH))
	draw.Draw(f, f.Bounds(), image.NewUniform(color.Gray{128}), image.Point{}, draw.Src)
	sb := img.Bounds()
	at := image.Pt((videoW-sb.Dx())/2, (videoH-sb.Dy())/2)
	draw.Draw(f, image.Rectangle{Min: at, Max: at.Add(sb.Size())}, img, sb.Min, draw.Src)
	return f
}

// writeY4M writes frames as a YUV4MPEG2 video (4:2:0, JPEG full range),
// each held for holdFrames frames, for Chromium's fake webcam.
func writeY4M(t *testing.T, path string, frames []*image.RGBA) {
	t.Helper()
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(out, 1<<20)
	fmt.Fprintf(w, "YUV4MPEG2 W%d H%d F30:1 Ip A1:1 C420jpeg\n", videoW, videoH)
	for _, f := range frames {
		y := make([]byte, videoW*videoH)
		cb := make([]byte, videoW*videoH/4)
		cr := make([]byte, videoW*videoH/4)
		var sumB, sumR []int = make([]int, len(cb)), make([]int, len(cr))
		for py := 0; py < videoH; py++ {
			for px := 0; px < videoW; px++ {
				o := f.PixOffset(px, py)
				yy, u, v := color.RGBToYCbCr(f.Pix[o], f.Pix[o+1], f.Pix[o+2])
				y[py*videoW+px] = yy
				c := (py/2)*(videoW/2) + px/2
				sumB[c] += int(u)
				sumR[c] += int(v)
			}
		}
		for i := range cb {
			cb[i] = byte((sumB[i] + 2) / 4)
			cr[i] = byte((sumR[i] + 2) / 4)
		}
		for range holdFrames {
			w.WriteString("FRAME\n")
			w.Write(y)
			w.Write(cb)
			w.Write(cr)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSwitchModel enrolls a person with the compact model, switches the
// page to the accurate model in Settings (the download's progress shown,
// everyone re-embedded from the kept face crops) and verifies the same
// person with it; then switches back and verifies again. A reload keeps
// the choice. It needs a build with the accurate model (npm fetches its
// weights) and skips without one.
func TestSwitchModel(t *testing.T) {
	needBrowser(t, "model switch")
	dir := browsertest.BuildWebAccurate(t)
	model, trained := browsertest.ModelFor(t, dir)
	a, _ := pickPeople(t, model, trained)
	t.Logf("person: %s", a.name)
	tmp := t.TempDir()
	videoA := filepath.Join(tmp, "a.y4m")
	writeY4M(t, videoA, a.frames)
	shots, err := os.MkdirTemp("", "oneshot-e2e-switch-")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots of each step: %s", shots)
	origin := serve(t, dir)
	s := open(t, dir, origin, t.TempDir(), shots, fakeCamera(videoA)...)
	defer s.close()
	s.navigate(origin + "/index.html")
	s.waitReady()
	if got := s.eval(`document.body.dataset.models`); got != "compact,accurate" {
		t.Fatalf("the page offers the models %q, want compact,accurate", got)
	}
	if text := s.eval(`document.getElementById("model-accurate-text").textContent`); !strings.Contains(text, "MB") || !strings.Contains(text, "ms a face") || !strings.Contains(text, "LFW") {
		t.Errorf("the accurate model is offered as %q, want its size, speed and accuracy", text)
	}
	s.startCamera()
	s.enroll(a.name)

	switchTo := func(name string) {
		t.Helper()
		// Progress: record the status lines the switch shows.
		s.eval(`globalThis.switchLog = []; new MutationObserver(() => globalThis.switchLog.push(document.getElementById("model-status").textContent)).observe(document.getElementById("model-status"), {childList: true, characterData: true, subtree: true})`)
		s.eval(fmt.Sprintf(`document.querySelector('#model-choice input[value=%q]').click()`, name))
		s.poll(fmt.Sprintf(`document.body.dataset.model === %q && !document.body.dataset.switching`, name), 180*time.Second)
		status := s.eval(`document.getElementById("model-status").textContent`)
		if !strings.Contains(status, "Now using") || !strings.Contains(status, "re-embedded") {
			t.Errorf("after switching to %s the page says %q", name, status)
		}
		if log := s.eval(`globalThis.switchLog.join("\n")`); name == "accurate" && !strings.Contains(log, " MB…") {
			t.Errorf("switching to the accurate model showed no download progress:\n%s", log)
		}
		if got := s.people(); !slices.Equal(got, []string{a.name}) {
			t.Errorf("after switching to %s the page lists %q, want [%s]", name, got, a.name)
		}
	}
	verify := func(name string) {
		t.Helper()
		s.click("verify-button")
		s.waitFresh("verify-verdict")
		if v := s.verdict(); trained && v != "match" {
			t.Errorf("verify %s with the %s model: verdict %q, want match", a.name, name, v)
		}
		s.shot("verify-" + name)
		s.click("verify-button") // stop verifying
	}
	switchTo("accurate")
	if info := s.eval(`JSON.stringify([globalThis.oneshotEngine.info.model.cropWidth, globalThis.oneshotEngine.info.model.calibrated])`); info != "[150,true]" {
		t.Errorf("the accurate model in use: [cropWidth, calibrated] = %s, want [150,true]", info)
	}
	verify("accurate")
	// The choice is saved: a reload switches to it again, the person kept.
	s.reload()
	s.waitReady()
	s.poll(`document.body.dataset.model === "accurate" && !document.body.dataset.switching`, 180*time.Second)
	if got := s.people(); !slices.Equal(got, []string{a.name}) {
		t.Errorf("after a reload the page lists %q, want [%s]", got, a.name)
	}
	s.startCamera()
	switchTo("compact")
	verify("compact")
}
