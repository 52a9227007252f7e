// The Oneshot demo page: live webcam preview with the face box and pupils,
// enroll, verify, identify, fine-tune and settings, with the gallery and a
// fine-tuned model kept in IndexedDB. Everything runs in this tab: the
// engine (oneshot.js) runs Go compiled to WebAssembly in a Web Worker, and
// this file only moves frames and draws results.
//
// One frame is in flight at a time: the loop grabs a frame from the <video>
// through an OffscreenCanvas, sends it to the engine for the current mode
// (preview → detect, enroll → detect and keep good frames, verify, identify)
// and waits for the answer before grabbing the next.
import { Oneshot } from "./oneshot.js";
import { startCamera, stopCamera, Grabber, cloneImage, drawFace, drawOverlay } from "./app/camera.js";
import { hintFor, hintForError } from "./app/hints.js";
import { openStore, storageError } from "./app/store.js";
import { holdStorageLock } from "./app/tablock.js";
import { LossChart } from "./app/chart.js";

const $ = (id) => document.getElementById(id);
const ENROLL_FRAMES = 5;
const ENROLL_GAP_MS = 300;

const state = {
  engine: null,
  store: null,
  people: [],
  mode: "preview", // preview | enroll | verify | identify
  running: false, // the camera loop
  threshold: null, // null: the model's default; "strict": the model's strict point; else a distance
  enroll: null, // {name, frames: [ImageData], last}
  captures: [], // fine-tuning captures: {label, image}
  lastGood: null, // {image, box}: the last good frame, for "Add current frame"
  originalModel: null, // the bytes of the model the page loaded
  previousModel: null, // the bytes before the last fine-tuning, for roll back
  fineTuneAvailable: false,
  fineTuneAbort: null,
};

const grabber = new Grabber();
const chart = new LossChart($("loss-chart"));

function show(el, text, kind) {
  el.textContent = text;
  if (kind !== undefined) el.className = kind;
}

function setStatus(text, kind) {
  show($("status"), text, kind);
}

function fmt(x, digits = 3) {
  return typeof x === "number" && Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

// ---- loading ----

const stageNames = { wasm: "the module", model: "the model", facefinder: "the face detector", puploc: "the eye finder", init: "the engine" };

async function load() {
  if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function" || typeof Worker !== "function") {
    setStatus("This browser does not support WebAssembly in Web Workers, which Oneshot needs. Try a current Chrome, Edge, Firefox or Safari.", "error");
    return;
  }
  const engine = await Oneshot.load({
    onProgress(p) {
      const pct = p.fraction == null ? "" : ` ${Math.round(p.fraction * 100)}%`;
      setStatus(`Loading ${stageNames[p.stage] || p.stage}…${pct}`, "");
      if (p.fraction != null) $("load-progress").value = p.fraction;
    },
  });
  state.engine = engine;
  globalThis.oneshotEngine = engine;
  $("load-progress").hidden = true;
  state.originalModel = await engine.exportModel();
  await useStorageHere();
  await restore();
  await probeFineTune();
  // The page says it is ready only once it shows what was restored: the
  // enrolled people and the model in use (a script or a person acting on
  // "ready" must not see an empty list that is about to fill).
  await refreshPeople();
  showModelInfo();
  const m = engine.info.model;
  const note = m.calibrated ? "" : " (untrained model: verdicts are not meaningful)";
  setStatus(`Oneshot ${engine.version} is ready${note}.`, "ok");
  for (const id of ["camera-start", "enroll-button"]) $(id).disabled = false;
  document.body.dataset.ready = "true";
}

// useStorageHere waits until this tab may use the storage (app/tablock.js):
// while another tab of the page uses it, this tab's controls are inert and a
// banner offers to take over.
async function useStorageHere() {
  await holdStorageLock({
    onWaiting(takeOver) {
      $("main").inert = true;
      setStatus("Waiting: Oneshot is open in another tab.", "");
      show($("elsewhere-text"), "Oneshot is open in another tab of this browser. Use it there, or use it here: the other tab then stops, so that the two cannot overwrite each other's enrolled people.");
      const take = $("elsewhere-take");
      take.hidden = false;
      take.onclick = () => {
        take.disabled = true;
        takeOver();
      };
      $("elsewhere").hidden = false;
      document.body.dataset.elsewhere = "waiting";
    },
    onLost: stopHere,
  });
  $("main").inert = false;
  $("elsewhere").hidden = true;
  delete document.body.dataset.elsewhere;
}

