// The Oneshot demo page: live webcam preview with the face box and pupils,
// enroll, verify, identify, fine-tune and settings, with the gallery, the
// fine-tuning captures, a fine-tuned model and the settings kept in
// IndexedDB, encrypted (app/store.js, app/persist.js). Everything runs in
// this tab: the engine (oneshot.js) runs Go compiled to WebAssembly in a
// Web Worker, and this file only moves frames and draws results.
//
// One frame is in flight at a time: the loop grabs a frame from the <video>
// through an OffscreenCanvas, sends it to the engine for the current mode
// (preview → detect, enroll → detect and keep good frames, verify, identify)
// and waits for the answer before grabbing the next. Verify and identify
// show a verdict only once several consecutive frames agree, and wait
// longer between attempts after repeated failures (app/verdicts.js).
import { Oneshot } from "./oneshot.js";
import { startCamera, stopCamera, Grabber, cloneImage, drawFace, drawOverlay } from "./app/camera.js";
import { hintFor, hintForError } from "./app/hints.js";
import { openStore, isQuotaError } from "./app/store.js";
import { restoreState, Saver, askPersistence, saveErrorMessage, partWords, encodeSettings, PERSIST_EXPLANATION } from "./app/persist.js";
import { makeCapture, encodeCaptures } from "./app/captures.js";
import { seal, unseal, isSealed } from "./app/seal.js";
import { thresholdRange, checkThreshold } from "./app/threshold.js";
import { Decider } from "./app/verdicts.js";
import { holdStorageLock } from "./app/tablock.js";
import { LossChart } from "./app/chart.js";
import { ringLength, ringOffset, promptFor, verdictFor } from "./app/liveness.js";
import { MODELS, DEFAULT_MODEL, isModelName, probeModels, describeModel } from "./app/models.js";

const $ = (id) => document.getElementById(id);
const ENROLL_FRAMES = 5;
const ENROLL_GAP_MS = 300;

const state = {
  engine: null,
  store: null, // app/store.js's Store, once the saved state was read
  saver: null, // app/persist.js's Saver over it
  lockLost: false, // another tab took the storage over
  failed: [], // parts that could not be restored: [{name, message}]
  persistAsked: false,
  people: [],
  mode: "preview", // preview | enroll | verify | identify | liveness
  challenge: null, // the liveness challenge in progress (engine.challenge)
  running: false, // the camera loop
  threshold: null, // null: the model's default; "strict": the model's strict point; else a distance
  model: DEFAULT_MODEL, // the model chosen in Settings (app/models.js), once it is in use
  switching: null, // the model being downloaded and swapped in, or null
  restoredModel: null, // the model chosen on an earlier visit, switched to once the page is ready
  wholeFrames: false, // captures keep whole camera frames instead of the face
  enroll: null, // {name, frames: [ImageData], last}
  captures: [], // fine-tuning captures: {label, image: ImageData, box, whole}
  lastGood: null, // {image, box}: the last good frame, for "Add current frame"
  originalModel: null, // the bytes of the model the page loaded
  previousModel: null, // the bytes before the last fine-tuning, for roll back
  fineTuneAvailable: false,
  fineTuneAbort: null,
  decider: new Decider(), // verdicts over consecutive frames, and the pace of attempts
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

const stageNames = { wasm: "the module", model: "the model", facefinder: "the face detector", puploc: "the eye finder", lp93: "the nose finder", lp84: "the mouth finder", init: "the engine" };

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
  askToKeep();
  const m = engine.info.model;
  const note = m.calibrated ? "" : " (untrained model: verdicts are not meaningful)";
  setStatus(`Oneshot ${engine.version} is ready${note}.`, "ok");
  for (const id of ["camera-start", "enroll-button"]) $(id).disabled = false;
  document.body.dataset.model = state.model;
  await offerModels();
  document.body.dataset.ready = "true";
  // The accurate model chosen on an earlier visit: switched to now, while
  // the page already works with the compact one.
  if (state.restoredModel && state.restoredModel !== state.model) chooseModel(state.restoredModel);
}

// ---- the model ----

