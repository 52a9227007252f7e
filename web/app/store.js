// Persistence in IndexedDB that keeps the last good state.
//
// What the page keeps (the model, the gallery, the captures, the settings)
// is a set of named parts, each bytes, each encrypted at rest (seal.js).
// Every save is one read-write transaction that writes a new version of the
// whole set: the changed parts as new records, a snapshot naming the part
// records of that version, and the head (the current version and the one
// before). The version before stays whole; older ones are deleted in the
// same transaction. A crash or a reload in the middle of a save leaves the
// last committed version as it was, since IndexedDB commits a transaction
// all or nothing.
//
// A save also checks, in its transaction, that the current version is still
// the one this page read or last wrote: if another tab wrote since, the save
// writes nothing and rejects with a ConflictError. A part that could not be
// restored can be held: later saves leave it as it is stored until the
// person discards it. A store revoked (another tab took the storage over)
// refuses every later save, however long its export took.
//
// Database "oneshot", version 2:
//   meta       "head" → {gen, previous}; "key" → {key: CryptoKey}
//   snapshots  gen → {gen, time, parts: {name: part key}}
//   parts      part key ("gallery@7") → {iv, data} (AES-GCM)
//   kv         version 1's plaintext values, read once to move them over

import { newStorageKey, encryptValue, decryptValue } from "./seal.js";

const DB = "oneshot";
const VERSION = 2;
const LEGACY = "kv";
const META = "meta";
const SNAPSHOTS = "snapshots";
const PARTS = "parts";
const ALL = [META, SNAPSHOTS, PARTS, LEGACY];
/** The prefix of the name of a version 1 value that could not be moved over. */
export const LEGACY_PREFIX = "legacy:";

function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(storageError(tx.error));
  });
}

const label = (name) => `oneshot part ${name}`;

function named(name, message) {
  return Object.assign(new Error(message), { name });
}

/**
 * Opens the store; rejects when IndexedDB or WebCrypto is unavailable (the
 * page then keeps nothing rather than keep it unencrypted). indexedDB and
 * crypto default to the browser's (tests pass their own).
 */
