// Tests of store.js under Node's test runner (`make test-js`), on the
// in-memory IndexedDB of fakeidb.test.js: versions, all-or-nothing saves,
// held parts, two tabs, a revoked store, a full disk, encryption at rest.
import { test } from "node:test";
import assert from "node:assert/strict";
import { openStore, storageError, isQuotaError } from "./store.js";
import { decryptValue } from "./seal.js";
import { Backend, fakeIndexedDB, quotaError } from "./fakeidb.test.js";

const te = new TextEncoder();
const td = new TextDecoder();
const text = (b) => td.decode(b);

// page opens the store as a page (a tab, or the page after a reload) would.
async function page(backend) {
  const idb = fakeIndexedDB(backend);
  const store = await openStore({ indexedDB: idb });
  return { idb, store };
}

async function partsOf(store) {
  const r = await store.load();
  return Object.fromEntries([...r.parts].map(([k, v]) => [k, text(v)]));
}

test("without IndexedDB, openStore says so", async () => {
  await assert.rejects(openStore({ indexedDB: null }), /no IndexedDB/);
  await assert.rejects(openStore({ indexedDB: fakeIndexedDB(), crypto: {} }), /no WebCrypto/);
});

test("a full disk reads as what to do", () => {
  const full = storageError(quotaError());
  assert.equal(full.name, "QuotaExceededError");
  assert.match(full.message, /storage for this page is full/);
  assert.match(full.message, /What was saved before is kept/);
  assert.match(full.message, /clear the fine-tuning captures/);
  assert.ok(isQuotaError({ code: 22 }));
  assert.match(storageError(new Error("disk on fire")).message, /^Saving failed: disk on fire$/);
  assert.equal(storageError(null).message, "Saving failed: the browser gave no reason");
});

test("saves and reloads the parts, each save a new version", async () => {
  const backend = new Backend();
  const { store } = await page(backend);
  assert.equal((await store.load()).generation, 0);
  const r = await store.save({ gallery: te.encode("ada"), settings: te.encode("{}") });
  assert.deepEqual([r.generation, r.saved, r.skipped], [1, ["gallery", "settings"], []]);
  await store.save({ gallery: te.encode("ada,bob") });
  const { store: again } = await page(backend);
  assert.deepEqual(await partsOf(again), { gallery: "ada,bob", settings: "{}" });
  assert.equal(again.generation, 2);
  await again.save({ settings: null });
  const { store: third } = await page(backend);
  assert.deepEqual(await partsOf(third), { gallery: "ada,bob" });
});

test("the version before the current one is kept whole; older ones go", async () => {
  const backend = new Backend();
  const { store } = await page(backend);
  await store.load();
  for (const g of ["a", "a,b", "a,b,c", "a,b,c,d"]) await store.save({ gallery: te.encode(g), captures: te.encode(`caps ${g.length}`) });
  await store.save({ settings: te.encode("s") }); // gallery and captures unchanged
  const meta = backend.dump("oneshot", "meta");
  const snaps = backend.dump("oneshot", "snapshots");
  const parts = backend.dump("oneshot", "parts");
  assert.deepEqual(meta.get("head"), { gen: 5, previous: 4 });
  assert.deepEqual([...snaps.keys()].sort(), [4, 5]);
  const named = new Set([...snaps.values()].flatMap((s) => Object.values(s.parts)));
  assert.deepEqual([...parts.keys()].sort(), [...named].sort(), "part records that no kept version names were left behind, or named ones deleted");
  // The previous version reads back as it was saved.
  const key = meta.get("key").key;
  const prev = snaps.get(4).parts;
  assert.equal(text(await decryptValue(key, "oneshot part gallery", parts.get(prev.gallery))), "a,b,c,d");
  assert.equal(prev.settings, undefined);
});

test("stored values are encrypted under a non-extractable key kept in IndexedDB", async () => {
  const backend = new Backend();
  const { store } = await page(backend);
  await store.load();
  await store.save({ gallery: te.encode("template of ada lovelace"), model: te.encode("fine-tuned weights") });
  for (const rec of backend.dump("oneshot", "parts").values()) {
    const plain = text(rec.data);
    assert.ok(!plain.includes("ada") && !plain.includes("weights"), "a stored part holds plaintext");
  }
  const { key } = backend.dump("oneshot", "meta").get("key");
  assert.equal(key.extractable, false);
  assert.deepEqual(key.usages.sort(), ["decrypt", "encrypt"]);
  await assert.rejects(crypto.subtle.exportKey("raw", key));
});

