// Oneshot: face enrollment and verification that runs entirely in the
// browser. This ES module starts a Web Worker (worker.js) running the Go
// WebAssembly module and gives the page a promise-based engine:
//
//   import { Oneshot } from "./oneshot.js";
//   const engine = await Oneshot.load({ onProgress: (p) => console.log(p.stage, p.fraction) });
//   // or Oneshot.load({model: "accurate"}); engine.useModel("accurate") switches later
//   const frame = ctx.getImageData(0, 0, w, h);
//   await engine.enroll("ann", [frame1, frame2, frame3]);
//   const v = await engine.verify("ann", frame);   // {match, distance, threshold, score, face, quality}
//
// Every method returns a promise; a bad argument or a failed call rejects
// with an Error whose message says what was wrong, and the engine keeps
// working. Images are ImageData or {data, width, height} with RGBA bytes;
// their pixel buffers are transferred to the worker, not copied, so after
// the call image.data is detached (empty). Pass {transferPixels: false} to
// load() to copy instead. See oneshot.d.ts for the types.

const here = import.meta.url;

/** The version of this wrapper (the module reports its own in engine.version). */
export const VERSION = "0.3.0";

function resolveURL(url, base) {
  return new URL(String(url), base).href;
}

/**
 * The models a build ships beside oneshot.js, by name: "compact" (1.2 MB,
 * about 13 ms a face in the browser) and "accurate" (dlib's ResNet with
 * 8-bit weights, 5.7 MB, about 110 ms a face; `make web` builds it only when npm
 * can fetch its weights).
 */
export const MODELS = Object.freeze({ compact: "model.oneshot", accurate: "accurate.oneshot" });

// modelURLOf resolves load's and useModel's model option: a name of MODELS
// or a URL (a string with a "/" or a ".", or a URL object).
function modelURLOf(model, base, method) {
  if (model instanceof URL) return model.href;
  if (typeof model !== "string" || model === "") {
    throw makeError({ name: "OneshotError", message: `oneshot.${method}: model is ${kindOf(model)}, want "compact", "accurate" or a model file's URL` }, method);
  }
  if (Object.hasOwn(MODELS, model)) return new URL(MODELS[model], here).href;
  if (!/[./:]/.test(model)) {
    throw makeError({ name: "OneshotError", message: `oneshot.${method}: there is no model named ${JSON.stringify(model)}: use "compact", "accurate" or a model file's URL` }, method);
  }
  return resolveURL(model, base);
}

function pageBase() {
  return (typeof document !== "undefined" && document.baseURI) || (globalThis.location && globalThis.location.href) || here;
}

function makeError(e, method) {
  const err = new Error(e && typeof e.message === "string" ? e.message : String(e));
  err.name = (e && e.name) || "OneshotError";
  if (e && e.details !== undefined) err.details = e.details;
  if (method) err.method = method;
  return err;
}

// kindOf names the type of a value for an error message.
function kindOf(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an Array";
  const t = typeof v;
  return t === "undefined" ? "undefined" : (/^[aeiou]/.test(t) ? "an " : "a ") + t;
}

/**
 * The engine: a handle on one worker. Make it with Oneshot.load.
 */
export class Engine {
  #worker;
  #pending = new Map();
  #nextId = 1;
  #dead = null;
  #transfer;

  /** The Go module's version and what it loaded (set by Oneshot.load). */
  version = "";
  info = null;

  constructor(worker, transferPixels) {
    this.#worker = worker;
    this.#transfer = transferPixels;
    worker.onmessage = (ev) => this.#onMessage(ev.data);
    worker.onerror = (ev) => {
      ev.preventDefault?.();
      this.#fail(`the Oneshot worker failed: ${ev.message || "an error (see the console)"}`);
    };
    worker.onmessageerror = () => this.#fail("a message from the Oneshot worker could not be read");
  }

