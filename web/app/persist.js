// What the page saves and restores, between the engine and the store
// (store.js): the parts, the order they are restored in, what a failed part
// means, the saves one at a time, and asking the browser to keep the data.
//
// Parts: "model" (a kept fine-tuned or imported model file), "gallery" (the
// engine's exportGallery), "captures" (captures.js's encoding), "settings"
// (JSON: the threshold and whether captures keep whole frames).

import { encodeCaptures, decodeCaptures, makeCapture } from "./captures.js";
import { isQuotaError, LEGACY_PREFIX } from "./store.js";

/** What each part is, in words. */
export const PART_WORDS = {
  model: "the fine-tuned model",
  gallery: "the enrolled people",
  captures: "the fine-tuning captures",
  settings: "the settings",
  snapshot: "the saved state",
};

/** Words for a part's name. */
export function partWords(name) {
  if (name.startsWith(LEGACY_PREFIX)) return `the value "${name.slice(LEGACY_PREFIX.length)}" saved by an older version`;
  return PART_WORDS[name] || `the saved value "${name}"`;
}

const te = new TextEncoder();
const td = new TextDecoder("utf-8", { fatal: true });

/** The default settings. */
export const DEFAULT_SETTINGS = Object.freeze({ threshold: null, wholeFrames: false, model: "compact" });

/** The settings as bytes. */
export function encodeSettings(s) {
  return te.encode(JSON.stringify({ threshold: s.threshold ?? null, wholeFrames: !!s.wholeFrames, model: s.model ?? "compact" }));
}

/** Reads settings stored by encodeSettings; rejects what it cannot read. */
export function decodeSettings(bytes) {
  let v;
  try {
    v = JSON.parse(td.decode(bytes));
  } catch {
    throw new Error("the settings are damaged");
  }
  if (!v || typeof v !== "object") throw new Error("the settings are damaged");
  const t = v.threshold;
  if (!(t === null || t === "strict" || (typeof t === "number" && Number.isFinite(t)))) throw new Error("the saved threshold is not a number");
  // The model chosen in Settings: "compact" unless it says otherwise (settings
  // saved before the choice existed).
  const model = v.model ?? "compact";
  if (model !== "compact" && model !== "accurate") throw new Error(`the saved model choice ${JSON.stringify(model)} is neither "compact" nor "accurate"`);
  return { threshold: t, wholeFrames: !!v.wholeFrames, model };
}

function isBytes(v) {
  return v instanceof ArrayBuffer || ArrayBuffer.isView(v);
}

