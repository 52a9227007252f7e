// Placeholder demo: loads the Oneshot WebAssembly module and says whether it
// is ready. The full demo (webcam, enroll, verify, fine-tune) replaces it.
const status = document.getElementById("status");

function show(text, kind) {
  status.textContent = text;
  status.className = kind;
}

async function load() {
  if (typeof WebAssembly !== "object") {
    show("This browser does not support WebAssembly, which Oneshot needs.", "error");
    return;
  }
  const go = new Go();
  const result = await WebAssembly.instantiateStreaming(fetch("oneshot.wasm"), go.importObject);
  go.run(result.instance);
  if (!globalThis.oneshot || !globalThis.oneshot.ready) {
    throw new Error("the module started but did not publish its API");
  }
  show(`Oneshot ${globalThis.oneshot.version} is ready.`, "ok");
}

load().catch((err) => show(`Could not load Oneshot: ${err.message}`, "error"));
