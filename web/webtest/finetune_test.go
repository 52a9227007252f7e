//go:build !js

package webtest

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/engine"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/internal/browsertest"
	"github.com/oneshotface/oneshot/train"
)

// fineTuned is engine.FineTuneResult as the page sees it.
type fineTuned struct {
	engine.FineTuneResult
	Events   int     `json:"events"`
	LastStep int     `json:"lastEpoch"`
	Wall     float64 `json:"wall"`
}

// TestFineTuneInBrowser runs engine.fineTune in headless Chromium through
// the JavaScript API: labelled captures with progress events, a cancel
// through an AbortSignal, a run at a huge learning rate, the same captures
// with the Siamese objective, explicit triplets in head mode (the issue's
// benchmark: 20 triplets × 30 epochs) and in full mode (time per
// triplet), and resetModel.
func TestFineTuneInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	if _, err := dataset.Root(); err != nil {
		t.Skipf("skipping the browser fine-tuning test: %v", err)
	}
	ctx := browsertest.Start(t)
	dir := browsertest.BuildWeb(t)
	model, trained := browsertest.ModelFor(t, dir)
	if !trained {
		t.Log("no trained model (models/compact.oneshot): checking the plumbing only, not whether runs are kept")
	}
	people, files := confusedPeople(t, model)
	// Two people of the test half are enrolled as well: fine-tuning must
	// keep them recognisable (their triplets join the held-out ones).
	others, otherFiles := pickPeople(t, model, 2)
	for k, v := range otherFiles {
		files[k] = v
	}
	people = append(people, others...)
	openTestPage(t, ctx, dir, files)
	peopleJSON, _ := json.Marshal(people)
	js[chromedp.Void](t, ctx, `window.P = `+string(peopleJSON)+`;
		window.engine = await T.Oneshot.load({modelURL: "/model.oneshot"});
		await engine.enroll(P[0].name, await Promise.all(P[0].urls.slice(0, 2).map(T.image)));
		for (const p of P.slice(2)) await engine.enroll(p.name, await Promise.all(p.urls.slice(0, 3).map(T.image)));
		// captures(): every image of the two confused people, labelled.
		window.captures = async () => {
			const out = [];
			for (const p of P.slice(0, 2)) for (const u of p.urls) out.push({image: await T.image(u), label: p.name});
			return out;
		};
		// triplets(n): n triplets over the 8 images (anchor, positive of the
		// same person, negative of the other).
		window.triplets = async (n) => {
			const out = [];
			for (let i = 0; out.length < n; i++) {
				const a = i % 2, b = 1 - a, k = Math.floor(i / 2);
				out.push({anchor: await T.image(P[a].urls[k % 4]), positive: await T.image(P[a].urls[(k + 1 + (Math.floor(k / 4) % 3)) % 4]),
					negative: await T.image(P[b].urls[(k + i) % 4])});
			}
			return out;
		};
		window.probe = async () => (await engine.verify(P[0].name, await T.image(P[0].urls[3]))).distance;
		window.run = async (opts) => {
			let events = 0, lastEpoch = 0;
			const t0 = performance.now();
			const r = await engine.fineTune({...opts, onProgress(p) { events++; lastEpoch = p.epoch; }});
			return {...r, events, lastEpoch, wall: (performance.now() - t0) / 1000};
		};`)
	fingerprint := func() string {
		return js[string](t, ctx, `return engine.info.model.fingerprint;`)
	}
	shipped := fingerprint()
	d0 := js[float64](t, ctx, `return await probe();`)

	// Cancel through an AbortSignal at the first progress event.
	o := js[outcome](t, ctx, `
		const ac = new AbortController();
		return await T.settle(engine.fineTune({captures: await captures(), epochs: 1000, signal: ac.signal, onProgress() { ac.abort(); }}));`)
	if o.OK || o.Name != "AbortError" || !strings.Contains(o.Message, "cancelled") || !strings.Contains(o.Message, "previous model is kept") {
		t.Errorf("a cancelled fine-tuning: %+v", o)
	}
	if d := js[float64](t, ctx, `return await probe();`); d != d0 {
		t.Errorf("after a cancelled run verify gives distance %v, want %v", d, d0)
	}
	o = js[outcome](t, ctx, `const ac = new AbortController(); ac.abort();
		return await T.settle(engine.fineTune({captures: await captures(), signal: ac.signal}));`)
	if o.OK || o.Name != "AbortError" {
		t.Errorf("fine-tuning with an aborted signal: %+v", o)
	}

	// A huge learning rate in full mode: rolled back (with the shipped
	// model). (In head mode the L2 normalisation after the trained layers
	// makes their scale irrelevant, so even lr 1000 need not hurt.)
	bad := js[fineTuned](t, ctx, `return await run({captures: await captures(), mode: "full", epochs: 5, lr: 1000});`)
	t.Logf("full mode, lr 1000: kept %v: %s", bad.Kept, bad.Reason)
	if trained && (bad.Kept || bad.Reason == "") {
		t.Errorf("a run at learning rate 1000 was kept: %+v", bad)
	}
	if !bad.Kept {
		if d := js[float64](t, ctx, `return await probe();`); d != d0 {
			t.Errorf("after a rolled-back run verify gives distance %v, want %v", d, d0)
		}
	} else {
		js[chromedp.Void](t, ctx, `await engine.resetModel();`)
	}

	// Labelled captures, head mode, defaults.
	r := js[fineTuned](t, ctx, `return await run({captures: await captures()});`)
	t.Logf("captures, head: kept %v %s; held-out gap %.4f → %.4f; %d triplets, %d held out; %d progress events; %.2fs training, %.2fs in all",
		r.Kept, r.Reason, r.Before.Gap, r.After.Gap, r.Triplets, r.HeldOut, r.Events, r.Seconds, r.Wall)
	if r.Mode != train.ModeHead || r.Objective != train.ObjectiveTriplet || r.Pairs != 0 || r.Epochs != 30 || r.LastStep != 30 || r.Events < 30 || r.Triplets == 0 || r.HeldOut == 0 || r.Before.Triplets == 0 {
		t.Errorf("captures: %+v", r)
	}
	if r.Kept {
		if r.Model == nil || r.Model.Fingerprint == shipped || fingerprint() != r.Model.Fingerprint || r.Reembedded != 3 {
			t.Errorf("kept, but the result says %+v and the engine runs %s", r, fingerprint())
		}
		// Save the fine-tuned model, go back, load it again.
		type reloaded struct {
			Bytes int              `json:"bytes"`
			Reset engine.ModelInfo `json:"reset"`
			Again engine.ModelInfo `json:"again"`
		}
		rl := js[reloaded](t, ctx, `
			const saved = await engine.exportModel();
			const reset = await engine.resetModel();
			const again = await engine.importModel(saved);
			return {bytes: saved.byteLength, reset, again};`)
		if rl.Bytes == 0 || rl.Reset.Fingerprint != shipped || rl.Again.Fingerprint != r.Model.Fingerprint || rl.Again.FineTuned == "" {
			t.Errorf("export, reset, import the fine-tuned model: %+v", rl)
		}
	}

	// The same captures with the Siamese objective, from the shipped
	// model: reported like the triplet objective's and judged on the same
	// held-out triplets, so its "before" is the triplet run's.
	js[chromedp.Void](t, ctx, `await engine.resetModel();`)
	sr := js[fineTuned](t, ctx, `return await run({captures: await captures(), objective: "siamese"});`)
	t.Logf("captures, head, siamese: kept %v %s; held-out separation %.4f → %.4f, AUC %.3f → %.3f; %d pairs, %d held out; %d progress events; %.2fs training, %.2fs in all",
		sr.Kept, sr.Reason, sr.Before.Separation, sr.After.Separation, sr.Before.AUC, sr.After.AUC, sr.Pairs, sr.HeldOut, sr.Events, sr.Seconds, sr.Wall)
	if sr.Objective != train.ObjectiveSiamese || sr.Mode != train.ModeHead || sr.Epochs != 30 || sr.LastStep != 30 || sr.Events < 30 ||
		sr.Triplets != r.Triplets || sr.Pairs == 0 || sr.HeldOut != r.HeldOut || sr.Before != r.Before || sr.Kept != sr.After.NotWorse(sr.Before) {
		t.Errorf("captures, siamese: %+v; the triplet objective's run: %+v", sr, r)
	}
	if sr.Kept {
		if sr.Model == nil || sr.Model.Fingerprint == shipped || fingerprint() != sr.Model.Fingerprint || sr.Reembedded != 3 ||
			!strings.Contains(sr.Model.FineTuned, "siamese") {
			t.Errorf("siamese: kept, but the result says %+v and the engine runs %s", sr, fingerprint())
		}
	} else if fingerprint() != shipped {
		t.Errorf("siamese: not kept, but the engine runs %s", fingerprint())
	}

	// The benchmark: 20 training triplets (26 given, every fourth held
	// out) × 30 epochs in head mode; then full mode, 1 epoch.
	js[chromedp.Void](t, ctx, `await engine.resetModel();`)
	head := js[fineTuned](t, ctx, `return await run({triplets: await triplets(26), epochs: 30});`)
	t.Logf("BENCH head mode: %d triplets × %d epochs: %.2fs training (%.2fs with detection and alignment of the pictures), kept %v, gap %.4f → %.4f",
		head.Triplets, head.Epochs, head.Seconds, head.Wall, head.Kept, head.Before.Gap, head.After.Gap)
	if head.Triplets != 20 || head.HeldOut < 6 {
		t.Errorf("head-mode triplets: %+v", head)
	}
	if head.Seconds > 5 {
		t.Logf("head mode took %.2fs, more than the 5 s target", head.Seconds)
	}
	js[chromedp.Void](t, ctx, `await engine.resetModel();`)
	// Full mode, 1 and 4 epochs: the difference is the time of 3 epochs
	// of 20 triplets, without the before/after scoring.
	var full [2]fineTuned
	for i, epochs := range []int{1, 4} {
		js[chromedp.Void](t, ctx, `await engine.resetModel();`)
		full[i] = js[fineTuned](t, ctx, fmt.Sprintf(`return await run({triplets: await triplets(26), mode: "full", epochs: %d});`, epochs))
		if full[i].Mode != train.ModeFull || full[i].Triplets != 20 {
			t.Errorf("full mode: %+v", full[i])
		}
	}
	// The 20 triplets use 8 distinct pictures, so one step forwards and
	// back-propagates 8 crops.
	t.Logf("BENCH full mode: 20 triplets (8 distinct pictures) × 1 epoch %.2fs, × 4 epochs %.2fs: %.0f ms per triplet and epoch, %.0f ms per crop and step (kept %v, gap %.4f → %.4f)",
		full[0].Seconds, full[1].Seconds, (full[1].Seconds-full[0].Seconds)/60*1000, (full[1].Seconds-full[0].Seconds)/24*1000,
		full[1].Kept, full[1].Before.Gap, full[1].After.Gap)

	// Reset to the shipped model.
	js[chromedp.Void](t, ctx, `await engine.resetModel();`)
	if fp := fingerprint(); fp != shipped {
		t.Errorf("after resetModel the engine runs %s, want %s", fp, shipped)
	}
	// Everyone was re-embedded from the kept crops (dlib's 150-pixel chip cut
	// again to the model's crop), not from the frames enrollment aligned
	// directly: near the first distance, not equal to it.
	if d := js[float64](t, ctx, `return await probe();`); math.Abs(d-d0) > 0.05 {
		t.Errorf("after resetModel verify gives distance %v, want %v ± 0.05", d, d0)
	}
	// Bad options reject and the engine keeps working.
	for call, want := range map[string]string{
		`engine.fineTune({})`:                        "neither captures nor triplets",
		`engine.fineTune({triplets: [], mode: "x"})`: "options.triplets is empty",
		`(async () => engine.fineTune({captures: await captures(), mode: "tail"}))()`:       "options.mode",
		`(async () => engine.fineTune({captures: await captures(), lr: -1}))()`:             "options.lr is -1",
		`(async () => engine.fineTune({captures: await captures(), objective: "pairs"}))()`: `oneshot.fineTune: options.objective is "pairs"`,
	} {
		o := js[outcome](t, ctx, `return await T.settle(`+call+`);`)
		if o.OK || !strings.Contains(o.Message, want) || o.Method != "fineTune" {
			t.Errorf("%s: %+v, want a rejection saying %q", call, o, want)
		}
	}
}