test("a reload in the middle of a save leaves the last saved version, at every point of the save", async () => {
  // Count the requests of one save, then crash the page at each of them.
  const probe = new Backend();
  const first = await page(probe);
  await first.store.load();
  await first.store.save({ gallery: te.encode("ada"), captures: te.encode("ada's frames") });
  await first.store.save({ gallery: te.encode("ada"), captures: te.encode("ada's frames"), settings: te.encode("1") });
  let requests = 0;
  probe.onRequest = () => requests++;
  await first.store.save({ gallery: te.encode("ada,bob"), captures: te.encode("ada's and bob's frames") });
  assert.ok(requests >= 8, `a save made only ${requests} requests`);

  for (let at = 1; at <= requests; at++) {
    const backend = new Backend();
    const tab = await page(backend);
    await tab.store.load();
    await tab.store.save({ gallery: te.encode("ada"), captures: te.encode("ada's frames") });
    await tab.store.save({ gallery: te.encode("ada"), captures: te.encode("ada's frames"), settings: te.encode("1") });
    let n = 0;
    const crashed = new Promise((resolve) => {
      backend.onRequest = () => {
        if (++n === at) {
          tab.idb.crash();
          resolve();
        }
      };
    });
    const saving = tab.store.save({ gallery: te.encode("ada,bob"), captures: te.encode("ada's and bob's frames") });
    saving.catch(() => {}); // the crashed page never hears back
    await crashed; // however long the save took to get there
    backend.onRequest = null;
    const reloaded = await page(backend);
    const r = await reloaded.store.load();
    assert.deepEqual(r.failures, [], `crash at request ${at}: ${JSON.stringify(r.failures)}`);
    assert.equal(r.generation, 2, `crash at request ${at}`);
    assert.deepEqual(await partsOf(reloaded.store), { gallery: "ada", captures: "ada's frames", settings: "1" }, `crash at request ${at}`);
    // The reloaded page saves on top of it, and the version before stays readable.
    await reloaded.store.save({ gallery: te.encode("ada,carl") });
    assert.deepEqual(await partsOf((await page(backend)).store), { gallery: "ada,carl", captures: "ada's frames", settings: "1" });
  }
});

test("a full disk writes nothing, says what to do, and keeps the last version", async () => {
  const backend = new Backend();
  const { store } = await page(backend);
  await store.load();
  await store.save({ gallery: te.encode("ada") });
  backend.failCommit = () => quotaError();
  await assert.rejects(store.save({ gallery: te.encode("ada,bob"), captures: te.encode("many frames") }), (err) => {
    assert.equal(err.name, "QuotaExceededError");
    assert.match(err.message, /full.*What was saved before is kept.*Make room/s);
    return true;
  });
  assert.deepEqual(await partsOf((await page(backend)).store), { gallery: "ada" });
  backend.failCommit = null;
  await store.save({ gallery: te.encode("ada,bob") }); // the same page saves once there is room
  assert.deepEqual(await partsOf((await page(backend)).store), { gallery: "ada,bob" });
});

test("a held part is left as stored by later saves until it is discarded", async () => {
  const backend = new Backend();
  const { store } = await page(backend);
  await store.load();
  await store.save({ model: te.encode("a model this build cannot read"), gallery: te.encode("ada") });
  const tab = (await page(backend)).store;
  await tab.load();
  tab.hold("model", "model file is version 3");
  assert.deepEqual(tab.held, ["model"]);
  const r = await tab.save({ model: te.encode("shipped model"), gallery: te.encode("ada,bob") });
  assert.deepEqual([r.saved, r.skipped], [["gallery"], ["model"]]);
  assert.deepEqual(await partsOf((await page(backend)).store), { model: "a model this build cannot read", gallery: "ada,bob" });
  // Several saves later it is still there (the versions carry it along).
  for (let i = 0; i < 3; i++) await tab.save({ gallery: te.encode(`ada,bob,${i}`) });
  assert.equal((await partsOf((await page(backend)).store)).model, "a model this build cannot read");
  await tab.discard("model");
  assert.deepEqual(tab.held, []);
  assert.deepEqual(await partsOf((await page(backend)).store), { gallery: "ada,bob,2" });
  await tab.save({ model: te.encode("fine-tuned") });
  assert.equal((await partsOf((await page(backend)).store)).model, "fine-tuned");
});

