// Oneshot worker: runs the Go WebAssembly module off the page's main thread,
// so detection and embedding never freeze the page. oneshot.js starts it and
// talks to it with messages; it is a classic worker (importScripts) because
// Go's wasm_exec.js is a classic script.
//
// Messages from the page:
//   {id, type: "load", config: {wasmURL, wasmExecURL, modelURL, cascadeURL}}
//   {id, type: "call", method, args}
//   {id, type: "useModel", url, options}   downloads a model file (progress stage "model"), then
//                                 swaps it in with importModel (progress stage "switch")
//   {id, type: "cancel"}          cancels the fineTune call of that id (runs at once, not queued)
// Messages to the page:
//   {id, type: "progress", progress: {stage, loaded, total, fraction}}
//   {id, type: "result", result}
//   {id, type: "error", error: {name, message, details}}
//   {type: "fatal", error: {name, message}}   the Go runtime is gone; every later call fails
"use strict";

let api = null; // globalThis.oneshot of the Go module, once init resolved
let dead = null; // why the module can no longer answer, once it cannot

function post(msg, transfer) {
  self.postMessage(msg, transfer || []);
}

function errorOf(err) {
  if (err && typeof err === "object") {
    const out = {
      name: typeof err.name === "string" ? err.name : "Error",
      message: typeof err.message === "string" ? err.message : String(err),
    };
    if (err.details !== undefined) out.details = err.details;
    return out;
  }
  return { name: "Error", message: String(err) };
}

function die(message) {
  if (dead) return;
  dead = message;
  post({ type: "fatal", error: { name: "OneshotError", message } });
}

// fetchOK fetches url and fails with a message naming what was fetched.
async function fetchOK(url, what) {
  let resp;
  try {
    resp = await fetch(url);
  } catch (err) {
    throw new Error(`cannot fetch the ${what} from ${url}: ${err.message}`);
  }
  if (!resp.ok) {
    throw new Error(`cannot fetch the ${what} from ${url}: HTTP ${resp.status} ${resp.statusText}`.trim());
  }
  return resp;
}

// totalOf is the body's size from Content-Length, or 0 when unknown (no
// header, or a compressed body whose length is not the decoded length).
function totalOf(resp) {
  const enc = (resp.headers.get("Content-Encoding") || "identity").toLowerCase();
  if (enc !== "identity") return 0;
  const n = Number(resp.headers.get("Content-Length"));
  return Number.isFinite(n) && n > 0 ? n : 0;
}

// withProgress returns a Response whose body reports its progress as it is
// read, so WebAssembly.instantiateStreaming still compiles while it loads.
function withProgress(resp, report) {
  const total = totalOf(resp);
  if (!resp.body) return resp;
  const reader = resp.body.getReader();
  let loaded = 0;
  report(0, total);
  const body = new ReadableStream({
    async pull(ctrl) {
      const { done, value } = await reader.read();
      if (done) {
        report(loaded, total || loaded, true);
        ctrl.close();
        return;
      }
      loaded += value.byteLength;
      report(loaded, total);
      ctrl.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: resp.status, statusText: resp.statusText, headers: resp.headers });
}

// readAll reads a response's body into one Uint8Array, reporting progress.
async function readAll(resp, report) {
  const total = totalOf(resp);
  report(0, total);
  if (!resp.body) {
    const b = new Uint8Array(await resp.arrayBuffer());
    report(b.byteLength, b.byteLength, true);
    return b;
  }
  const reader = resp.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    report(loaded, total);
  }
  const out = new Uint8Array(loaded);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  report(loaded, loaded, true);
  return out;
}

function reporter(id, stage) {
  return (loaded, total, done) => {
    post({
      id,
      type: "progress",
      progress: { stage, loaded, total, fraction: done ? 1 : total > 0 ? Math.min(loaded / total, 1) : null },
    });
  };
}

// instantiate compiles the module while it downloads; a server that does
// not send application/wasm gets a slower fallback.
async function instantiate(id, url, importObject) {
  const report = reporter(id, "wasm");
  const resp = await fetchOK(url, "WebAssembly module");
  const type = (resp.headers.get("Content-Type") || "").split(";")[0].trim();
  if (typeof WebAssembly.instantiateStreaming === "function" && type === "application/wasm") {
    return (await WebAssembly.instantiateStreaming(withProgress(resp, report), importObject)).instance;
  }
  const bytes = await readAll(resp, report);
  return (await WebAssembly.instantiate(bytes, importObject)).instance;
}

