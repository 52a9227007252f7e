//go:build !js

package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/draw"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/engine"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/internal/browsertest"
)

// testPage loads oneshot.js and gives the test a few helpers: image(url)
// decodes a JPEG into a fresh ImageData (createImageBitmap, OffscreenCanvas),
// settle(promise) turns a rejection into {ok: false, name, message}.
const testPage = `<!doctype html>
<meta charset="utf-8">
<title>Oneshot API test</title>
<script type="module">
import { Oneshot, Engine } from "/oneshot.js";
const bitmaps = new Map();
async function image(url) {
  let bmp = bitmaps.get(url);
  if (!bmp) {
    const r = await fetch(url);
    if (!r.ok) throw new Error(url + ": HTTP " + r.status);
    bmp = await createImageBitmap(await r.blob());
    bitmaps.set(url, bmp);
  }
  const c = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = c.getContext("2d");
  ctx.drawImage(bmp, 0, 0);
  return ctx.getImageData(0, 0, bmp.width, bmp.height);
}
async function settle(p) {
  try {
    return { ok: true, value: await p };
  } catch (e) {
    return { ok: false, name: e && e.name, message: String(e && e.message !== undefined ? e.message : e), method: e && e.method, details: e && e.details };
  }
}
window.T = { Oneshot, Engine, image, settle };
</script>
`

// person is an LFW person of the test half with four images that pass the
// quality check, as URLs the test server serves.
type person struct {
	Name string   `json:"name"`
	URLs []string `json:"urls"`
}

// pickPeople chooses n people of peopleDevTest.txt with four good images,
// using the native engine, and returns them with the files to serve.
func pickPeople(t *testing.T, model []byte, n int) ([]person, map[string]string) {
	t.Helper()
	people, e := browsertest.LFWPeople(t, "peopleDevTest.txt", model)
	files := map[string]string{}
	var out []person
	for _, p := range people {
		if len(p.Images) < 6 {
			continue
		}
		var urls []string
		for _, path := range p.Images {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			img, err := face.DecodeBytes(b)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			f := frameOf(img)
			d, err := e.Detect(f)
			if err != nil {
				t.Fatal(err)
			}
			if !d.Quality.OK {
				continue
			}
			u := "/lfw/" + p.Name + "/" + filepath.Base(path)
			files[u] = path
			urls = append(urls, u)
			if len(urls) == 4 {
				break
			}
		}
		if len(urls) == 4 {
			out = append(out, person{p.Name, urls})
			if len(out) == n {
				return out, files
			}
		}
	}
	t.Skipf("LFW: only %d people with 4 good images", len(out))
	return nil, nil
}

// frameOf converts an image to an engine.Frame.
func frameOf(img image.Image) engine.Frame {
	b := img.Bounds()
	rgba := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(rgba, rgba.Bounds(), img, b.Min, draw.Src)
	return engine.Frame{Pix: rgba.Pix, Width: b.Dx(), Height: b.Dy()}
}

// openTestPage serves the built folder dir, the test page (which loads
// oneshot.js as window.T), a garbage model file and the LFW images of files
// (URL path → file), for the rest of the test, and opens the page in ctx.
func openTestPage(t *testing.T, ctx context.Context, dir string, files map[string]string) {
	t.Helper()
	mime.AddExtensionType(".wasm", "application/wasm")
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir(dir)))
	mux.HandleFunc("/test.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, testPage)
	})
	mux.HandleFunc("/garbage.oneshot", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "this is not a model file")
	})
	mux.HandleFunc("/lfw/", func(w http.ResponseWriter, r *http.Request) {
		path, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, path)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/test.html")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!window.T`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the test page did not load oneshot.js: %v", err)
	}
}

// js evaluates an async function body in the page and decodes its result.
func js[T any](t *testing.T, ctx context.Context, body string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T]("(async () => {\n"+body+"\n})()", chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("in the page: %v\n%s", err, body)
	}
	return v
}