  #onMessage(msg) {
    if (!msg || typeof msg !== "object") return;
    if (msg.type === "fatal") {
      this.#fail(msg.error && msg.error.message);
      return;
    }
    const p = this.#pending.get(msg.id);
    if (!p) return;
    if (msg.type === "progress") {
      if (p.onProgress) {
        try {
          p.onProgress(msg.progress);
        } catch (err) {
          console.error("Oneshot onProgress callback threw:", err);
        }
      }
      return;
    }
    this.#pending.delete(msg.id);
    if (msg.type === "result") p.resolve(msg.result);
    else p.reject(makeError(msg.error, p.method));
  }

  // #fail rejects every pending call; later calls reject at once.
  #fail(message, keepWorker) {
    if (!this.#dead) this.#dead = message || "the Oneshot worker stopped";
    for (const p of this.#pending.values()) p.reject(makeError({ name: "OneshotError", message: this.#dead }, p.method));
    this.#pending.clear();
    if (!keepWorker) this.#worker.terminate();
  }

  /** @internal Sends one request to the worker. */
  _send(type, fields, transfer, onProgress, onSent) {
    const method = fields.method || type;
    if (this.#dead) return Promise.reject(makeError({ name: "OneshotError", message: this.#dead }, method));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, onProgress, method });
      try {
        this.#worker.postMessage({ id, type, ...fields }, transfer || []);
      } catch (err) {
        this.#pending.delete(id);
        reject(makeError({ name: "OneshotError", message: `oneshot.${method}: the arguments cannot be sent to the worker: ${err.message}` }, method));
        return;
      }
      if (onSent) onSent(id);
    });
  }

  #call(method, args, transfer) {
    return this._send("call", { method, args }, transfer);
  }

  // #image prepares an image argument: its pixel buffer joins the transfer
  // list. Anything that is not image-like is passed on as it is, and the
  // module says what is wrong with it.
  #image(image, transfer, method, what) {
    if (!image || typeof image !== "object") return image;
    let data = image.data;
    if (data instanceof ArrayBuffer) data = new Uint8Array(data);
    if (!ArrayBuffer.isView(data)) return { data, width: image.width, height: image.height };
    const w = image.width, h = image.height;
    if (data.buffer.detached === true) {
      throw makeError({
        name: "OneshotError",
        message: `oneshot.${method}: ${what}.data is empty: its buffer was detached, most likely transferred by an earlier call; pixels are transferred to the worker, so pass a fresh ImageData (or load with {transferPixels: false})`,
      }, method);
    }
    if (this.#transfer && data.buffer instanceof ArrayBuffer) {
      if (!transfer.includes(data.buffer)) transfer.push(data.buffer);
    } else {
      data = data.slice(); // a copy the structured clone may move
    }
    return { data, width: w, height: h };
  }

  #withImages(method, build) {
    const transfer = [];
    let args;
    try {
      args = build((img, what = "image") => this.#image(img, transfer, method, what));
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#call(method, args, transfer);
  }

  /** Finds the faces in an image, with pupils and a quality verdict. */
  detect(image) {
    return this.#withImages("detect", (img) => [img(image)]);
  }

  /**
   * Embeds the best face of an image: resolves to a Float32Array (128
   * values for the shipped model). With {details: true} it resolves to
   * {vector, face, quality, timings} instead: timings are the milliseconds
   * the module's stages took, timings.embed the network's forward pass on
   * the aligned crop alone.
   */
  async embed(image, options) {
    let details = false;
    if (options !== undefined && options !== null) {
      if (typeof options !== "object" || Array.isArray(options)) {
        throw makeError({ name: "OneshotError", message: `oneshot.embed: options is ${kindOf(options)}, want an object such as {details: true}` }, "embed");
      }
      if (options.details !== undefined && typeof options.details !== "boolean") {
        throw makeError({ name: "OneshotError", message: `oneshot.embed: options.details is ${kindOf(options.details)}, want true or false` }, "embed");
      }
      details = options.details === true;
    }
    const r = await this.#withImages("embed", (img) => [img(image)]);
    return details ? r : r.vector;
  }

  /** Enrolls a person from one or more images (at most 32). */
  enroll(id, images) {
    return this.#withImages("enroll", (img) => [id, Array.isArray(images) ? images.map((m, i) => img(m, `images[${i}]`)) : images]);
  }

  /**
   * Verifies that the best face of an image is the person enrolled as id. An
   * image whose quality has problems gets no verdict (judged false, match
   * false, no distance; quality.reasons say why) unless options has
   * {anyQuality: true}.
   */
  verify(id, image, options) {
    return this.#withImages("verify", (img) => (options === undefined ? [id, img(image)] : [id, img(image), options]));
  }

  /**
   * Ranks the enrolled people by how near they are to the best face of an
   * image; like verify, no verdict on an image of poor quality unless
   * {anyQuality: true}.
   */
  identify(image, options) {
    return this.#withImages("identify", (img) => (options === undefined ? [img(image)] : [img(image), options]));
  }

  /** Forgets the person enrolled as id. */
  remove(id) {
    return this.#call("remove", [id]);
  }

  /** The ids enrolled, sorted. */
  people() {
    return this.#call("people", []);
  }

  /** Saves the gallery (everyone enrolled, with their face crops) as bytes. */
  exportGallery() {
    return this.#call("exportGallery", []);
  }

  /** Replaces the enrolled people with a saved gallery's. */
  async importGallery(bytes) {
    return this.#call("importGallery", [await toBytes(bytes)]);
  }

  /** The model file the engine runs. */
  exportModel() {
    return this.#call("exportModel", []);
  }

  /**
   * Replaces the model and re-embeds everyone enrolled, all or nothing. A
   * model over the engine's limits (size, multiply-adds per crop, crop) is
   * refused before it runs, and so is one whose threshold lies outside the
   * calibrated range unless options is {trustThreshold: true}. The answer's
   * thresholdSource is "imported": the threshold in use is the file's.
   */
  async importModel(bytes, options) {
    const b = await toBytes(bytes);
    const info = await this.#call("importModel", options === undefined ? [b] : [b, options]);
    if (this.info) this.info = { ...this.info, model: info };
    return info;
  }

  /**
   * Switches to another model: "compact", "accurate" (MODELS) or a model
   * file's URL. The worker downloads it (onProgress receives {stage:
   * "model", loaded, total, fraction} as the bytes arrive, then {stage:
   * "switch"} while everyone enrolled is re-embedded), and swaps it in as
   * importModel does, all or nothing: until then every other call is
   * answered with the current model. Resolves to the new ModelInfo.
   */
  async useModel(model, options) {
    const o = options === undefined || options === null ? {} : options;
    if (typeof o !== "object" || Array.isArray(o)) {
      throw makeError({ name: "OneshotError", message: `oneshot.useModel: options is ${kindOf(o)}, want an object such as {onProgress}` }, "useModel");
    }
    const url = modelURLOf(model, pageBase(), "useModel");
    const onProgress = typeof o.onProgress === "function" ? o.onProgress : undefined;
    const importOptions = o.trustThreshold === undefined ? undefined : { trustThreshold: o.trustThreshold };
    const info = await this._send("useModel", { method: "useModel", url, options: importOptions }, [], onProgress);
    if (this.info) this.info = { ...this.info, model: info };
    return info;
  }

  /**
   * Asks the worker what it runs now: {model, people, enrollAgain}
   * (enrollAgain: the people the model cannot verify until they enroll
   * again, their kept face crops not showing the view it reads). Updates
   * engine.info.
   */
  async refreshInfo() {
    const info = await this.#call("info", []);
    this.info = info;
    return info;
  }

  /** Goes back to the model the engine loaded (the shipped one), re-embedding everyone enrolled. */
  async resetModel() {
    const info = await this.#call("resetModel", []);
    if (this.info) this.info = { ...this.info, model: info };
    return info;
  }

  /**
   * Fine-tunes the embedder in the worker on labelled captures
   * ({captures: [{image, label}, …]}) or explicit triplets ({triplets:
   * [{anchor, positive, negative}, …]}), with the options mode ("head",
   * the default, or "full"), objective ("triplet", the default: the triplet
   * loss; or "siamese": a binary head on pairs of same and different
   * people, trained with the network), epochs, margin and lr.
   * onProgress(p) receives {epoch, epochs, step, steps, loss, active} after
   * every step; an AbortSignal as signal cancels the run (the promise then
   * rejects with an AbortError and the previous model stays). Resolves to
   * {before, after, kept, reason, objective, triplets, pairs, heldOut,
   * seconds, mode, model, reembedded}: the new weights are kept only when
   * the result on held-out triplets did not get worse, whichever the
   * objective.
   */
  fineTune(options) {
    const o = options && typeof options === "object" ? options : null;
    const signal = o ? o.signal : undefined;
    const onProgress = o && typeof o.onProgress === "function" ? o.onProgress : undefined;
    if (signal && signal.aborted) {
      return Promise.reject(makeError({ name: "AbortError", message: "oneshot.fineTune: cancelled before it started; the previous model is kept" }, "fineTune"));
    }
    const transfer = [];
    let args;
    try {
      if (!o) {
        args = options === undefined ? [] : [options];
      } else {
        const { signal: _s, onProgress: _p, captures, triplets, ...rest } = o;
        const img = (m, what) => this.#image(m, transfer, "fineTune", what);
        const copy = { ...rest };
        if (Array.isArray(captures)) {
          copy.captures = captures.map((c, i) => (c && typeof c === "object" ? { ...c, image: img(c.image, `options.captures[${i}].image`) } : c));
        } else if (captures !== undefined) copy.captures = captures;
        if (Array.isArray(triplets)) {
          copy.triplets = triplets.map((t, i) =>
            t && typeof t === "object"
              ? {
                  anchor: img(t.anchor, `options.triplets[${i}].anchor`),
                  positive: img(t.positive, `options.triplets[${i}].positive`),
                  negative: img(t.negative, `options.triplets[${i}].negative`),
                }
              : t,
          );
        } else if (triplets !== undefined) copy.triplets = triplets;
        args = [copy];
      }
    } catch (err) {
      return Promise.reject(err);
    }
    let id = 0;
    const abort = () => {
      if (id) this.#worker.postMessage({ id, type: "cancel" });
    };
    if (signal) signal.addEventListener("abort", abort, { once: true });
    const p = this._send("call", { method: "fineTune", args }, transfer, onProgress, (sent) => {
      id = sent;
    });
    return p.then(
      (r) => {
        if (signal) signal.removeEventListener("abort", abort);
        if (r && r.kept && r.model && this.info) this.info = { ...this.info, model: r.model };
        return r;
      },
      (err) => {
        if (signal) signal.removeEventListener("abort", abort);
        if (signal && signal.aborted) err.name = "AbortError";
        throw err;
      },
    );
  }

  /**
   * Starts a liveness challenge for the person enrolled as id: a random
   * order of moves (look at the camera, turn left, turn right, look at the
   * camera) that a photograph held up to the camera cannot follow. Resolves
   * to a Challenge: show challenge.state.prompt, then pass camera frames,
   * in order, to challenge.next(frame) until its state is done; passed is
   * the verdict (live and match), reasons say why not. Options: threshold
   * (a number or "strict", as for verify), moveTimeoutMs (per move, default
   * 6000), turn (how far the nose must move, default 0.12). It reads the
   * head's turns with pigo's nose and mouth cascades, which Oneshot.load
   * loaded.
   */
  async challenge(id, options) {
    const r = await this.#call("challengeStart", options === undefined ? [id] : [id, options]);
    return new Challenge(this, r.challenge, r.state);
  }

  /** @internal One frame of a challenge. */
  _challengeNext(n, image, ms) {
    return this.#withImages("challengeNext", (img) => (ms === undefined ? [n, img(image)] : [n, img(image), ms]));
  }

  /** @internal Ends a challenge in the module. */
  _challengeEnd(n) {
    return this.#call("challengeEnd", [n]);
  }

  /** Stops the worker; pending and later calls reject. */
  terminate() {
    this.#fail("the engine was terminated", true);
    this.#worker.terminate();
  }
}