test("a damaged or missing part fails on its own and the others are read", async () => {
  const backend = new Backend();
  const { store } = await page(backend);
  await store.load();
  await store.save({ gallery: te.encode("ada"), captures: te.encode("frames"), settings: te.encode("s") });
  const db = backend.dbs.get("oneshot").stores;
  const snap = db.get("snapshots").get(1);
  db.get("parts").get(snap.parts.gallery).data[0] ^= 1;
  db.get("parts").delete(snap.parts.captures);
  const r = await (await page(backend)).store.load();
  assert.deepEqual([...r.parts.keys()], ["settings"]);
  assert.deepEqual(r.failures.map((f) => f.name).sort(), ["captures", "gallery"]);
  assert.match(r.failures.find((f) => f.name === "gallery").message, /could not be decrypted/);
  assert.match(r.failures.find((f) => f.name === "captures").message, /missing/);
  // Without the key nothing can be read, and it says so.
  db.get("meta").delete("key");
  const r2 = await (await page(backend)).store.load();
  assert.equal(r2.parts.size, 0);
  assert.match(r2.failures[0].message, /key it was encrypted with/);
});

test("a tab that read an older version cannot overwrite a newer one (two tabs without a lock)", async () => {
  const backend = new Backend();
  const setup = (await page(backend)).store;
  await setup.load();
  await setup.save({ gallery: te.encode("ada") });
  const a = (await page(backend)).store;
  const b = (await page(backend)).store;
  await a.load();
  await b.load();
  await a.save({ gallery: te.encode("ada,bob") });
  await assert.rejects(b.save({ gallery: te.encode("ada,carl") }), (err) => {
    assert.equal(err.name, "ConflictError");
    assert.match(err.message, /another tab.*Reload this page/s);
    return true;
  });
  assert.deepEqual(await partsOf((await page(backend)).store), { gallery: "ada,bob" });
  // After reading again, b saves on top of a's version.
  await b.load();
  await b.save({ gallery: te.encode("ada,bob,carl") });
  assert.deepEqual(await partsOf((await page(backend)).store), { gallery: "ada,bob,carl" });
});

test("a store revoked while a save is encrypting writes nothing", async () => {
  const backend = new Backend();
  const { store } = await page(backend);
  await store.load();
  await store.save({ gallery: te.encode("ada") });
  const saving = store.save({ gallery: te.encode("ada,bob") }); // encrypts first, then writes
  store.revoke("Oneshot is now used in another tab");
  await assert.rejects(saving, (err) => err.name === "RevokedError" && /another tab/.test(err.message));
  await assert.rejects(store.save({ gallery: te.encode("x") }), /RevokedError|another tab/);
  assert.deepEqual(await partsOf((await page(backend)).store), { gallery: "ada" });
});

test("clear deletes every version and the key", async () => {
  const backend = new Backend();
  const { store } = await page(backend);
  await store.load();
  await store.save({ gallery: te.encode("ada") });
  await store.save({ gallery: te.encode("ada,bob") });
  const oldKey = backend.dump("oneshot", "meta").get("key").key;
  await store.clear();
  for (const s of ["meta", "snapshots", "parts", "kv"]) assert.equal(backend.dump("oneshot", s).size, 0, s);
  await store.save({ gallery: te.encode("carl") });
  const newKey = backend.dump("oneshot", "meta").get("key").key;
  assert.notEqual(newKey, oldKey);
  assert.deepEqual(await partsOf((await page(backend)).store), { gallery: "carl" });
});

test("the fake commits all or nothing and refuses requests after an await of something else", async () => {
  const idb = fakeIndexedDB();
  const open = idb.open("t", 1);
  open.onupgradeneeded = () => open.result.createObjectStore("s");
  const db = await new Promise((r) => (open.onsuccess = () => r(open.result)));
  const tx = db.transaction(["s"], "readwrite");
  tx.objectStore("s").put(1, "a");
  await new Promise((r) => (tx.oncomplete = r)); // it commits with nothing more to do
  assert.throws(() => tx.objectStore("s").put(2, "b"), { name: "TransactionInactiveError" });
  const tx2 = db.transaction(["s"], "readwrite");
  tx2.objectStore("s").put(3, "c");
  tx2.abort();
  const tx3 = db.transaction(["s"]);
  const keys = tx3.objectStore("s").getAllKeys();
  assert.deepEqual(await new Promise((r) => (keys.onsuccess = () => r(keys.result))), ["a"]);
});