async function load(id, config) {
  if (api) throw new Error("the engine is already loaded");
  if (typeof WebAssembly !== "object") throw new Error("this browser does not support WebAssembly, which Oneshot needs");
  try {
    importScripts(config.wasmExecURL);
  } catch (err) {
    throw new Error(`cannot load Go's wasm_exec.js from ${config.wasmExecURL}: ${err.message}`);
  }
  const go = new self.Go();
  // Fetch everything at once; the module compiles while the model loads.
  const cascade = (path, stage = path) => fetchOK(new URL(path, config.cascadeURL).href, `${stage} cascade`).then((r) => readAll(r, reporter(id, stage)));
  const model = fetchOK(config.modelURL, "model").then((r) => readAll(r, reporter(id, "model")));
  const facefinder = cascade("facefinder");
  const puploc = cascade("puploc");
  // The nose and mouth cascades: a five-point model aligns faces with
  // them, and the liveness challenge reads head turns from them.
  const landmark = (name) =>
    cascade(`lps/${name}`, name).catch((err) => {
      throw new Error(`${err.message} (the nose and mouth cascades lp93 and lp84 belong in the lps/ folder beside facefinder and puploc, as in pigo's cascade/lps/ and this package's cascade/lps/)`);
    });
  const nose = landmark("lp93");
  const mouth = landmark("lp84");
  // Keep the other downloads from reporting unhandled rejections while
  // the module compiles; their errors are awaited below.
  for (const p of [model, facefinder, puploc, nose, mouth]) p.catch(() => {});
  const instance = await instantiate(id, config.wasmURL, go.importObject);
  go.run(instance).then(
    () => die(`the Go runtime exited (code ${go.exitCode ?? "unknown"}); load Oneshot again`),
    (err) => die(`the Go runtime crashed: ${err && err.message ? err.message : err}; load Oneshot again`),
  );
  const mod = self.oneshot;
  if (!mod || !mod.ready) throw new Error("the WebAssembly module started but did not publish its API");
  const [m, ff, pl, ns, mo] = await Promise.all([model, facefinder, puploc, nose, mouth]);
  post({ id, type: "progress", progress: { stage: "init", loaded: 0, total: 0, fraction: null } });
  const info = await mod.init(m, ff, pl);
  await mod.loadLandmarks(ns, mo);
  api = mod;
  return { version: mod.version, info };
}

// useModel downloads the model file at url, reporting its bytes, and swaps
// it in: importModel re-embeds everyone enrolled, all or nothing. Other
// calls are answered with the current model until the swap.
async function useModel(id, url, options) {
  if (dead) throw new Error(dead);
  if (!api) throw new Error("the engine is not loaded yet");
  if (typeof url !== "string" || url === "") throw new Error("useModel: no model URL");
  const resp = await fetchOK(url, "model");
  const bytes = await readAll(resp, reporter(id, "model"));
  post({ id, type: "progress", progress: { stage: "switch", loaded: 0, total: 0, fraction: null } });
  return await call(id, "importModel", options === undefined || options === null ? [bytes] : [bytes, options]);
}

// transferables lists the buffers of a result that can move to the page
// without a copy (they are fresh arrays the module made for this answer).
function transferables(result) {
  if (ArrayBuffer.isView(result)) return [result.buffer];
  if (result && typeof result === "object" && ArrayBuffer.isView(result.vector)) return [result.vector.buffer];
  return [];
}

// fineTuneArgs gives fineTune's options what cannot cross postMessage: a
// progress callback that posts progress messages, and the call's id as the
// job a cancel message names.
function fineTuneArgs(id, args) {
  const opts = args[0];
  if (!opts || typeof opts !== "object") return args;
  return [{ ...opts, job: id, onProgress: (p) => post({ id, type: "progress", progress: p }) }, ...args.slice(1)];
}

async function call(id, method, args) {
  if (dead) throw new Error(dead);
  if (!api) throw new Error("the engine is not loaded yet");
  const fn = typeof method === "string" && method !== "init" && Object.hasOwn(api, method) ? api[method] : undefined;
  if (typeof fn !== "function") throw new Error(`there is no method ${JSON.stringify(method)}`);
  let p;
  try {
    let list = Array.isArray(args) ? args : [];
    if (method === "fineTune") list = fineTuneArgs(id, list);
    p = fn(...list);
  } catch (err) {
    // The Go functions never throw; a throw means the runtime is gone.
    die(`the WebAssembly module stopped: ${err && err.message ? err.message : err}; load Oneshot again`);
    throw err;
  }
  return await p;
}

self.onmessage = (ev) => {
  const msg = ev.data || {};
  const { id } = msg;
  let work;
  switch (msg.type) {
    case "load":
      work = load(id, msg.config || {});
      break;
    case "call":
      work = call(id, msg.method, msg.args);
      break;
    case "useModel":
      work = useModel(id, msg.url, msg.options);
      break;
    case "cancel":
      // Answered by the fineTune call itself, which rejects once stopped.
      if (api && typeof api.cancelFineTune === "function") api.cancelFineTune(id);
      return;
    default:
      work = Promise.reject(new Error(`unknown message type ${JSON.stringify(msg.type)}`));
  }
  work.then(
    (result) => {
      try {
        post({ id, type: "result", result }, transferables(result));
      } catch (err) {
        post({ id, type: "error", error: errorOf(err) });
      }
    },
    (err) => post({ id, type: "error", error: errorOf(err) }),
  );
};