/**
 * A liveness challenge in progress (Engine.challenge). state is the latest
 * answer: {done, live, match, passed, move, prompt, step, moves, progress,
 * yaw, hint, reasons, judged, distance, threshold, face, timings}.
 */
export class Challenge {
  #engine;
  #n;
  #ended = false;

  constructor(engine, n, state) {
    this.#engine = engine;
    this.#n = n;
    this.state = state;
  }

  /**
   * Looks at the next camera frame (ImageData or {data, width, height})
   * and resolves to the new state. ms is when the frame was taken, in
   * milliseconds on any clock that does not go back (default: when the
   * module receives it). Once done, the state no longer changes and the
   * challenge is ended in the module.
   */
  async next(frame, ms) {
    if (this.#ended) return this.state;
    const st = await this.#engine._challengeNext(this.#n, frame, ms);
    this.state = st;
    if (st.done) await this.end();
    return st;
  }

  /** Ends the challenge in the module (it keeps a few at most anyway). */
  async end() {
    if (this.#ended) return;
    this.#ended = true;
    try {
      await this.#engine._challengeEnd(this.#n);
    } catch {
      // the engine is gone; nothing is kept
    }
  }
}

// toBytes accepts a Blob (a file from an <input>) as well as the byte
// arrays the module takes.
async function toBytes(b) {
  if (typeof Blob !== "undefined" && b instanceof Blob) return new Uint8Array(await b.arrayBuffer());
  return b;
}

/**
 * Loads Oneshot: starts the worker, downloads and compiles the module,
 * downloads the model and the face detector's cascades, and resolves to an
 * Engine. URLs default to the files beside this module; options.model
 * chooses the model: "compact" (the default), "accurate" or a URL.
 * onProgress receives {stage, loaded, total, fraction} for each download
 * ("wasm", "model", "facefinder", "puploc", and "lp93" and "lp84", the
 * nose and mouth cascades in cascade/lps/) and then {stage: "init"}.
 */
async function load(options = {}) {
  const opts = options || {};
  const base = pageBase();
  const config = {
    wasmURL: resolveURL(opts.wasmURL ?? new URL("oneshot.wasm", here), base),
    wasmExecURL: resolveURL(opts.wasmExecURL ?? new URL("wasm_exec.js", here), base),
    modelURL: "",
    cascadeURL: resolveURL(opts.cascadeURL ?? new URL("cascade/", here), base),
  };
  if (opts.modelURL !== undefined && opts.model !== undefined) {
    throw makeError({ name: "OneshotError", message: "oneshot.load: both model and modelURL were given: pass one" }, "load");
  }
  config.modelURL = opts.modelURL !== undefined ? resolveURL(opts.modelURL, base) : modelURLOf(opts.model ?? "compact", base, "load");
  if (!config.cascadeURL.endsWith("/")) config.cascadeURL += "/";
  const workerURL = resolveURL(opts.workerURL ?? new URL("worker.js", here), base);
  let worker;
  try {
    worker = new Worker(workerURL);
  } catch (err) {
    throw makeError({ name: "OneshotError", message: `cannot start the Oneshot worker from ${workerURL}: ${err.message}` });
  }
  const engine = new Engine(worker, opts.transferPixels !== false);
  try {
    const r = await engine._send("load", { config }, [], opts.onProgress);
    engine.version = r.version;
    engine.info = r.info;
  } catch (err) {
    engine.terminate();
    throw makeError({ name: err.name, message: `Oneshot could not load: ${err.message}` });
  }
  return engine;
}

/** The entry point: Oneshot.load(options) → Promise<Engine>. */
export const Oneshot = Object.freeze({ load, VERSION, MODELS });
export default Oneshot;