// stopHere runs when another tab of the page has taken the storage over:
// this tab stops saving, stops the camera and fine-tuning, and says why.
function stopHere() {
  state.store = null;
  if (state.fineTuneAbort) state.fineTuneAbort.abort();
  if (state.running) cameraOff();
  $("main").inert = true;
  show($("elsewhere-text"), "Oneshot is now in use in another tab of this browser, which keeps your enrolled people. This tab has stopped so that the two cannot overwrite each other: close it, or reload it to use Oneshot here.");
  $("elsewhere-take").hidden = true;
  $("elsewhere").hidden = false;
  setStatus("Stopped: Oneshot is in use in another tab.", "error");
  document.body.dataset.elsewhere = "stopped";
}

// restore loads the saved model, gallery and settings from IndexedDB.
async function restore() {
  const ss = $("storage-status");
  try {
    state.store = await openStore();
  } catch (err) {
    show(ss, `Storage is unavailable (${err.message}): enrolled people will be forgotten when this tab closes.`, "message");
    return;
  }
  try {
    const model = await state.store.get("model");
    if (model) {
      await state.engine.importModel(model);
      show(ss, "Restored your fine-tuned model from this browser's storage.", "note");
    }
    const gallery = await state.store.get("gallery");
    if (gallery) await state.engine.importGallery(gallery);
    const captures = await state.store.get("captures");
    if (Array.isArray(captures)) state.captures = captures.filter((c) => c && c.image instanceof ImageData);
    renderCaptures();
    const threshold = await state.store.get("threshold");
    if (typeof threshold === "number" || threshold === "strict") state.threshold = threshold;
  } catch (err) {
    show(ss, `Could not restore the saved data: ${err.message}`, "message");
  }
}

// probeFineTune finds out whether the engine can fine-tune (older builds
// reject every call with "not implemented"); asking with no captures costs
// nothing: a working engine rejects the empty request at once.
async function probeFineTune() {
  let available = typeof state.engine.fineTune === "function";
  if (available) {
    try {
      await state.engine.fineTune({ captures: [] });
    } catch (err) {
      if (/not implemented/i.test(err.message)) available = false;
    }
  }
  state.fineTuneAvailable = available;
  $("finetune-unavailable").hidden = available;
  $("finetune-run").disabled = !available;
  $("finetune-section").dataset.available = String(available);
}

async function saveGallery() {
  if (!state.store) return;
  try {
    await state.store.put("gallery", await state.engine.exportGallery());
  } catch (err) {
    show($("storage-status"), storageError(err).message, "message");
  }
}

// saveCaptures keeps the fine-tuning captures (frames with a label) in IndexedDB.
async function saveCaptures() {
  if (!state.store) return;
  try {
    await state.store.put("captures", state.captures);
  } catch (err) {
    show($("storage-status"), storageError(err).message, "message");
  }
}

async function refreshPeople() {
  state.people = await state.engine.people();
  const list = $("people");
  list.replaceChildren();
  for (const id of state.people) {
    const li = document.createElement("li");
    li.dataset.id = id;
    li.append(id);
    const del = document.createElement("button");
    del.type = "button";
    del.textContent = "Remove";
    del.setAttribute("aria-label", `Remove ${id}`);
    del.addEventListener("click", () => removePerson(id));
    li.append(del);
    list.append(li);
  }
  $("people-empty").hidden = state.people.length > 0;
  for (const sel of [$("verify-person"), $("capture-label")]) {
    const cur = sel.value;
    sel.replaceChildren(...state.people.map((id) => new Option(id, id)));
    if (state.people.includes(cur)) sel.value = cur;
  }
  $("verify-button").disabled = !state.people.length || !state.running;
  $("identify-button").disabled = !state.people.length || !state.running;
  document.body.dataset.people = state.people.join(",");
}

