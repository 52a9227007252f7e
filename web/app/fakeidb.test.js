// An in-memory IndexedDB for the page's script tests under Node (which has
// none). It holds no tests itself: store.test.js and persist.test.js import
// it, and its name keeps it out of the built page.
//
// It behaves as IndexedDB does where the page's storage depends on it:
// values are structured-cloned in and out; a transaction's writes land all
// together when it commits, or not at all when it aborts; read-write
// transactions run one at a time across every connection (two tabs share
// one Backend); a transaction commits once its requests are answered and a
// task passes without a new one, so awaiting anything but its own requests
// (WebCrypto, say) lets it commit, and a later request throws
// TransactionInactiveError, as in a browser.
//
// Faults a test can inject:
//   - backend.failCommit = (tx) => error | undefined: a commit that fails
//     (QuotaExceededError) aborts its transaction with that error;
//   - backend.onRequest = (store, op, key) => void: called as each request
//     runs, e.g. to crash the page in the middle of a save;
//   - idb.crash(): the page is gone (a reload, a crash): its transactions
//     never commit and nothing it does afterwards reaches the backend. A
//     new fakeIndexedDB(backend) is the reloaded page.

/** Backend is what survives a reload: the databases and their data. */
export class Backend {
  /** name → {version, stores: Map<string, Map<key, value>>} */
  dbs = new Map();
  /** @type {((tx: FakeTransaction) => any) | null} */
  failCommit = null;
  /** @type {((store: string, op: string, key: any) => void) | null} */
  onRequest = null;
  // The read-write queue shared by every connection: transactions run one
  // at a time, in the order they were made.
  #queue = Promise.resolve();

  /** Runs start() when every earlier transaction has finished; start resolves when it finishes. */
  schedule(start) {
    const run = this.#queue.then(() => new Promise((done) => start(done)));
    this.#queue = run;
  }

  /** A copy of what store holds in database name, as a Map (for assertions). */
  dump(name, store) {
    const db = this.dbs.get(name);
    const s = db && db.stores.get(store);
    return new Map(s ? [...s].map(([k, v]) => [k, structuredClone(v)]) : []);
  }
}

const domError = (name, message) => Object.assign(new Error(message), { name });

const DELETED = Symbol("deleted");

class FakeRequest {
  result = undefined;
  error = null;
  onsuccess = null;
  onerror = null;
  readyState = "pending";
}