function toBytes(v) {
  return v instanceof Uint8Array ? v : v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

// legacyParts converts version 1's plaintext values into parts. It returns
// {parts, keys, failures}: keys are the values converted (deleted once the
// parts are written), failures the ones that cannot be (left as they are).
function legacyParts(legacy) {
  const parts = {};
  const keys = [];
  const failures = [];
  const settings = { ...DEFAULT_SETTINGS };
  for (const [k, v] of Object.entries(legacy)) {
    if ((k === "model" || k === "gallery") && isBytes(v)) {
      parts[k] = toBytes(v);
      keys.push(k);
    } else if (k === "captures" && Array.isArray(v)) {
      const list = v.filter((c) => c && typeof c.label === "string" && c.image && isBytes(c.image.data) && c.image.width > 0 && c.image.height > 0);
      parts.captures = encodeCaptures(list.map((c) => makeCapture(c.label, c.image, c.box)));
      keys.push(k);
    } else if (k === "threshold" && (v === "strict" || (typeof v === "number" && Number.isFinite(v)))) {
      settings.threshold = v;
      parts.settings = encodeSettings(settings);
      keys.push(k);
    } else {
      failures.push({ name: LEGACY_PREFIX + k, message: "it was saved by an older version of Oneshot in a form this page cannot read" });
    }
  }
  return { parts, keys, failures };
}

/**
 * Brings the engine to the saved state and reads the page's own parts.
 * Each part is restored on its own: the model first (the gallery is then
 * re-embedded if it was made with another), then the gallery, the captures
 * and the settings. A part that cannot be read or restored is held in the
 * store, so no later save overwrites it, and listed in failures
 * ([{name, message}]). Version 1's plaintext values are moved into the
 * encrypted store first.
 *
 * Resolves to {generation, model, captures, settings, failures, migrated}:
 * model is true when a saved model was restored; captures and settings are
 * the page's (the defaults when none were saved or they failed).
 */
export async function restoreState({ store, engine }) {
  const loaded = await store.load();
  const failures = [...loaded.failures];
  let parts = loaded.parts;
  let migrated = false;
  if (loaded.legacy) {
    const conv = legacyParts(loaded.legacy);
    failures.push(...conv.failures);
    if (loaded.generation === 0) {
      try {
        await store.migrate(conv.parts, conv.keys);
      } catch (err) {
        failures.push({ name: "snapshot", message: `the data saved by an older version of Oneshot could not be moved to encrypted storage: ${err.message}` });
      }
      parts = new Map(Object.entries(conv.parts));
      migrated = true;
    }
  }
  const out = { generation: store.generation, model: false, captures: [], settings: { ...DEFAULT_SETTINGS }, failures, migrated };
  if (parts.has("model")) {
    try {
      await engine.importModel(parts.get("model"));
      out.model = true;
    } catch (err) {
      failures.push({ name: "model", message: err.message });
    }
  }
  if (parts.has("gallery")) {
    try {
      await engine.importGallery(parts.get("gallery"));
    } catch (err) {
      failures.push({ name: "gallery", message: err.message });
    }
  }
  if (parts.has("captures")) {
    try {
      out.captures = decodeCaptures(parts.get("captures"));
    } catch (err) {
      failures.push({ name: "captures", message: err.message });
    }
  }
  if (parts.has("settings")) {
    try {
      out.settings = decodeSettings(parts.get("settings"));
    } catch (err) {
      failures.push({ name: "settings", message: err.message });
    }
  }
  for (const f of failures) store.hold(f.name, f.message);
  return out;
}

/**
 * Saver writes the page's parts to a store, one save at a time. Each value
 * is read from its source when its save runs, not when it was asked for,
 * so a save always writes what the engine holds then; saves asked for
 * while one runs are merged into the next.
 */
export class Saver {
  #store;
  #sources;
  #queued = null;
  #tail = Promise.resolve();

  /**
   * store: a Store; sources: {name: () => bytes or a promise of bytes},
   * one per part the page saves.
   */
  constructor(store, sources) {
    this.#store = store;
    this.#sources = sources;
  }

  /**
   * Saves parts: what maps names to true (write the source's current
   * value) or null (remove the part). Resolves to the store's
   * {generation, saved, skipped}; rejects with the store's error.
   */
  save(what) {
    if (this.#queued) {
      Object.assign(this.#queued.what, what);
      return this.#queued.promise;
    }
    const q = { what: { ...what } };
    q.promise = this.#tail.then(() => {
      this.#queued = null;
      return this.#write(q.what);
    });
    this.#queued = q;
    this.#tail = q.promise.catch(() => {});
    return q.promise;
  }

  async #write(what) {
    const changes = {};
    for (const [name, v] of Object.entries(what)) {
      if (v === null) changes[name] = null;
      else if (this.#sources[name]) changes[name] = await this.#sources[name]();
      else throw new Error(`there is no part ${name}`);
    }
    return this.#store.save(changes);
  }
}

/**
 * Asks the browser to keep the page's storage (navigator.storage.persist):
 * without that it may clear it when the disk runs low. Resolves to {state,
 * message}: state is "persisted" (it was already), "granted", "denied" or
 * "unsupported"; message says what it means for the person.
 */
export async function askPersistence(storage = globalThis.navigator?.storage) {
  if (!storage || typeof storage.persist !== "function") {
    return { state: "unsupported", message: "This browser cannot be asked to keep Oneshot's storage, and may clear it when space runs low: export the gallery to keep a copy." };
  }
  try {
    if (typeof storage.persisted === "function" && (await storage.persisted())) {
      return { state: "persisted", message: "This browser keeps Oneshot's storage: it will not clear the enrolled people to make room." };
    }
    if (await storage.persist()) {
      return { state: "granted", message: "This browser now keeps Oneshot's storage: it will not clear the enrolled people to make room." };
    }
  } catch {
    // treated as a refusal
  }
  return { state: "denied", message: "This browser did not agree to keep Oneshot's storage, so it may clear the enrolled people when space runs low (bookmarking or installing the page can change that): export the gallery to keep a copy." };
}

/** The explanation shown while the browser is asked to keep the storage. */
export const PERSIST_EXPLANATION = "Asking this browser to keep Oneshot's storage: otherwise it may delete the enrolled people when the disk runs low.";

/**
 * Words for a failed save, saying what to do. For a full disk, estimate
 * (navigator.storage.estimate's answer, if known) adds how much is used.
 */
export function saveErrorMessage(err, estimate) {
  if (isQuotaError(err)) {
    const mb = (n) => `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;
    const used = estimate && estimate.quota > 0 ? ` (${mb(estimate.usage || 0)} of ${mb(estimate.quota)} used)` : "";
    return `Not saved: this browser's storage for Oneshot is full${used}. What was saved before is kept. To make room, clear the fine-tuning captures or remove people you no longer need, or free disk space (or delete other sites' data in the browser's settings), then try again.`;
  }
  return err && err.message ? err.message : `Saving failed: ${err}`;
}