async function removePerson(id) {
  const n = state.captures.filter((c) => c.label === id).length;
  const also = n ? ` and ${n} fine-tuning capture${n === 1 ? "" : "s"}` : "";
  if (!confirm(`Remove ${id}? Their enrollment${also} will be deleted from this browser.`)) return;
  try {
    await state.engine.remove(id);
    state.captures = state.captures.filter((c) => c.label !== id);
    renderCaptures();
    await saveCaptures();
    await saveGallery();
    await refreshPeople();
  } catch (err) {
    show($("enroll-status"), `Could not remove ${id}: ${err.message}`);
  }
}

function showModelInfo() {
  const m = state.engine.info.model;
  const compare = [m.mirror ? "each face embedded with its mirror image" : "", m.cohortFaces ? `distances normalised against ${m.cohortFaces} training faces` : ""].filter(Boolean).join(", ");
  $("model-info").textContent = `Model ${m.fingerprint ? m.fingerprint.slice(0, 12) : ""}: ${m.params} parameters, ${m.dim}-d embeddings, default threshold ${fmt(m.threshold)}${m.calibrated ? "" : " (not calibrated)"}${m.strictThreshold ? `, strict point ${fmt(m.strictThreshold)}` : ""}${compare ? "; " + compare : ""}.`;
  showThreshold();
}

// currentThreshold is the distance verdicts use. "strict" follows the model:
// after a model import or reset it is that model's strict point (its
// default when it has none).
function currentThreshold() {
  const m = state.engine.info.model;
  if (state.threshold === "strict") return m.strictThreshold ?? m.threshold;
  return state.threshold ?? m.threshold;
}

function showThreshold() {
  const m = state.engine.info.model;
  const t = currentThreshold();
  let which = "";
  if (state.threshold == null) which = " (model default)";
  else if (state.threshold === "strict") which = m.strictThreshold ? " (model's strict point)" : " (model default: this model has no strict point)";
  $("threshold").value = t;
  $("threshold-value").textContent = `${fmt(t, 2)}${which}`;
  $("threshold-strict").disabled = !m.strictThreshold;
}

function options() {
  return state.threshold == null ? undefined : { threshold: currentThreshold() };
}

// ---- the camera loop ----

async function cameraOn() {
  const msg = $("camera-message");
  msg.hidden = true;
  $("camera-start").disabled = true;
  try {
    await startCamera($("video"));
  } catch (err) {
    show(msg, err.message);
    msg.dataset.kind = err.kind || "other";
    msg.hidden = false;
    $("hint").textContent = "The camera is off.";
    $("camera-start").disabled = false;
    return;
  }
  $("stage-empty").hidden = true;
  $("camera-stop").disabled = false;
  state.running = true;
  await refreshPeople();
  loop();
}

function cameraOff() {
  state.running = false;
  stopCamera($("video"));
  setMode("preview");
  $("stage-empty").hidden = false;
  $("camera-start").disabled = false;
  $("camera-stop").disabled = true;
  $("hint").textContent = "The camera is off.";
  drawOverlay($("overlay"), 1, 1, [], false);
  refreshPeople();
}

function setMode(mode) {
  if (state.mode === "enroll" && mode !== "enroll") endEnroll();
  const was = state.mode;
  state.mode = mode;
  $("mode").textContent = `Mode: ${mode}`;
  // A verdict belongs to the run that made it: start each run afresh, and
  // mark the last one as old when the run stops.
  for (const [m, id, text] of [["verify", "verify-verdict", "No verdict yet."], ["identify", "identify-verdict", "No answer yet."]]) {
    const el = $(id);
    if (mode === m && was !== m) {
      el.textContent = "Looking…";
      el.className = "verdict";
      delete el.dataset.verdict;
      delete el.dataset.unknown;
      delete el.dataset.id;
    } else if (was === m && mode !== m) {
      el.classList.add("stale");
      if (!el.dataset.verdict && !el.dataset.unknown) el.textContent = text;
    }
  }
  $("verify-button").setAttribute("aria-pressed", String(mode === "verify"));
  $("verify-button").textContent = mode === "verify" ? "Stop verifying" : "Start verifying";
  $("identify-button").setAttribute("aria-pressed", String(mode === "identify"));
  $("identify-button").textContent = mode === "identify" ? "Stop identifying" : "Start identifying";
}

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

