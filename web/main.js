// Placeholder demo: loads Oneshot through oneshot.js (the worker, the
// WebAssembly module, the model and the cascades) and says whether it is
// ready. The full demo (webcam, enroll, verify, fine-tune) replaces it.
import { Oneshot } from "./oneshot.js";

const status = document.getElementById("status");

function show(text, kind) {
  status.textContent = text;
  status.className = kind;
}

const names = { wasm: "the module", model: "the model", facefinder: "the face detector", puploc: "the eye finder", init: "the engine" };

async function load() {
  if (typeof WebAssembly !== "object" || typeof Worker !== "function") {
    show("This browser does not support WebAssembly in Web Workers, which Oneshot needs.", "error");
    return;
  }
  const engine = await Oneshot.load({
    onProgress(p) {
      const pct = p.fraction == null ? "" : ` ${Math.round(p.fraction * 100)}%`;
      show(`Loading ${names[p.stage] || p.stage}…${pct}`, "");
    },
  });
  globalThis.oneshotEngine = engine;
  const m = engine.info.model;
  const note = m.calibrated ? "" : " (untrained model: verdicts are not meaningful)";
  show(`Oneshot ${engine.version} is ready${note}.`, "ok");
}

load().catch((err) => show(`Could not load Oneshot: ${err.message}`, "error"));