// outcome is what T.settle returns.
type outcome struct {
	OK      bool            `json:"ok"`
	Name    string          `json:"name"`
	Message string          `json:"message"`
	Method  string          `json:"method"`
	Value   json.RawMessage `json:"value"`
	Details json.RawMessage `json:"details"`
}

func TestJavaScriptAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	if _, err := dataset.Root(); err != nil {
		t.Skipf("skipping the browser API test: %v", err)
	}
	ctx := browsertest.Start(t)
	dir := browsertest.BuildWeb(t)
	model, trained := browsertest.ModelFor(t, dir)
	if !trained {
		t.Log("no trained model (models/compact.oneshot): checking the plumbing only, not the verdicts")
	}
	people, files := pickPeople(t, model, 3)
	alice, bob, carol := people[0], people[1], people[2]
	t.Logf("people: %s, %s, %s", alice.Name, bob.Name, carol.Name)

	openTestPage(t, ctx, dir, files)
	peopleJSON, _ := json.Marshal(people)
	js[chromedp.Void](t, ctx, `window.P = `+string(peopleJSON)+`;`)

	// Load, with progress.
	start := time.Now()
	type loaded struct {
		Version  string   `json:"version"`
		Stages   []string `json:"stages"`
		Fraction float64  `json:"fraction"`
		Info     engine.Info
	}
	ld := js[loaded](t, ctx, `
		const stages = [];
		let fraction = 0;
		window.engine = await T.Oneshot.load({modelURL: "/model.oneshot", onProgress(p) {
			if (!stages.includes(p.stage)) stages.push(p.stage);
			if (p.stage === "model" && p.fraction !== null) fraction = p.fraction;
		}});
		return {version: engine.version, stages, fraction, info: engine.info};`)
	t.Logf("loaded Oneshot %s in %v, progress stages %v", ld.Version, time.Since(start).Round(time.Millisecond), ld.Stages)
	if ld.Version == "" || ld.Info.Model.Dim != 128 || ld.Info.Model.Calibrated != trained || len(ld.Info.People) != 0 {
		t.Errorf("load: %+v", ld)
	}
	if m := ld.Info.Model; trained && !(m.StrictThreshold > 0 && m.StrictThreshold < m.Threshold) {
		t.Errorf("the shipped model's strict point %v is not between 0 and its threshold %v", m.StrictThreshold, m.Threshold)
	}
	for _, s := range []string{"wasm", "model", "facefinder", "puploc", "init"} {
		if !strings.Contains(strings.Join(ld.Stages, " "), s) {
			t.Errorf("no progress reported for %q (got %v)", s, ld.Stages)
		}
	}
	if ld.Fraction != 1 {
		t.Errorf("model progress ended at %v, want 1", ld.Fraction)
	}

	// Detect; the pixels are transferred, not copied.
	type detected struct {
		D        engine.Detection `json:"d"`
		Detached bool             `json:"detached"`
	}
	det := js[detected](t, ctx, `
		const img = await T.image(P[0].urls[0]);
		const d = await engine.detect(img);
		return {d, detached: img.data.byteLength === 0};`)
	if len(det.D.Faces) == 0 || !det.D.Quality.OK || det.D.Width != 250 || det.D.Faces[0].Box.Width <= 0 || !det.D.Faces[0].Pupils.Found {
		t.Errorf("detect: %+v", det.D)
	}
	if !det.Detached {
		t.Error("detect: the ImageData's buffer was copied, not transferred")
	}
	if tm := det.D.Timings; !(tm.Detect > 0) || tm.Pupils < 0 || tm.Quality < 0 || tm.Align != 0 || tm.Embed != 0 || tm.Total < tm.Detect {
		t.Errorf("detect: timings %+v, want detect > 0, no align or embed, total ≥ detect", tm)
	}

	// Enroll three people from three images each.
	for i, p := range people {
		r := js[engine.EnrollResult](t, ctx, fmt.Sprintf(`
			const imgs = await Promise.all(P[%d].urls.slice(0, 3).map(T.image));
			return await engine.enroll(P[%d].name, imgs);`, i, i))
		if !r.Enrolled || r.ID != p.Name || r.Accepted != 3 || r.Refused != 0 || len(r.Frames) != 3 {
			t.Fatalf("enroll %s: %+v", p.Name, r)
		}
	}

	// Verify: the fourth image of alice, and one of bob.
	verify := func(id string, who, i int) engine.Verification {
		return js[engine.Verification](t, ctx, fmt.Sprintf(`return await engine.verify(%q, await T.image(P[%d].urls[%d]));`, id, who, i))
	}
	same := verify(alice.Name, 0, 3)
	other := verify(alice.Name, 1, 3)
	t.Logf("verify %s with their 4th image: match=%v d=%.3f score=%.1f; with %s's: match=%v d=%.3f score=%.1f",
		alice.Name, same.Match, same.Distance, same.Score, bob.Name, other.Match, other.Distance, other.Score)
	for _, v := range []engine.Verification{same, other} {
		if v.ID != alice.Name || v.Threshold != ld.Info.Model.Threshold || v.Distance < 0 || v.Distance > 4 ||
			(v.Score >= 50) != v.Match || v.Face.Box.Width <= 0 {
			t.Errorf("verification %+v is inconsistent", v)
		}
	}
	if trained {
		if !same.Match {
			t.Errorf("%s's 4th image does not match their enrollment: %+v", alice.Name, same)
		}
		if other.Match {
			t.Errorf("%s's image matches %s: %+v", bob.Name, alice.Name, other)
		}
	}
	strict := js[engine.Verification](t, ctx, fmt.Sprintf(`return await engine.verify(%q, await T.image(P[0].urls[3]), {threshold: %v});`,
		alice.Name, same.Distance/2))
	if strict.Match || strict.Threshold != same.Distance/2 {
		t.Errorf("verify with a threshold of %v: %+v", same.Distance/2, strict)
	}
	if trained {
		// {threshold: "strict"}: the model's strict point, in verify and identify.
		sv := js[engine.Verification](t, ctx, fmt.Sprintf(`return await engine.verify(%q, await T.image(P[0].urls[3]), {threshold: "strict"});`, alice.Name))
		si := js[engine.Identification](t, ctx, `return await engine.identify(await T.image(P[0].urls[3]), {threshold: "strict"});`)
		if want := ld.Info.Model.StrictThreshold; sv.Threshold != want || si.Threshold != want || sv.Distance != same.Distance || sv.Match != (same.Distance <= want) {
			t.Errorf("verify and identify at the strict point %v: %+v, %+v", want, sv, si)
		}
	}

	// Identify among the three.
	for i, p := range people {
		id := js[engine.Identification](t, ctx, fmt.Sprintf(`return await engine.identify(await T.image(P[%d].urls[3]));`, i))
		t.Logf("identify %s: %+v", p.Name, id.Candidates)
		if len(id.Candidates) != 3 || id.Unknown == (id.ID != "") || id.Candidates[0].Distance > id.Candidates[1].Distance {
			t.Errorf("identify %s: %+v", p.Name, id)
		}
		if trained && id.ID != p.Name {
			t.Errorf("identify %s: got %q, candidates %+v", p.Name, id.ID, id.Candidates)
		}
	}

	// Embed: a Float32Array of unit length.
	type embedded struct {
		Type string  `json:"type"`
		Len  int     `json:"len"`
		Norm float64 `json:"norm"`
	}
	emb := js[embedded](t, ctx, `
		const v = await engine.embed(await T.image(P[2].urls[0]));
		return {type: v.constructor.name, len: v.length, norm: Math.hypot(...v)};`)
	if emb.Type != "Float32Array" || emb.Len != 128 || emb.Norm < 0.999 || emb.Norm > 1.001 {
		t.Errorf("embed: %+v", emb)
	}
	// With {details: true}: the vector, the face, the quality and the
	// module's stage timings.
	type detailed struct {
		Type    string         `json:"type"`
		Len     int            `json:"len"`
		Face    engine.Face    `json:"face"`
		Quality engine.Quality `json:"quality"`
		Timings engine.Timings `json:"timings"`
	}
	det2 := js[detailed](t, ctx, `
		const r = await engine.embed(await T.image(P[2].urls[0]), {details: true});
		return {type: r.vector.constructor.name, len: r.vector.length, face: r.face, quality: r.quality, timings: r.timings};`)
	if tm := det2.Timings; det2.Type != "Float32Array" || det2.Len != 128 || det2.Face.Box.Width <= 0 || !det2.Quality.OK ||
		!(tm.Embed > 0) || !(tm.Detect > 0) || tm.Align < 0 || tm.Pupils < 0 || tm.Quality < 0 || tm.Total < tm.Embed+tm.Detect {
		t.Errorf("embed with details: %+v", det2)
	}
	t.Logf("embed timings in the module: %+v", det2.Timings)
	if same.Timings.Embed <= 0 || same.Timings.Total < same.Timings.Embed {
		t.Errorf("verify: timings %+v, want embed > 0", same.Timings)
	}

	// Export the gallery, remove someone, import it back.
	type roundTrip struct {
		Bytes   int                `json:"bytes"`
		After   []string           `json:"after"`
		Import  engine.GalleryInfo `json:"import"`
		People  []string           `json:"people"`
		Model   int                `json:"model"`
		Removed string             `json:"removed"`
	}
	rt := js[roundTrip](t, ctx, fmt.Sprintf(`
		const saved = await engine.exportGallery();
		const r = await engine.remove(%q);
		const after = await engine.people();
		const imp = await engine.importGallery(saved);
		const model = await engine.exportModel();
		return {bytes: saved.byteLength, after, import: imp, people: await engine.people(), model: model.byteLength, removed: r.removed};`, carol.Name))
	if rt.Bytes == 0 || len(rt.After) != 2 || rt.Removed != carol.Name || rt.Import.People != 3 || len(rt.People) != 3 || rt.Model != len(model) {
		t.Errorf("export/remove/import: %+v", rt)
	}

	// Bad calls reject with a message, and the engine still answers.
	bad := []struct {
		name, call, want string
	}{
		{"string for an image", `engine.detect("not an image")`, "image is a string"},
		{"no image", `engine.detect()`, "image is undefined"},
		{"0×0 image", `engine.detect({data: new Uint8ClampedArray(0), width: 0, height: 0})`, "0×0"},
		{"empty pixels", `engine.detect({data: new Uint8ClampedArray(0), width: 10, height: 10})`, "width×height×4 = 400"},
		{"wrong length", `engine.detect({data: new Uint8ClampedArray(10), width: 2, height: 2})`, "10 bytes"},
		{"too large", `engine.detect({data: new Uint8ClampedArray(4), width: 5000, height: 1})`, "4096"},
		{"width a string", `engine.detect({data: new Uint8ClampedArray(16), width: "2", height: 2})`, "width is a string"},
		{"float pixels", `engine.detect({data: new Float32Array(16), width: 2, height: 2})`, "Float32Array"},
		{"a function", `engine.detect(() => 1)`, "cannot be sent to the worker"},
		{"number id", `(async () => engine.verify(42, await T.image(P[0].urls[3])))()`, "id is a number"},
		{"unknown id", `(async () => engine.verify("Nobody_At_All", await T.image(P[0].urls[3])))()`, "no person enrolled"},
		{"remove unknown", `engine.remove("Nobody_At_All")`, "no person enrolled"},
		{"images not an array", `engine.enroll("x", "nope")`, "images is a string"},
		{"no images", `engine.enroll("x", [])`, "0 images"},
		{"bad threshold", `(async () => engine.verify(P[0].name, await T.image(P[0].urls[3]), {threshold: -1}))()`, "threshold -1"},
		{"threshold a word", `(async () => engine.verify(P[0].name, await T.image(P[0].urls[3]), {threshold: "lenient"}))()`, "or \"strict\""},
		{"bad k", `(async () => engine.identify(await T.image(P[0].urls[3]), {k: 2.5}))()`, "options.k is 2.5"},
		{"no face", `engine.verify(P[0].name, new ImageData(64, 64))`, "no face"},
		{"garbage model", `engine.importModel(new Uint8Array([1, 2, 3, 4]))`, "not a usable model"},
		{"model as string", `engine.importModel("model")`, "model is a string"},
		{"garbage gallery", `engine.importGallery(new Uint8Array(100))`, "not a gallery"},
		{"detached pixels", `(async () => { const i = await T.image(P[0].urls[0]); await engine.detect(i); return engine.detect(i); })()`, "detached"},
		{"fine-tune", `engine.fineTune()`, "options is undefined"},
		{"embed options", `(async () => engine.embed(await T.image(P[0].urls[0]), "details"))()`, "options is a string"},
		{"embed details", `(async () => engine.embed(await T.image(P[0].urls[0]), {details: 1}))()`, "options.details is a number"},
		{"model a number", `engine.useModel(5)`, "model is a number"},
		{"model unknown", `engine.useModel("huge")`, `no model named "huge"`},
		{"model missing", `engine.useModel("no-such-model.oneshot")`, "HTTP 404"},
		{"model options", `engine.useModel("compact", "fast")`, "options is a string"},
	}
	for _, b := range bad {
		o := js[outcome](t, ctx, `return await T.settle(`+b.call+`);`)
		if o.OK {
			t.Errorf("%s: %s resolved with %s, want a rejection", b.name, b.call, o.Value)
			continue
		}
		if !strings.Contains(o.Message, b.want) {
			t.Errorf("%s: rejected with %q, want a message containing %q", b.name, o.Message, b.want)
		}
		// Still alive, still the same answers.
		if again := verify(alice.Name, 0, 3); again.Distance != same.Distance || again.Match != same.Match {
			t.Fatalf("after %s the engine answers %+v, want distance %v", b.name, again, same.Distance)
		}
	}
	if got := js[[]string](t, ctx, `return await engine.people();`); len(got) != 3 {
		t.Errorf("after the bad calls people() = %q", got)
	}
	// Refused enrollment: every image refused, with details.
	o := js[outcome](t, ctx, `return await T.settle(engine.enroll("Blank", [new ImageData(80, 80)]));`)
	var details engine.EnrollResult
	if o.OK || !strings.Contains(o.Message, "no frame was good enough") || o.Method != "enroll" || json.Unmarshal(o.Details, &details) != nil ||
		details.Enrolled || len(details.Frames) != 1 || len(details.Frames[0].Reasons) != 1 || details.Frames[0].Reasons[0] != "no face" {
		t.Errorf("enroll from a blank image: %+v", o)
	}

	// Calls made without waiting run in order: the verify sees the
	// enrollment made just before it.
	type ordered struct {
		Enrolled bool     `json:"enrolled"`
		Verified string   `json:"verified"`
		Removed  string   `json:"removed"`
		People   []string `json:"people"`
	}
	ord := js[ordered](t, ctx, `
		const imgs = await Promise.all(P[1].urls.slice(0, 2).map(T.image));
		const probe = await T.image(P[1].urls[3]);
		const [e, v, r, p] = await Promise.all([engine.enroll("Order", imgs), engine.verify("Order", probe), engine.remove("Order"), engine.people()]);
		return {enrolled: e.enrolled, verified: v.id, removed: r.removed, people: p};`)
	if !ord.Enrolled || ord.Verified != "Order" || ord.Removed != "Order" || len(ord.People) != 3 {
		t.Errorf("calls made without waiting: %+v", ord)
	}

	// Terminate: later calls reject.
	o = js[outcome](t, ctx, `engine.terminate(); return await T.settle(engine.people());`)
	if o.OK || !strings.Contains(o.Message, "terminated") {
		t.Errorf("a call after terminate: %+v", o)
	}

	// Loading fails clearly on a missing or garbage model.
	for url, want := range map[string]string{"/missing.oneshot": "404", "/garbage.oneshot": "not a usable model"} {
		o := js[outcome](t, ctx, fmt.Sprintf(`return await T.settle(T.Oneshot.load({modelURL: %q}));`, url))
		if o.OK || !strings.Contains(o.Message, want) {
			t.Errorf("load with model %s: %+v, want a rejection saying %q", url, o, want)
		}
	}
}