async function loop() {
  while (state.running) {
    const video = $("video");
    const frame = grabber.grab(video);
    if (frame) {
      try {
        await handle(frame);
      } catch (err) {
        $("hint").textContent = hintForError(err);
        drawOverlay($("overlay"), frame.width, frame.height, [], false);
      }
    }
    await pause(frame ? 15 : 100);
  }
}

async function handle(frame) {
  const w = frame.width, h = frame.height;
  const keep = cloneImage(frame); // the engine takes the pixels of frame
  const mode = state.mode;
  if (mode === "verify") {
    const id = $("verify-person").value;
    const v = await state.engine.verify(id, frame, options());
    drawOverlay($("overlay"), w, h, [v.face], v.quality.ok);
    noteQuality(v.quality, keep, v.face);
    if (state.mode === "verify") showVerification(v, keep);
    return;
  }
  if (mode === "identify") {
    const r = await state.engine.identify(frame, options());
    drawOverlay($("overlay"), w, h, [r.face], r.quality.ok);
    noteQuality(r.quality, keep, r.face);
    if (state.mode === "identify") showIdentification(r, keep);
    return;
  }
  const d = await state.engine.detect(frame);
  drawOverlay($("overlay"), w, h, d.faces, d.quality.ok);
  noteQuality(d.quality, keep, d.faces[0] || null);
  if (mode === "enroll" && state.mode === "enroll") await enrollFrame(d, keep);
}

function noteQuality(q, image, face) {
  $("hint").textContent = hintFor(q);
  $("hint").dataset.ok = String(!!q.ok);
  if (q.ok) state.lastGood = { image, box: face && face.box };
}

// ---- enroll ----

function startEnroll(ev) {
  ev.preventDefault();
  const name = $("enroll-name").value.trim();
  if (!name) {
    show($("enroll-status"), "Type a name first.");
    $("enroll-name").focus();
    return;
  }
  if (!state.running) {
    show($("enroll-status"), "Start the camera first.");
    $("camera-start").focus();
    return;
  }
  // Enrolling a name again replaces that person's template and crops.
  if (state.people.includes(name) && !confirm(`${name} is enrolled already. Enrolling again replaces ${name}'s enrollment with the new frames. Go on?`)) {
    show($("enroll-status"), `Nothing changed: ${name} stays enrolled as before.`);
    return;
  }
  setMode("enroll");
  state.enroll = { name, frames: [], boxes: [], last: 0 };
  $("enroll-thumbs").replaceChildren();
  $("enroll-button").disabled = true;
  $("enroll-cancel").hidden = false;
  show($("enroll-status"), `Enrolling ${name}: look at the camera… 0 of ${ENROLL_FRAMES} good frames.`);
}

function endEnroll() {
  state.enroll = null;
  $("enroll-button").disabled = !state.engine;
  $("enroll-cancel").hidden = true;
}

async function enrollFrame(d, image) {
  const e = state.enroll;
  const now = performance.now();
  if (!d.quality.ok) {
    show($("enroll-status"), `Enrolling ${e.name}: ${hintFor(d.quality)} (${e.frames.length} of ${ENROLL_FRAMES})`);
    return;
  }
  if (now - e.last < ENROLL_GAP_MS) return;
  e.last = now;
  e.frames.push(image);
  e.boxes.push(d.faces[0].box);
  const c = document.createElement("canvas");
  c.width = c.height = 56;
  drawFace(c, image, d.faces[0].box);
  c.setAttribute("role", "img");
  c.setAttribute("aria-label", `Frame ${e.frames.length}`);
  $("enroll-thumbs").append(c);
  show($("enroll-status"), `Enrolling ${e.name}: ${e.frames.length} of ${ENROLL_FRAMES} good frames.`);
  if (e.frames.length < ENROLL_FRAMES) return;
  const { name, frames, boxes } = e;
  setMode("preview");
  show($("enroll-status"), `Enrolling ${name}: computing the template…`);
  try {
    const r = await state.engine.enroll(name, frames.map(cloneImage));
    const replaced = r.replaced ? " (replaced the earlier enrollment)" : "";
    show($("enroll-status"), `Enrolled ${name} from ${r.accepted} frames${r.refused ? `, ${r.refused} refused` : ""}${replaced}.`);
    state.captures = state.captures.filter((c) => c.label !== name);
    frames.forEach((image, i) => state.captures.push({ label: name, image, box: boxes[i] }));
    renderCaptures();
    await saveCaptures();
    await saveGallery();
    await refreshPeople();
    $("verify-person").value = name;
    $("capture-label").value = name;
    $("enroll-status").dataset.enrolled = name; // saved and listed
  } catch (err) {
    show($("enroll-status"), `Could not enroll ${name}: ${err.message}`);
  }
}