// offerModels asks the server which models this build has and shows each
// with its size, speed and accuracy; a model that is not there cannot be
// chosen.
async function offerModels() {
  const models = await probeModels(fetch, new URL(".", import.meta.url));
  state.models = Object.fromEntries(models.map((m) => [m.name, m]));
  for (const m of models) {
    $(`model-${m.name}-text`).textContent = describeModel(m);
    const radio = document.querySelector(`#model-choice input[value="${m.name}"]`);
    radio.disabled = !m.available;
    radio.checked = m.name === state.model;
  }
  document.body.dataset.models = models.filter((m) => m.available).map((m) => m.name).join(",");
}

// chooseModel switches to the model named name: the worker downloads it
// (the progress bar shows the bytes) while the page goes on with the
// current one, then re-embeds everyone enrolled and swaps it in. A switch
// that fails leaves the current model, and says why. A person whose kept
// face crops cannot show the new model's view stays listed, marked to
// enroll again (refreshPeople), and the status names them.
async function chooseModel(name) {
  const status = $("model-status");
  const radios = [...document.querySelectorAll('#model-choice input[name="model"]')];
  const checkCurrent = () => radios.forEach((r) => (r.checked = r.value === state.model));
  if (!isModelName(name) || name === state.model || state.switching) {
    checkCurrent();
    return;
  }
  if (state.models && state.models[name] && !state.models[name].available) {
    show(status, `The ${MODELS[name].label} model is not in this build.`);
    checkCurrent();
    return;
  }
  state.switching = name;
  document.body.dataset.switching = name;
  radios.forEach((r) => (r.disabled = true));
  const bar = $("model-progress");
  bar.hidden = false;
  bar.removeAttribute("value");
  const label = MODELS[name].label;
  show(status, `Downloading the ${label} model… The page goes on with the ${MODELS[state.model].label} model meanwhile.`);
  try {
    const info = await state.engine.useModel(name, {
      onProgress(p) {
        if (p.stage === "model") {
          if (p.fraction != null) bar.value = p.fraction;
          const mb = (n) => (n / 1e6).toFixed(1);
          show(status, `Downloading the ${label} model: ${mb(p.loaded)}${p.total ? ` of ${mb(p.total)}` : ""} MB…`);
        } else if (p.stage === "switch") {
          bar.removeAttribute("value");
          show(status, `Re-embedding everyone enrolled with the ${label} model…`);
        }
      },
    });
    state.model = name;
    state.decider = new Decider(); // verdicts of the old model do not count for the new one
    const t = checkThreshold(state.threshold, info);
    state.threshold = t.value;
    // The chosen model is a setting: its file is not saved (a saved
    // fine-tuned model is replaced by it).
    const saved = await save({ model: null, gallery: true, settings: true });
    showModelInfo();
    await refreshPeople();
    const again = state.engine.info.enrollAgain || [];
    const n = state.people.length - again.length;
    const done = n ? `; ${n === 1 ? "1 person" : `${n} people`} enrolled ${n === 1 ? "was" : "were"} re-embedded` : "";
    const redo = again.length ? ` ${again.join(", ")} must enroll again for this model: their saved face crops are from an older version of Oneshot and do not show what it reads (they are kept, and work again with the ${MODELS[DEFAULT_MODEL].label} model).` : "";
    show(status, `Now using the ${label} model${done}.${redo}${t.note ? " " + t.note : ""}${saved || !state.saver ? "" : " Not saved: see the message at the top."}`);
  } catch (err) {
    show(status, `Could not switch to the ${label} model: ${err.message} The ${MODELS[state.model].label} model stays in use.`);
  } finally {
    state.switching = null;
    delete document.body.dataset.switching;
    document.body.dataset.model = state.model;
    bar.hidden = true;
    radios.forEach((r) => (r.disabled = !(state.models?.[r.value]?.available ?? r.value === DEFAULT_MODEL)));
    checkCurrent();
  }
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
// this tab stops saving (a save still waiting for the engine's export is
// refused too: the store is revoked, not just forgotten), stops the camera
// and fine-tuning, and says why.
function stopHere() {
  state.lockLost = true;
  if (state.store) state.store.revoke("Oneshot is now in use in another tab");
  $("restore-failed").hidden = true; // the other tab decides about it now
  if (state.fineTuneAbort) state.fineTuneAbort.abort();
  if (state.running) cameraOff();
  $("main").inert = true;
  show($("elsewhere-text"), "Oneshot is now in use in another tab of this browser, which keeps your enrolled people. This tab has stopped so that the two cannot overwrite each other: close it, or reload it to use Oneshot here.");
  $("elsewhere-take").hidden = true;
  $("elsewhere").hidden = false;
  setStatus("Stopped: Oneshot is in use in another tab.", "error");
  document.body.dataset.elsewhere = "stopped";
}

// asImage makes an ImageData of {data, width, height} (what app/captures.js
// hands back), for drawing and for the engine.
function asImage(img) {
  return img instanceof ImageData ? img : new ImageData(new Uint8ClampedArray(img.data), img.width, img.height);
}

// restore reads the saved model, gallery, captures and settings from
// IndexedDB, each on its own: one that cannot be restored is reported and
// kept as it is stored (no later save overwrites it) until the person
// discards it.
async function restore() {
  const ss = $("storage-status");
  let store;
  try {
    store = await openStore();
  } catch (err) {
    show(ss, `Storage is unavailable (${err.message}): enrolled people will be forgotten when this tab closes.`, "message");
    return;
  }
  let r;
  try {
    r = await restoreState({ store, engine: state.engine });
  } catch (err) {
    // Nothing is known about what is stored, so this tab saves nothing.
    show(ss, `Could not read the saved data (${err.message}). This tab saves nothing, so what is stored stays as it is: reload to try again.`, "message");
    return;
  }
  if (state.lockLost) store.revoke("Oneshot is now in use in another tab");
  state.store = store;
  state.saver = new Saver(store, {
    gallery: () => state.engine.exportGallery(),
    model: () => state.engine.exportModel(),
    captures: () => encodeCaptures(state.captures),
    settings: () => encodeSettings({ threshold: state.threshold, wholeFrames: state.wholeFrames, model: state.model }),
  });
  state.captures = r.captures.map((c) => ({ ...c, image: asImage(c.image) }));
  renderCaptures();
  const t = checkThreshold(r.settings.threshold, state.engine.info.model);
  state.threshold = t.value;
  state.wholeFrames = r.settings.wholeFrames;
  $("capture-whole").checked = state.wholeFrames;
  // A fine-tuned model restored from storage is the model in use, fine-tuned
  // from the one chosen then; otherwise the saved choice is switched to once
  // the page is ready (chooseModel).
  if (r.model) state.model = r.settings.model;
  state.restoredModel = r.model ? null : r.settings.model;
  const notes = [];
  if (r.model) notes.push("Restored your fine-tuned model from this browser's storage.");
  if (r.migrated) notes.push("The data an earlier version of Oneshot saved in this browser is now stored encrypted.");
  if (t.note) notes.push(t.note);
  show(ss, notes.join(" "), "note");
  showRestoreFailures(r.failures);
}

// showRestoreFailures lists what could not be restored, with the choice to
// keep it (untouched; saved again by nothing) or discard it.
function showRestoreFailures(failures) {
  state.failed = failures;
  const panel = $("restore-failed");
  if (!failures.length) {
    panel.hidden = true;
    delete document.body.dataset.restoreFailed;
    return;
  }
  $("restore-failed-text").textContent = `Some of the data saved in this browser could not be restored: ${failures.map((f) => partWords(f.name)).join(", ")}. Everything else was.`;
  $("restore-failed-list").replaceChildren(...failures.map((f) => {
    const li = document.createElement("li");
    li.textContent = `${partWords(f.name)}: ${f.message}`;
    return li;
  }));
  $("restore-keep").disabled = $("restore-discard").disabled = false;
  panel.hidden = false;
  document.body.dataset.restoreFailed = failures.map((f) => f.name).join(",");
}

function keepFailed() {
  const names = state.failed.map((f) => partWords(f.name)).join(", ");
  $("restore-failed").hidden = true;
  const it = state.failed.length === 1 ? "it" : "them";
  show($("storage-status"), `Kept as stored, untouched: ${names}. This tab saves everything else, but not over ${it}; reload to try again, or to discard ${it} then.`, "note");
}

async function discardFailed() {
  const names = state.failed.map((f) => f.name);
  $("restore-keep").disabled = $("restore-discard").disabled = true;
  try {
    await state.store.discard(names);
  } catch (err) {
    show($("storage-status"), saveErrorMessage(err), "message");
    $("restore-keep").disabled = $("restore-discard").disabled = false;
    return;
  }
  showRestoreFailures([]);
  // Save what this tab has in their place.
  const what = {};
  for (const n of names) if (n === "gallery" || n === "captures" || n === "settings") what[n] = true;
  if (Object.keys(what).length && (await save(what))) {
    show($("storage-status"), `Discarded ${names.map(partWords).join(", ")}; what this tab has is saved in ${names.length === 1 ? "its" : "their"} place.`, "note");
  } else if (!Object.keys(what).length) {
    show($("storage-status"), `Discarded ${names.map(partWords).join(", ")}.`, "note");
  }
}

// save writes parts of the page's state (see app/persist.js; what maps part
// names to true, or null to remove one) and says when it could not.
// Resolves to true when everything asked for was saved.
async function save(what) {
  if (!state.saver) return false;
  try {
    const r = await state.saver.save(what);
    if (r.skipped.length) {
      show($("storage-status"), `Not saved: ${r.skipped.map(partWords).join(" and ")}, since the stored version could not be restored and is kept as it is. Discard it (above, or reload) to save over it.`, "message");
      return false;
    }
    if ("gallery" in what) askToKeep();
    return true;
  } catch (err) {
    if (err.name === "RevokedError") return false; // this tab stopped, and says why
    let estimate = null;
    if (isQuotaError(err) && navigator.storage && typeof navigator.storage.estimate === "function") {
      estimate = await navigator.storage.estimate().catch(() => null);
    }
    show($("storage-status"), saveErrorMessage(err, estimate), "message");
    return false;
  }
}

// askToKeep asks the browser, once, to keep the page's storage
// (navigator.storage.persist) once someone is enrolled, saying why first.
async function askToKeep() {
  if (!state.saver || state.persistAsked || !(await state.engine.people()).length) return;
  state.persistAsked = true;
  const ps = $("persist-status");
  show(ps, PERSIST_EXPLANATION, "note");
  const r = await askPersistence();
  show(ps, r.message, r.state === "denied" || r.state === "unsupported" ? "message" : "note");
  ps.dataset.state = r.state;
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

async function refreshPeople() {
  const info = await state.engine.refreshInfo();
  state.people = info.people;
  const again = new Set(info.enrollAgain || []);
  const list = $("people");
  list.replaceChildren();
  for (const id of state.people) {
    const li = document.createElement("li");
    li.dataset.id = id;
    li.append(id);
    if (again.has(id)) {
      // Kept, but this model cannot use the face crops kept for them.
      li.dataset.again = "true";
      const note = document.createElement("span");
      note.className = "again";
      note.textContent = " — enroll again for this model";
      li.append(note);
    }
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
  $("liveness-button").disabled = !state.people.length || !state.running;
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
    await save({ captures: true, gallery: true });
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
  // The slider stops at the model's default: the most lenient point it was calibrated for.
  const range = thresholdRange(m);
  Object.assign($("threshold"), { min: range.min, max: range.max, step: range.step });
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
  if (mode !== was) state.decider.reset();
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
  $("liveness-button").setAttribute("aria-pressed", String(mode === "liveness"));
  $("liveness-button").textContent = mode === "liveness" ? "Stop the liveness check" : "Verify with liveness";
  if (mode === "liveness" && was !== "liveness") startLiveness();
  if (mode !== "liveness" && was === "liveness") endLiveness();
  $("identify-button").setAttribute("aria-pressed", String(mode === "identify"));
  $("identify-button").textContent = mode === "identify" ? "Stop identifying" : "Start identifying";
}

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

async function loop() {
  while (state.running) {
    // After repeated failed verdicts the next attempt waits (app/verdicts.js).
    const judging = state.mode === "verify" || state.mode === "identify";
    const wait = judging ? state.decider.waitMs(performance.now()) : 0;
    if (wait > 0) {
      $("hint").textContent = `Several attempts in a row failed: the next one in ${Math.ceil(wait / 1000)} s.`;
      $("hint").dataset.ok = "false";
      await pause(Math.min(wait, 250));
      continue;
    }
    const video = $("video");
    const frame = grabber.grab(video);
    if (frame) {
      try {
        await handle(frame);
      } catch (err) {
        state.decider.reset(); // a frame that failed breaks a run of agreeing frames
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
  // A result may carry no verdict (a frame of bad quality): it has its
  // quality's reasons, and perhaps no face.
  if (mode === "verify") {
    const id = $("verify-person").value;
    const v = await state.engine.verify(id, frame, options());
    drawOverlay($("overlay"), w, h, v.face ? [v.face] : [], !!(v.quality && v.quality.ok));
    noteQuality(v.quality, keep, v.face);
    if (state.mode === "verify") showVerification(state.decider.judge("verify", v, performance.now()), keep);
    return;
  }
  if (mode === "identify") {
    const r = await state.engine.identify(frame, options());
    drawOverlay($("overlay"), w, h, r.face ? [r.face] : [], !!(r.quality && r.quality.ok));
    noteQuality(r.quality, keep, r.face);
    if (state.mode === "identify") showIdentification(state.decider.judge("identify", r, performance.now()), keep);
    return;
  }
  if (mode === "liveness" && state.challenge) {
    const ch = state.challenge;
    const st = await ch.next(frame, performance.now());
    drawOverlay($("overlay"), w, h, st.face ? [st.face] : [], !!st.face);
    if (state.challenge === ch) showLiveness(st);
    return;
  }
  const d = await state.engine.detect(frame);
  drawOverlay($("overlay"), w, h, d.faces, d.quality.ok);
  noteQuality(d.quality, keep, d.faces[0] || null);
  if (mode === "enroll" && state.mode === "enroll") await enrollFrame(d, keep);
}

// ---- verify with liveness ----

const RING_R = 44;

// startLiveness starts a challenge for the chosen person; the frames go
// to it from handle().
async function startLiveness() {
  const id = $("verify-person").value;
  $("liveness").hidden = false;
  const ring = $("liveness-ring");
  ring.style.strokeDasharray = String(ringLength(RING_R));
  ring.style.strokeDashoffset = String(ringOffset(0, RING_R));
  const verdict = $("liveness-verdict");
  verdict.textContent = "";
  verdict.className = "verdict";
  verdict.dataset.verdict = "";
  $("liveness-prompt").textContent = "Starting…";
  try {
    const ch = await state.engine.challenge(id, options());
    if (state.mode !== "liveness") {
      ch.end();
      return;
    }
    state.challenge = ch;
    showLiveness(ch.state);
  } catch (err) {
    $("liveness-prompt").textContent = "";
    verdict.textContent = `The liveness check cannot start: ${err.message}`;
    verdict.dataset.verdict = "error";
    setMode("preview");
  }
}

function endLiveness() {
  if (state.challenge) state.challenge.end();
  state.challenge = null;
}

// showLiveness shows a challenge state: the prompt with its arrow, the ring,
// the words for screen readers (only when they change), and the verdict.
function showLiveness(st) {
  const p = promptFor(st);
  $("liveness-prompt").textContent = st.done ? "" : `${p.prompt}${st.hint ? ` (${st.hint})` : ""}`;
  $("liveness-arrow").textContent = p.arrow;
  $("liveness-ring").style.strokeDashoffset = String(ringOffset(st.progress, RING_R));
  $("liveness-progress-label").textContent = `Liveness check: ${Math.round(st.progress * 100)}% done`;
  const spoken = $("liveness-spoken");
  if (spoken.textContent !== p.spoken) spoken.textContent = p.spoken;
  $("liveness").dataset.move = st.move;
  if (!st.done) return;
  const v = verdictFor(st);
  const el = $("liveness-verdict");
  el.textContent = v.text;
  el.className = `verdict ${v.kind === "pass" ? "match" : "nomatch"}`;
  el.dataset.verdict = v.kind;
  el.dataset.live = String(st.live);
  el.dataset.match = String(st.match);
  state.challenge = null;
  setMode("preview");
}

function noteQuality(q, image, face) {
  $("hint").textContent = hintFor(q);
  $("hint").dataset.ok = String(!!(q && q.ok));
  if (q && q.ok) state.lastGood = { image, box: face && face.box };
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
    state.captures = state.captures.filter((c) => c.label !== name);
    frames.forEach((image, i) => state.captures.push(capture(name, image, boxes[i])));
    renderCaptures();
    const saved = await save({ captures: true, gallery: true });
    const where = saved ? "" : state.saver ? " It is not saved in this browser: see the message at the top." : "";
    show($("enroll-status"), `Enrolled ${name} from ${r.accepted} frames${r.refused ? `, ${r.refused} refused` : ""}${replaced}.${where}`);
    await refreshPeople();
    $("verify-person").value = name;
    $("capture-label").value = name;
    $("enroll-status").dataset.enrolled = name; // saved and listed
  } catch (err) {
    show($("enroll-status"), `Could not enroll ${name}: ${err.message}`);
  }
}

// ---- verify and identify ----

// waitingText says why a frame gave no verdict.
function waitingText(quality) {
  if (!quality || quality.ok) return "No verdict on this frame: waiting for the next.";
  return `Waiting for a good frame: ${hintFor(quality)}`;
}

// slowText says that attempts now wait, after a decision j.
function slowText(j) {
  return j.waitMs > 0 ? ` ${state.decider.failures} attempts in a row failed: the next one waits ${Math.ceil(j.waitMs / 1000)} s.` : "";
}

// showVerification shows a judgement of app/verdicts.js: a frame without a
// verdict, a verdict still being confirmed, or one decided on agreeing frames.
function showVerification(j, image) {
  const el = $("verify-verdict");
  if (j.status === "waiting") {
    el.textContent = waitingText(j.quality);
    el.className = "verdict";
    el.dataset.verdict = "";
    return;
  }
  if (j.status === "gathering") {
    if (!el.dataset.verdict) el.textContent = `Looking… ${j.count} of ${j.of} frames agree.`;
    return;
  }
  const v = j.decision.result;
  const match = j.decision.success;
  el.textContent = (match ? `Match: this is ${v.id}.` : `No match: this is not ${v.id}.`) + slowText(j);
  el.className = `verdict ${match ? "match" : "nomatch"}`;
  el.dataset.verdict = match ? "match" : "nomatch";
  el.dataset.distance = String(v.distance);
  el.dataset.threshold = String(v.threshold);
  // The bar spans distances 0…2×threshold, so the threshold mark sits in the middle.
  const span = 2 * v.threshold;
  $("verify-bar-fill").style.width = `${Math.min(100, (v.distance / span) * 100)}%`;
  $("verify-bar-fill").className = `bar-fill ${match ? "match" : "nomatch"}`;
  $("verify-bar").setAttribute("aria-label", `Distance ${fmt(v.distance)} against threshold ${fmt(v.threshold)}`);
  $("verify-figures").textContent = `distance ${fmt(v.distance)} · threshold ${fmt(v.threshold)} · score ${fmt(v.score, 0)}/100 · ${j.decision.frames} frames agreed`;
  drawFace($("verify-capture"), image, v.face && v.face.box);
}

function showIdentification(j, image) {
  const el = $("identify-verdict");
  if (j.status === "waiting") {
    el.textContent = waitingText(j.quality);
    el.dataset.id = "";
    el.dataset.unknown = "";
    return;
  }
  if (j.status === "gathering") {
    if (!el.dataset.unknown) el.textContent = `Looking… ${j.count} of ${j.of} frames agree.`;
    return;
  }
  const r = j.decision.result;
  el.textContent = (r.unknown ? "Unknown: nobody enrolled is within the threshold." : `This is ${r.id}.`) + slowText(j);
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

// capture is a fine-tuning capture of the face in image: the face with a
// margin around it, or the whole frame when the person asked for that.
function capture(label, image, box) {
  const c = makeCapture(label, image, box, { whole: state.wholeFrames });
  return { ...c, image: asImage(c.image) };
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
  state.captures.push(capture(label, state.lastGood.image, state.lastGood.box));
  renderCaptures();
  save({ captures: true });
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
  if (!state.saver) {
    show($("finetune-status"), "Kept for this session (storage is unavailable, so it is gone after a reload).");
    return;
  }
  // The model and the gallery embedded with it are saved together, in one version.
  if (await save({ model: true, gallery: true })) show($("finetune-status"), "Kept: the fine-tuned model is saved in this browser.");
  else show($("finetune-status"), "Kept in this tab until it closes, but not saved: see the message at the top.");
}

async function rollBack() {
  $("finetune-keep").disabled = $("finetune-rollback").disabled = true;
  try {
    await state.engine.importModel(state.previousModel);
    await save({ gallery: true });
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
  state.model = DEFAULT_MODEL;
  document.body.dataset.model = state.model;
  for (const r of document.querySelectorAll('#model-choice input[name="model"]')) r.checked = r.value === state.model;
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

// exportFile downloads an exported gallery or model: sealed with the
// passphrase when one is typed, else as it is.
async function exportFile(bytes, name) {
  const pass = $("passphrase").value;
  if (!pass) {
    download(bytes, name);
    return `Exported ${name}. It is not sealed: anyone with the file can read it (type a passphrase to seal exports).`;
  }
  download(await seal(bytes, pass), `${name}.sealed`);
  return `Exported ${name}.sealed, sealed with your passphrase: keep the passphrase, the file cannot be opened without it.`;
}

// readImport reads a chosen file, opening it with the passphrase when it
// is sealed.
async function readImport(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return isSealed(bytes) ? unseal(bytes, $("passphrase").value) : bytes;
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
  state.threshold = checkThreshold(value, state.engine.info.model).value;
  showThreshold();
  const chosen = state.threshold;
  if (await save({ settings: true })) $("threshold").dataset.saved = chosen == null ? "default" : String(chosen);
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
  $("liveness-button").addEventListener("click", () => setMode(state.mode === "liveness" ? "preview" : "liveness"));
  $("identify-button").addEventListener("click", () => setMode(state.mode === "identify" ? "preview" : "identify"));
  $("capture-add").addEventListener("click", addCapture);
  $("capture-clear").addEventListener("click", () => {
    state.captures = [];
    renderCaptures();
    save({ captures: true });
  });
  $("capture-whole").addEventListener("change", (ev) => {
    state.wholeFrames = ev.target.checked;
    save({ settings: true });
  });
  $("restore-keep").addEventListener("click", keepFailed);
  $("restore-discard").addEventListener("click", discardFailed);
  $("finetune-run").addEventListener("click", runFineTune);
  $("finetune-stop").addEventListener("click", () => state.fineTuneAbort && state.fineTuneAbort.abort());
  $("finetune-keep").addEventListener("click", keepFineTuned);
  $("finetune-rollback").addEventListener("click", rollBack);
  $("model-choice").addEventListener("change", (ev) => {
    if (ev.target.name === "model") chooseModel(ev.target.value);
  });
  $("threshold").addEventListener("input", (ev) => setThreshold(Number(ev.target.value)));
  $("threshold-reset").addEventListener("click", () => setThreshold(null));
  $("threshold-strict").addEventListener("click", () => setThreshold("strict"));
  $("export-gallery").addEventListener("click", () => settingsAction("Export gallery", async () => exportFile(await state.engine.exportGallery(), "oneshot.gallery")));
  $("export-model").addEventListener("click", () => settingsAction("Export model", async () => exportFile(await state.engine.exportModel(), "model.oneshot")));
  $("import-gallery").addEventListener("change", (ev) => settingsAction("Import gallery", async () => {
    const f = ev.target.files[0];
    if (!f) return "No file chosen.";
    // Importing replaces the enrolled people: say who would go first.
    const people = state.people;
    if (people.length && !confirm(`Importing replaces the ${people.length} enrolled ${people.length === 1 ? "person" : "people"} (${people.join(", ")}) with the file's. Export the gallery first to keep them. Replace them?`)) return "Nothing was imported.";
    const r = await state.engine.importGallery(await readImport(f));
    const saved = await save({ gallery: true });
    await refreshPeople();
    return `Imported ${r.people} people${r.reembedded ? " (re-embedded for this model)" : ""}.${saved || !state.saver ? "" : " Not saved: see the message at the top."}`;
  }, ev.target));
  $("import-model").addEventListener("change", (ev) => settingsAction("Import model", async () => {
    const f = ev.target.files[0];
    if (!f) return "No file chosen.";
    const info = await state.engine.importModel(await readImport(f));
    // The threshold chosen before may be more lenient than the new model's range.
    const t = checkThreshold(state.threshold, info);
    state.threshold = t.value;
    const saved = await save({ model: true, gallery: true, settings: true });
    showModelInfo();
    return `Imported the model; everyone enrolled was re-embedded. Its default threshold, ${fmt(info.threshold, 2)}, came from the file.${t.note ? " " + t.note : ""}${saved || !state.saver ? "" : " Not saved: see the message at the top."}`;
  }, ev.target));
  $("reset-model").addEventListener("click", () => settingsAction("Reset the model", async () => {
    await resetModel();
    state.threshold = checkThreshold(state.threshold, state.engine.info.model).value;
    await save({ model: null, gallery: true, settings: true });
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
    state.wholeFrames = $("capture-whole").checked = false;
    renderCaptures();
    if (state.store) await state.store.clear();
    showRestoreFailures([]);
    await refreshPeople();
    showModelInfo();
    return "Everything was deleted, with the key it was encrypted under.";
  }));
}

wire();
renderCaptures();
load().catch((err) => setStatus(`Could not load Oneshot: ${err.message}`, "error"));
