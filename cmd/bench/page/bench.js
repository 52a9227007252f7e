// Oneshot in-browser benchmark, driven by `go run ./cmd/bench`. The engine is
// loaded as soon as the module runs, so ready_ms is performance.now() (from
// navigation) when Oneshot.load resolves. The Go side then calls
// B.run(config) and reads the result.
import { Oneshot } from "/oneshot.js";

const status = document.getElementById("status");
window.B = { ready: false, error: null };

const bitmaps = new Map();
async function bitmap(url) {
  let bmp = bitmaps.get(url);
  if (!bmp) {
    const r = await fetch(url);
    if (!r.ok) throw new Error(url + ": HTTP " + r.status);
    bmp = await createImageBitmap(await r.blob());
    bitmaps.set(url, bmp);
  }
  return bmp;
}

// image decodes a JPEG as it is (250×250 for LFW).
async function image(url) {
  const bmp = await bitmap(url);
  const c = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = c.getContext("2d");
  ctx.drawImage(bmp, 0, 0);
  return ctx.getImageData(0, 0, bmp.width, bmp.height);
}

// frame pastes the image scaled to 400×400 at (120, 60) on a grey 640×480
// frame, as the native BenchmarkPipeline640x480 does.
async function frame(url) {
  const bmp = await bitmap(url);
  const c = new OffscreenCanvas(640, 480);
  const ctx = c.getContext("2d");
  ctx.fillStyle = "rgb(128,128,128)";
  ctx.fillRect(0, 0, 640, 480);
  ctx.drawImage(bmp, 120, 60, 400, 400);
  return ctx.getImageData(0, 0, 640, 480);
}

// copy gives a fresh ImageData: the pixels are transferred to the worker
// (detached) by every call, so each timed call gets its own copy, made
// outside the timed region.
const copy = (img) => new ImageData(new Uint8ClampedArray(img.data), img.width, img.height);

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { n: s.length, median, p90: q(0.9), min: s[0], max: s[s.length - 1] };
}

// The stages of a call's timings (ms, measured inside the module).
const STAGES = ["detect", "pupils", "quality", "align", "embed", "total"];

// time runs f (given fresh arguments from prep, made outside the timing)
// warmup + runs times and returns the statistics of the timed runs' wall
// times in ms. When f's answers carry the module's timings, stages holds
// the statistics of each stage, of detectAlign (detect + pupils + quality
// + align, summed run by run) and of overhead (the call's wall time minus
// the module's total: the round trip to the worker, the copy of the pixels
// into Go, the encoding of the answer).
async function time(runs, warmup, prep, f) {
  const xs = [];
  const tm = [];
  for (let i = 0; i < warmup + runs; i++) {
    const args = prep(i);
    const t0 = performance.now();
    const r = await f(...args);
    const dt = performance.now() - t0;
    if (i >= warmup) {
      xs.push(dt);
      if (r && r.timings) tm.push({ ...r.timings, wall: dt });
    }
  }
  const out = stats(xs);
  if (tm.length === xs.length) {
    out.stages = {};
    for (const k of STAGES) out.stages[k] = stats(tm.map((t) => t[k]));
    out.stages.detectAlign = stats(tm.map((t) => t.detect + t.pupils + t.quality + t.align));
    out.stages.overhead = stats(tm.map((t) => t.wall - t.total));
  }
  return out;
}

window.B.run = async (cfg) => {
  const out = {};
  const e = window.engine;
  const log = (s) => { status.textContent += "\n" + s; };
  const probe = await frame(cfg.probe);
  const enrollFrames = await Promise.all(cfg.enroll.map(frame));
  const verifyFrame = await frame(cfg.verify);

  log("detect");
  out.detect = await time(cfg.runs, 3, () => [copy(probe)], (img) => e.detect(img));
  log("embed");
  out.embed = await time(cfg.runs, 3, () => [copy(probe)], (img) => e.embed(img, { details: true }));
  log("enroll");
  out.enroll = await time(cfg.runs, 1, (i) => ["bench" + i, enrollFrames.map(copy)], (id, imgs) => e.enroll(id, imgs));
  const enrolled = await e.enroll(cfg.id, enrollFrames.map(copy));
  out.enrollAccepted = enrolled.accepted;
  log("verify");
  // anyQuality: the whole pipeline is timed even if the frame's quality has a problem.
  out.verify = await time(cfg.runs, 2, () => [copy(verifyFrame)], (img) => e.verify(cfg.id, img, { anyQuality: true }));
  out.verifyMatch = (await e.verify(cfg.id, copy(verifyFrame), { anyQuality: true })).match;

  log("liveness challenge");
  // One frame of a liveness challenge (detection, pupils, nose and mouth
  // landmarks, and on frames looking at the camera an embedding), on the
  // verify frame; a challenge that ends is replaced by a new one.
  let ch = await e.challenge(cfg.id, { moveTimeoutMs: 120000 });
  out.challenge = await time(cfg.runs, 2, () => [copy(verifyFrame)], async (img) => {
    if (ch.state.done) ch = await e.challenge(cfg.id, { moveTimeoutMs: 120000 });
    return ch.next(img);
  });
  await ch.end();

  if (cfg.triplets) {
    const [pa, pb] = cfg.triplets;
    const imgs = [await Promise.all(pa.map(image)), await Promise.all(pb.map(image))];
    // triplets(n): n triplets over the 8 images, as web/webtest builds them.
    const triplets = (n) => {
      const t = [];
      for (let i = 0; t.length < n; i++) {
        const a = i % 2, b = 1 - a, k = Math.floor(i / 2);
        t.push({ anchor: copy(imgs[a][k % 4]), positive: copy(imgs[a][(k + 1 + (Math.floor(k / 4) % 3)) % 4]),
          negative: copy(imgs[b][(k + i) % 4]) });
      }
      return t;
    };
    log("fine-tune head");
    await e.resetModel();
    const head = await e.fineTune({ triplets: triplets(26), epochs: 30 });
    out.head = { seconds: head.seconds, triplets: head.triplets, epochs: head.epochs, heldOut: head.heldOut, kept: head.kept };
    if (cfg.full) {
      // Full mode, 1 and 3 epochs: the difference is 2 epochs of the
      // training triplets without the before/after scoring.
      const full = [];
      for (const epochs of [1, 3]) {
        log("fine-tune full × " + epochs);
        await e.resetModel();
        const r = await e.fineTune({ triplets: triplets(26), mode: "full", epochs });
        full.push({ seconds: r.seconds, triplets: r.triplets, epochs: r.epochs });
      }
      out.full = full;
    }
    await e.resetModel();
  }

  if (cfg.teacher) {
    log("teacher");
    try {
      const t0 = performance.now();
      const te = await Oneshot.load({ modelURL: cfg.teacher });
      out.teacherLoadMs = performance.now() - t0;
      out.teacherEmbed = await time(cfg.teacherRuns, 2, () => [copy(probe)], (img) => te.embed(img, { details: true }));
      te.terminate();
    } catch (err) {
      out.teacherError = String(err && err.message || err);
    }
  }
  log("done");
  return out;
};

Oneshot.load().then((engine) => {
  window.engine = engine;
  window.B.readyMs = performance.now();
  window.B.info = engine.info;
  window.B.ready = true;
  status.textContent = "ready in " + window.B.readyMs.toFixed(0) + " ms";
}, (err) => {
  window.B.error = String(err && err.message || err);
  status.textContent = "error: " + window.B.error;
});