// ---- verify and identify ----

function showVerification(v, image) {
  const el = $("verify-verdict");
  if (!v.quality.ok) {
    el.textContent = `Waiting for a good frame: ${hintFor(v.quality)}`;
    el.className = "verdict";
    el.dataset.verdict = "";
    return;
  }
  const match = v.match;
  el.textContent = match ? `Match: this is ${v.id}.` : `No match: this is not ${v.id}.`;
  el.className = `verdict ${match ? "match" : "nomatch"}`;
  el.dataset.verdict = match ? "match" : "nomatch";
  el.dataset.distance = String(v.distance);
  el.dataset.threshold = String(v.threshold);
  // The bar spans distances 0…2×threshold, so the threshold mark sits in the middle.
  const span = 2 * v.threshold;
  $("verify-bar-fill").style.width = `${Math.min(100, (v.distance / span) * 100)}%`;
  $("verify-bar-fill").className = `bar-fill ${match ? "match" : "nomatch"}`;
  $("verify-bar").setAttribute("aria-label", `Distance ${fmt(v.distance)} against threshold ${fmt(v.threshold)}`);
  $("verify-figures").textContent = `distance ${fmt(v.distance)} · threshold ${fmt(v.threshold)} · score ${fmt(v.score, 0)}/100`;
  drawFace($("verify-capture"), image, v.face && v.face.box);
}

function showIdentification(r, image) {
  const el = $("identify-verdict");
  if (!r.quality.ok) {
    el.textContent = `Waiting for a good frame: ${hintFor(r.quality)}`;
    el.dataset.id = "";
    el.dataset.unknown = "";
    return;
  }
  el.textContent = r.unknown ? "Unknown: nobody enrolled is within the threshold." : `This is ${r.id}.`;
  el.className = `verdict ${r.unknown ? "nomatch" : "match"}`;
  el.dataset.id = r.id || "";
  el.dataset.unknown = String(!!r.unknown);
  const list = $("identify-candidates");
  list.replaceChildren(...(r.candidates || []).map((c) => {
    const li = document.createElement("li");
    li.textContent = `${c.id}: distance ${fmt(c.distance)}${c.match ? " (within the threshold)" : ""}`;
    return li;
  }));
  drawFace($("identify-capture"), image, r.face && r.face.box);
}

// ---- fine-tune ----

function renderCaptures() {
  const counts = {};
  for (const c of state.captures) counts[c.label] = (counts[c.label] || 0) + 1;
  const parts = Object.entries(counts).map(([k, n]) => `${k}: ${n}`);
  $("capture-summary").textContent = parts.length ? `${state.captures.length} captures (${parts.join(", ")}).` : "No captures yet.";
  $("capture-summary").dataset.count = String(state.captures.length);
  $("capture-thumbs").replaceChildren(...state.captures.map((c) => {
    const fig = document.createElement("figure");
    const cv = document.createElement("canvas");
    cv.width = cv.height = 56;
    drawFace(cv, c.image, c.box);
    const cap = document.createElement("figcaption");
    cap.textContent = c.label;
    fig.append(cv, cap);
    return fig;
  }));
}

function addCapture() {
  const label = $("capture-label").value;
  if (!label) {
    show($("finetune-status"), "Enroll someone first: captures are labelled with an enrolled person.");
    return;
  }
  if (!state.lastGood) {
    show($("finetune-status"), "No good frame yet: start the camera and look at it.");
    return;
  }
  state.captures.push({ label, image: state.lastGood.image, box: state.lastGood.box });
  renderCaptures();
  saveCaptures();
}