export async function openStore({ indexedDB = globalThis.indexedDB, crypto = globalThis.crypto, timeoutMs = 5000 } = {}) {
  if (typeof indexedDB === "undefined" || !indexedDB) throw new Error("this browser has no IndexedDB");
  if (!crypto || !crypto.subtle) throw new Error("this browser has no WebCrypto here (open the page over https or on localhost), and Oneshot stores nothing unencrypted");
  const open = indexedDB.open(DB, VERSION);
  open.onupgradeneeded = () => {
    const db = open.result;
    for (const s of ALL) if (!db.objectStoreNames.contains(s)) db.createObjectStore(s);
  };
  let timer;
  const db = await Promise.race([
    req(open),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error("IndexedDB did not open: an older Oneshot page in another tab may hold it; close that tab and reload")), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
  // Let a newer version of the page upgrade the database: this page's
  // saves then fail with a message instead of blocking it.
  db.onversionchange = () => db.close();
  return new Store(db, crypto);
}

/** Store is the page's handle on its saved state; make it with openStore. */
export class Store {
  #db;
  #crypto;
  #key = null;
  #keyIsNew = false;
  #gen = 0;
  #held = new Map();
  #revoked = null;

  /** Wraps an open database; use openStore. */
  constructor(db, crypto) {
    this.#db = db;
    this.#crypto = crypto;
  }

  /** The version this page last read or wrote (0: nothing saved yet). */
  get generation() {
    return this.#gen;
  }

  /** The names of the parts held: later saves leave them as stored. */
  get held() {
    return [...this.#held.keys()];
  }

  /**
   * Reads the current version. Resolves to {generation, time, parts,
   * failures, legacy}: parts maps each readable part's name to its bytes,
   * failures lists [{name, message}] the parts that could not be read, and
   * legacy holds version 1's plaintext values ({key: value}) while any are
   * left, else null.
   */
  async load() {
    const tx = this.#db.transaction(ALL, "readonly");
    const finished = done(tx);
    const meta = tx.objectStore(META);
    const [head, keyRecord] = await Promise.all([req(meta.get("head")), req(meta.get("key"))]);
    let snapshot = null;
    const records = {};
    if (head) {
      snapshot = await req(tx.objectStore(SNAPSHOTS).get(head.gen));
      for (const [name, pk] of Object.entries(snapshot ? snapshot.parts : {})) {
        records[name] = await req(tx.objectStore(PARTS).get(pk));
      }
    }
    let legacy = null;
    const legacyKeys = await req(tx.objectStore(LEGACY).getAllKeys());
    if (legacyKeys.length) {
      legacy = {};
      for (const k of legacyKeys) legacy[k] = await req(tx.objectStore(LEGACY).get(k));
    }
    await finished;

    this.#gen = head ? head.gen : 0;
    this.#key = keyRecord && keyRecord.key ? keyRecord.key : null;
    const parts = new Map();
    const failures = [];
    if (head && !snapshot) failures.push({ name: "snapshot", message: `the saved version ${head.gen} is missing from storage` });
    for (const [name, record] of Object.entries(records)) {
      if (!record) {
        failures.push({ name, message: "it is missing from storage" });
      } else if (!this.#key) {
        failures.push({ name, message: "the key it was encrypted with is no longer in this browser" });
      } else {
        try {
          parts.set(name, await decryptValue(this.#key, label(name), record, this.#crypto));
        } catch (err) {
          failures.push({ name, message: err.message });
        }
      }
    }
    return { generation: this.#gen, time: snapshot ? snapshot.time : null, parts, failures, legacy };
  }

  /**
   * Holds a part that could not be restored: saves leave it as it is
   * stored until discard(name).
   */
  hold(name, reason = "") {
    this.#held.set(name, reason);
  }

  /**
   * Writes a new version: changes maps part names to bytes, or to null to
   * remove the part. Held parts are left as stored. Resolves to
   * {generation, saved, skipped} (skipped: the held parts not written);
   * rejects with a ConflictError when another tab wrote since this page
   * read, a RevokedError once revoked, and a storage error (name
   * QuotaExceededError when the disk or the quota is full) with nothing
   * written.
   */
  async save(changes) {
    const write = {};
    const skipped = [];
    for (const [name, value] of Object.entries(changes)) {
      if (this.#held.has(name)) skipped.push(name);
      else write[name] = value;
    }
    const r = await this.#write(write, []);
    return { ...r, skipped };
  }

  /**
   * Removes held parts from storage (a new version without them) and stops
   * holding them. A name "legacy:KEY" is version 1's value KEY.
   */
  async discard(names) {
    const list = Array.isArray(names) ? names : [names];
    const legacy = list.filter((n) => n.startsWith(LEGACY_PREFIX)).map((n) => n.slice(LEGACY_PREFIX.length));
    const parts = list.filter((n) => !n.startsWith(LEGACY_PREFIX) && n !== "snapshot");
    const r = await this.#write(Object.fromEntries(parts.map((n) => [n, null])), legacy);
    for (const n of list) this.#held.delete(n);
    return r;
  }

  /**
   * Writes version 1's values, converted into parts, as the first version,
   * and deletes those plaintext values (legacyKeys), in one transaction.
   */
  async migrate(parts, legacyKeys) {
    return this.#write(parts, legacyKeys);
  }

  /** Stops this page from saving: every later save rejects with a RevokedError saying why. */
  revoke(reason) {
    this.#revoked = reason || "this page no longer saves";
  }

  /**
   * Deletes everything stored, every version and the key (what may be left
   * on disk can no longer be decrypted).
   */
  async clear() {
    this.#checkRevoked();
    const tx = this.#db.transaction(ALL, "readwrite");
    const finished = done(tx);
    for (const s of ALL) tx.objectStore(s).clear();
    await finished;
    this.#gen = 0;
    this.#key = null;
    this.#keyIsNew = false;
    this.#held.clear();
  }

  #checkRevoked() {
    if (this.#revoked) throw named("RevokedError", `Not saved: ${this.#revoked}.`);
  }

  async #keyFor() {
    if (!this.#key) {
      this.#key = await newStorageKey(this.#crypto);
      this.#keyIsNew = true;
    }
    return this.#key;
  }

  async #write(changes, legacyKeys) {
    this.#checkRevoked();
    const key = await this.#keyFor();
    const sealed = {};
    for (const [name, value] of Object.entries(changes)) {
      if (value !== null) sealed[name] = await encryptValue(key, label(name), value, this.#crypto);
    }
    // Checked again after every await: a page that lost the storage while
    // it was encrypting (or exporting, before) writes nothing.
    this.#checkRevoked();
    const tx = this.#db.transaction(ALL, "readwrite");
    const finished = done(tx);
    let next;
    try {
      const meta = tx.objectStore(META);
      const snaps = tx.objectStore(SNAPSHOTS);
      const partStore = tx.objectStore(PARTS);
      const head = await req(meta.get("head"));
      const gen = head ? head.gen : 0;
      if (gen !== this.#gen) {
        throw named("ConflictError", "Not saved: another tab of Oneshot saved since this page loaded, and saving here would overwrite it. Reload this page to see what is saved.");
      }
      const current = head ? await req(snaps.get(gen)) : null;
      const previous = head && head.previous != null ? await req(snaps.get(head.previous)) : null;
      next = gen + 1;
      const parts = { ...(current ? current.parts : {}) };
      for (const [name, value] of Object.entries(changes)) {
        if (value === null) {
          delete parts[name];
        } else {
          const pk = `${name}@${next}`;
          partStore.put(sealed[name], pk);
          parts[name] = pk;
        }
      }
      snaps.put({ gen: next, time: Date.now(), parts }, next);
      meta.put({ gen: next, previous: head ? gen : null }, "head");
      if (this.#keyIsNew) meta.put({ key }, "key");
      // The version before this one stays whole; the one before that goes,
      // with the part records nobody else names.
      if (previous) {
        snaps.delete(previous.gen);
        const keep = new Set([...Object.values(current ? current.parts : {}), ...Object.values(parts)]);
        for (const pk of Object.values(previous.parts)) if (!keep.has(pk)) partStore.delete(pk);
      }
      for (const k of legacyKeys) tx.objectStore(LEGACY).delete(k);
    } catch (err) {
      try {
        tx.abort();
      } catch {
        // already finished
      }
      await finished.catch(() => {});
      throw err;
    }
    await finished;
    this.#gen = next;
    this.#keyIsNew = false;
    return { generation: next, saved: Object.keys(changes) };
  }
}

/** Reports whether err is the browser saying the storage is full. */
export function isQuotaError(err) {
  return !!err && (err.name === "QuotaExceededError" || err.code === 22 || err.name === "NS_ERROR_DOM_QUOTA_REACHED");
}

/**
 * Words for a storage failure: an Error whose message says what happened
 * and what to do; a full disk keeps the name QuotaExceededError.
 */
export function storageError(err) {
  if (isQuotaError(err)) {
    return named("QuotaExceededError", "Not saved: the browser's storage for this page is full. What was saved before is kept. Make room (clear the fine-tuning captures, remove people you no longer need, free disk space or delete other sites' data in the browser's settings) and try again.");
  }
  const why = err && err.message ? err.message : err ? String(err) : "the browser gave no reason";
  return named(err && err.name ? err.name : "Error", `Saving failed: ${why}`);
}
