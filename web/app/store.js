// Persistence in IndexedDB: the gallery, a fine-tuned model and the
// settings, as one key-value store. Every method rejects with an Error
// whose message says what to do; the page keeps working without storage.

const DB = "oneshot";
const STORE = "kv";

function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/** Opens the store; rejects when IndexedDB is unavailable. */
export async function openStore() {
  if (typeof indexedDB === "undefined" || !indexedDB) throw new Error("this browser has no IndexedDB");
  const open = indexedDB.open(DB, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE);
  const db = await Promise.race([
    req(open),
    new Promise((_, reject) => setTimeout(() => reject(new Error("IndexedDB did not open (blocked)")), 5000)),
  ]);
  return new Store(db);
}

export class Store {
  #db;
  constructor(db) { this.#db = db; }

  async get(key) {
    const tx = this.#db.transaction(STORE, "readonly");
    return req(tx.objectStore(STORE).get(key));
  }

  async put(key, value) {
    const tx = this.#db.transaction(STORE, "readwrite");
    tx.objectStore(STORE).put(value, key);
    await done(tx);
  }

  async delete(key) {
    const tx = this.#db.transaction(STORE, "readwrite");
    tx.objectStore(STORE).delete(key);
    await done(tx);
  }

  async clear() {
    const tx = this.#db.transaction(STORE, "readwrite");
    tx.objectStore(STORE).clear();
    await done(tx);
  }
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(storageError(tx.error));
  });
}

/** Words for a storage failure. */
export function storageError(err) {
  if (err && err.name === "QuotaExceededError") return new Error("The browser's storage is full: free some space (or delete other sites' data) to keep enrolled people after a reload.");
  const why = err && err.message ? err.message : err ? String(err) : "the browser gave no reason";
  return new Error(`Saving failed: ${why}`);
}