// confusedPeople finds, among the first 24 people of LFW's
// peopleDevTrain.txt with six or more images, the two the model confuses
// most (the smallest gap between mismatched and matched squared distances
// of their embeddings, computed natively), with six good images each, and
// the files to serve.
func confusedPeople(t *testing.T, model []byte) ([]person, map[string]string) {
	t.Helper()
	all, e := browsertest.LFWPeople(t, "peopleDevTrain.txt", model)
	type cand struct {
		p     person
		paths []string
		emb   [][]float32
	}
	var cs []cand
	for _, p := range all {
		if len(p.Images) < 6 {
			continue
		}
		cd := cand{p: person{Name: p.Name}}
		for _, path := range p.Images {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			img, err := face.DecodeBytes(b)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			v, err := e.Embed(frameOf(img))
			if err != nil || !v.Quality.OK {
				continue
			}
			cd.p.URLs = append(cd.p.URLs, "/lfw/"+p.Name+"/"+filepath.Base(path))
			cd.paths = append(cd.paths, path)
			cd.emb = append(cd.emb, v.Vector)
			if len(cd.emb) == 6 {
				break
			}
		}
		if len(cd.emb) == 6 {
			cs = append(cs, cd)
		}
		if len(cs) == 24 {
			break
		}
	}
	if len(cs) < 2 {
		t.Skip("LFW: fewer than two people with six good images")
	}
	d := func(a, b []float32) float64 {
		var s float64
		for k := range a {
			x := float64(a[k] - b[k])
			s += x * x
		}
		return s
	}
	best, bi, bj := 0.0, -1, -1
	for i := range cs {
		for j := i + 1; j < len(cs); j++ {
			var within, cross float64
			for _, set := range [][][]float32{cs[i].emb, cs[j].emb} {
				for x := range set {
					for y := x + 1; y < len(set); y++ {
						within += d(set[x], set[y]) / 30
					}
				}
			}
			for _, x := range cs[i].emb {
				for _, y := range cs[j].emb {
					cross += d(x, y) / 36
				}
			}
			if g := cross - within; bi < 0 || g < best {
				best, bi, bj = g, i, j
			}
		}
	}
	t.Logf("most confused pair: %s and %s (gap %.4f)", cs[bi].p.Name, cs[bj].p.Name, best)
	files := map[string]string{}
	for _, k := range []int{bi, bj} {
		for n, u := range cs[k].p.URLs {
			files[u] = cs[k].paths[n]
		}
	}
	return []person{cs[bi].p, cs[bj].p}, files
}