// score puts a before/after measurement into words.
function score(x) {
  if (!x) return "—";
  return `${Math.round(x.accuracy * 100)}% of triplets right, distance same ${fmt(x.matched)} vs different ${fmt(x.mismatched)} (gap ${fmt(x.gap)})`;
}

async function runFineTune() {
  const labels = new Set(state.captures.map((c) => c.label));
  if (labels.size < 2) {
    $("finetune-section").dataset.state = "failed";
    show($("finetune-status"), "Fine-tuning needs captures of at least two people (enroll two people, or add frames).");
    return;
  }
  const epochs = Math.max(1, Math.min(50, Number($("finetune-epochs").value) || 1));
  const ac = new AbortController();
  state.fineTuneAbort = ac;
  $("finetune-run").disabled = true;
  $("finetune-stop").disabled = false;
  $("finetune-keep").disabled = $("finetune-rollback").disabled = true;
  $("finetune-progress").value = 0;
  $("finetune-section").dataset.state = "running";
  chart.clear();
  show($("finetune-status"), "Fine-tuning…");
  try {
    state.previousModel = await state.engine.exportModel();
    const r = await state.engine.fineTune({
      captures: state.captures.map((c) => ({ image: cloneImage(c.image), label: c.label })),
      mode: $("finetune-mode").value,
      epochs,
      signal: ac.signal,
      onProgress(p) {
        if (!p) return;
        if (p.epochs && p.steps) $("finetune-progress").value = (p.epoch - 1 + p.step / p.steps) / p.epochs;
        chart.add(p.loss);
        show($("finetune-status"), `Fine-tuning… epoch ${p.epoch} of ${p.epochs}, step ${p.step} of ${p.steps}, loss ${fmt(p.loss)}`);
      },
    });
    $("finetune-progress").value = 1;
    const held = r.heldOut ? `${r.heldOut} held-out triplets` : "the training triplets (too few captures to hold some out)";
    let text = `Done in ${fmt(r.seconds, 1)} s: ${r.epochs} epochs on ${r.triplets} triplets, last loss ${fmt(r.loss)}. ` +
      `On ${held} — before: ${score(r.before)}; after: ${score(r.after)}.`;
    if (r.kept) {
      text += " The fine-tuned model is in use now: keep it (saved in this browser) or roll back.";
      $("finetune-keep").disabled = $("finetune-rollback").disabled = false;
      showModelInfo();
    } else {
      text += ` The previous model stays${r.reason ? `: ${r.reason}` : ""}.`;
    }
    show($("finetune-status"), text);
    $("finetune-section").dataset.state = "done";
    $("finetune-section").dataset.kept = String(!!r.kept);
  } catch (err) {
    $("finetune-section").dataset.state = "failed";
    show($("finetune-status"), ac.signal.aborted ? "Fine-tuning stopped." : `Fine-tuning failed: ${err.message}`);
  } finally {
    $("finetune-run").disabled = !state.fineTuneAvailable;
    $("finetune-stop").disabled = true;
    state.fineTuneAbort = null;
  }
}

async function keepFineTuned() {
  $("finetune-keep").disabled = $("finetune-rollback").disabled = true;
  if (!state.store) {
    show($("finetune-status"), "Kept for this session (storage is unavailable, so it is gone after a reload).");
    return;
  }
  try {
    await state.store.put("model", await state.engine.exportModel());
    await saveGallery();
    show($("finetune-status"), "Kept: the fine-tuned model is saved in this browser.");
  } catch (err) {
    show($("finetune-status"), storageError(err).message);
  }
}

async function rollBack() {
  $("finetune-keep").disabled = $("finetune-rollback").disabled = true;
  try {
    await state.engine.importModel(state.previousModel);
    await saveGallery();
    show($("finetune-status"), "Rolled back to the previous model.");
    showModelInfo();
  } catch (err) {
    show($("finetune-status"), `Could not roll back: ${err.message}`);
  }
}

// ---- settings ----

// resetModel goes back to the model the page shipped with (kept as bytes
// at load, before a saved fine-tuned model replaced it), re-embedding
// everyone enrolled.
async function resetModel() {
  await state.engine.importModel(state.originalModel);
}