class FakeObjectStore {
  #tx;
  name;
  constructor(tx, name) {
    this.#tx = tx;
    this.name = name;
  }
  get(key) {
    return this.#tx._request(this.name, "get", key, (view) => structuredClone(view.get(key)));
  }
  getAllKeys() {
    return this.#tx._request(this.name, "getAllKeys", undefined, (view) => view.keys());
  }
  put(value, key) {
    if (this.#tx.mode === "readonly") throw domError("ReadOnlyError", "the transaction is read-only");
    const copy = structuredClone(value); // throws DataCloneError at once, as IndexedDB does
    return this.#tx._request(this.name, "put", key, (view) => {
      view.set(key, copy);
      return key;
    });
  }
  delete(key) {
    if (this.#tx.mode === "readonly") throw domError("ReadOnlyError", "the transaction is read-only");
    return this.#tx._request(this.name, "delete", key, (view) => view.delete(key));
  }
  clear() {
    if (this.#tx.mode === "readonly") throw domError("ReadOnlyError", "the transaction is read-only");
    return this.#tx._request(this.name, "clear", undefined, (view) => view.clear());
  }
}

// A store as one transaction sees it: the committed data under its own
// uncommitted writes.
class View {
  constructor(base, overlay) {
    this.base = base;
    this.overlay = overlay;
  }
  get(key) {
    if (this.overlay.has(key)) {
      const v = this.overlay.get(key);
      return v === DELETED ? undefined : v;
    }
    return this.overlay.cleared ? undefined : this.base.get(key);
  }
  keys() {
    const out = new Set(this.overlay.cleared ? [] : this.base.keys());
    for (const [k, v] of this.overlay) v === DELETED ? out.delete(k) : out.add(k);
    return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
  set(key, v) {
    this.overlay.set(key, v);
  }
  delete(key) {
    this.overlay.set(key, DELETED);
  }
  clear() {
    this.overlay.clear();
    this.overlay.cleared = true;
  }
}

class FakeTransaction {
  oncomplete = null;
  onerror = null;
  onabort = null;
  error = null;
  mode;
  db;
  #conn;
  #names;
  #overlays = new Map();
  #pending = [];
  #state = "waiting"; // waiting | active | done
  #scheduled = false;
  #finish = null;

  constructor(conn, names, mode) {
    this.#conn = conn;
    this.db = conn;
    this.#names = names;
    this.mode = mode;
    for (const n of names) this.#overlays.set(n, Object.assign(new Map(), { cleared: false }));
    conn._factory.live.add(this);
    conn._backend.schedule((finish) => {
      this.#finish = finish;
      if (this.#state === "done" || conn._factory.crashed) {
        finish();
        return;
      }
      this.#state = "active";
      this.#pump();
    });
  }

  objectStore(name) {
    if (!this.#names.includes(name)) throw domError("NotFoundError", `store ${name} is not in this transaction`);
    return new FakeObjectStore(this, name);
  }

  abort() {
    if (this.#state === "done") throw domError("InvalidStateError", "the transaction has finished");
    this.#end(domError("AbortError", "the transaction was aborted"), true);
  }

  _request(store, op, key, fn) {
    if (this.#state === "done") {
      throw domError("TransactionInactiveError", "the transaction has finished (a request was made after it committed)");
    }
    const r = new FakeRequest();
    this.#pending.push({ r, store, op, key, fn });
    if (this.#state === "active") this.#pump();
    return r;
  }

  // _crash loses the transaction with its page: no commit, no events.
  _crash() {
    this.#state = "done";
    this.#pending = [];
    this.#finish?.();
  }

  // #pump answers the pending requests one by one, each in a task of its
  // own. A request made in a success callback (or in the promise
  // continuations it runs) is answered next; once a task passes with none
  // pending, the transaction commits.
  #pump() {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setTimeout(() => this.#step(), 0);
  }

  #step() {
    this.#scheduled = false;
    if (this.#state !== "active" || this.#conn._factory.crashed) return;
    const next = this.#pending.shift();
    if (!next) {
      this.#commit();
      return;
    }
    const { r, store, op, key, fn } = next;
    try {
      this.#conn._backend.onRequest?.(store, op, key);
      if (this.#conn._factory.crashed) return;
      r.result = fn(new View(this.#conn._data(store), this.#overlays.get(store)));
      r.readyState = "done";
    } catch (err) {
      r.error = err;
      r.readyState = "done";
      r.onerror?.({ target: r });
      this.#end(err, true);
      return;
    }
    r.onsuccess?.({ target: r });
    this.#pump();
  }

  #commit() {
    const err = this.mode === "readonly" ? undefined : this.#conn._backend.failCommit?.(this);
    if (err) {
      this.#end(err, true);
      return;
    }
    for (const [name, overlay] of this.#overlays) {
      const base = this.#conn._data(name);
      if (overlay.cleared) base.clear();
      for (const [k, v] of overlay) v === DELETED ? base.delete(k) : base.set(k, v);
    }
    this.#end(null, false);
  }

  #end(err, aborted) {
    this.#state = "done";
    this.#pending = [];
    this.error = err;
    this.#conn._factory.live.delete(this);
    setTimeout(() => {
      if (aborted) {
        if (err && err.name !== "AbortError") this.onerror?.({ target: this });
        this.onabort?.({ target: this });
      } else {
        this.oncomplete?.({ target: this });
      }
      this.#finish?.();
    }, 0);
  }
}

class FakeConnection {
  _backend;
  _factory;
  name;
  constructor(factory, backend, name) {
    this._factory = factory;
    this._backend = backend;
    this.name = name;
  }
  get version() {
    return this._backend.dbs.get(this.name).version;
  }
  get objectStoreNames() {
    const names = [...this._backend.dbs.get(this.name).stores.keys()];
    return { contains: (n) => names.includes(n), length: names.length, item: (i) => names[i] };
  }
  createObjectStore(name) {
    const stores = this._backend.dbs.get(this.name).stores;
    if (stores.has(name)) throw domError("ConstraintError", `store ${name} exists`);
    stores.set(name, new Map());
    return {};
  }
  transaction(names, mode = "readonly") {
    if (this._factory.crashed) throw domError("InvalidStateError", "the connection is closed");
    const list = Array.isArray(names) ? names : [names];
    for (const n of list) if (!this.objectStoreNames.contains(n)) throw domError("NotFoundError", `no store ${n}`);
    return new FakeTransaction(this, list, mode);
  }
  close() {}
  _data(store) {
    return this._backend.dbs.get(this.name).stores.get(store);
  }
}

/**
 * A page's IndexedDB over backend: open(name, version) as indexedDB.open
 * (upgradeneeded, then success), and crash() to lose the page.
 */
export function fakeIndexedDB(backend = new Backend()) {
  const factory = {
    crashed: false,
    backend,
    live: new Set(),
    crash() {
      factory.crashed = true;
      for (const tx of factory.live) tx._crash();
      factory.live.clear();
    },
    open(name, version) {
      const req = new FakeRequest();
      req.onupgradeneeded = null;
      req.onblocked = null;
      setTimeout(() => {
        if (factory.crashed) return;
        let db = backend.dbs.get(name);
        const old = db ? db.version : 0;
        const want = version ?? Math.max(old, 1);
        if (want < old) {
          req.error = domError("VersionError", `database ${name} is version ${old}, asked for ${want}`);
          req.onerror?.({ target: req });
          return;
        }
        if (!db) {
          db = { version: 0, stores: new Map() };
          backend.dbs.set(name, db);
        }
        const conn = new FakeConnection(factory, backend, name);
        req.result = conn;
        if (want > old) {
          db.version = want;
          req.onupgradeneeded?.({ target: req, oldVersion: old, newVersion: want });
        }
        req.readyState = "done";
        req.onsuccess?.({ target: req });
      }, 0);
      return req;
    },
  };
  return factory;
}

/** A QuotaExceededError as browsers raise it. */
export function quotaError() {
  return domError("QuotaExceededError", "The quota has been exceeded.");
}