function download(bytes, name) {
  const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

async function settingsAction(what, fn, input) {
  const s = $("settings-status");
  try {
    show(s, `${what}…`);
    show(s, (await fn()) || `${what}: done.`);
  } catch (err) {
    show(s, `${what} failed: ${err.message}`);
  } finally {
    if (input) input.value = ""; // so choosing the same file again works
  }
}

async function setThreshold(value) {
  state.threshold = value;
  showThreshold();
  if (!state.store) return;
  try {
    if (value == null) await state.store.delete("threshold");
    else await state.store.put("threshold", value);
    $("threshold").dataset.saved = value == null ? "default" : String(value);
  } catch (err) {
    show($("storage-status"), storageError(err).message, "message");
  }
}

function wire() {
  $("camera-start").addEventListener("click", cameraOn);
  $("camera-stop").addEventListener("click", cameraOff);
  $("enroll-form").addEventListener("submit", startEnroll);
  $("enroll-cancel").addEventListener("click", () => {
    setMode("preview");
    show($("enroll-status"), "Enrollment cancelled.");
  });
  $("verify-button").addEventListener("click", () => setMode(state.mode === "verify" ? "preview" : "verify"));
  $("identify-button").addEventListener("click", () => setMode(state.mode === "identify" ? "preview" : "identify"));
  $("capture-add").addEventListener("click", addCapture);
  $("capture-clear").addEventListener("click", () => {
    state.captures = [];
    renderCaptures();
    saveCaptures();
  });
  $("finetune-run").addEventListener("click", runFineTune);
  $("finetune-stop").addEventListener("click", () => state.fineTuneAbort && state.fineTuneAbort.abort());
  $("finetune-keep").addEventListener("click", keepFineTuned);
  $("finetune-rollback").addEventListener("click", rollBack);
  $("threshold").addEventListener("input", (ev) => setThreshold(Number(ev.target.value)));
  $("threshold-reset").addEventListener("click", () => setThreshold(null));
  $("threshold-strict").addEventListener("click", () => setThreshold("strict"));
  $("export-gallery").addEventListener("click", () => settingsAction("Export gallery", async () => {
    download(await state.engine.exportGallery(), "oneshot.gallery");
  }));
  $("export-model").addEventListener("click", () => settingsAction("Export model", async () => {
    download(await state.engine.exportModel(), "model.oneshot");
  }));
  $("import-gallery").addEventListener("change", (ev) => settingsAction("Import gallery", async () => {
    const f = ev.target.files[0];
    if (!f) return "No file chosen.";
    // Importing replaces the enrolled people: say who would go first.
    const people = state.people;
    if (people.length && !confirm(`Importing replaces the ${people.length} enrolled ${people.length === 1 ? "person" : "people"} (${people.join(", ")}) with the file's. Export the gallery first to keep them. Replace them?`)) return "Nothing was imported.";
    const r = await state.engine.importGallery(f);
    await saveGallery();
    await refreshPeople();
    return `Imported ${r.people} people${r.reembedded ? " (re-embedded for this model)" : ""}.`;
  }, ev.target));
  $("import-model").addEventListener("change", (ev) => settingsAction("Import model", async () => {
    const f = ev.target.files[0];
    if (!f) return "No file chosen.";
    await state.engine.importModel(f);
    if (state.store) await state.store.put("model", await state.engine.exportModel());
    await saveGallery();
    showModelInfo();
    return "Imported the model; everyone enrolled was re-embedded.";
  }, ev.target));
  $("reset-model").addEventListener("click", () => settingsAction("Reset the model", async () => {
    await resetModel();
    if (state.store) await state.store.delete("model");
    await saveGallery();
    showModelInfo();
    return "The model is back to the one this page shipped with.";
  }));
  $("delete-all").addEventListener("click", () => settingsAction("Delete everything", async () => {
    if (!confirm("Delete every enrolled person, the fine-tuned model and the settings from this browser?")) return "Nothing was deleted.";
    setMode("preview");
    for (const id of await state.engine.people()) await state.engine.remove(id);
    await resetModel();
    state.captures = [];
    state.threshold = null;
    renderCaptures();
    if (state.store) await state.store.clear();
    await refreshPeople();
    showModelInfo();
    return "Everything was deleted.";
  }));
}

wire();
renderCaptures();
load().catch((err) => setStatus(`Could not load Oneshot: ${err.message}`, "error"));
