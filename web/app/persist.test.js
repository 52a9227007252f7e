// Tests of persist.js under Node's test runner (`make test-js`): the page's
// save and restore with an engine that keeps people and a model as the
// real one does (all or nothing, refusing files it cannot read), on the
// in-memory IndexedDB of fakeidb.test.js. Each fault the page meets is
// injected (a value that cannot be restored, a full disk, a second tab, a
// takeover during a save, a reload in the middle of a save), and each test
// checks that nobody enrolled is lost.
import { test } from "node:test";
import assert from "node:assert/strict";
import { openStore } from "./store.js";
import { restoreState, Saver, askPersistence, saveErrorMessage, encodeSettings, decodeSettings, partWords, PERSIST_EXPLANATION } from "./persist.js";
import { encodeCaptures, makeCapture } from "./captures.js";
import { Backend, fakeIndexedDB, quotaError } from "./fakeidb.test.js";

const te = new TextEncoder();
const td = new TextDecoder();

// FakeEngine keeps enrolled people and a model the way the engine does:
// exportGallery/importGallery round-trip, and a file it cannot read is
// refused with nothing changed.
class FakeEngine {
  people = [];
  model = "shipped";
  gate = null; // a promise exportGallery waits for (a slow export)
  atGate = null; // called when exportGallery starts waiting

  async enroll(id) {
    this.people = [...this.people.filter((p) => p !== id), id].sort();
  }
  async remove(id) {
    this.people = this.people.filter((p) => p !== id);
  }
  async exportGallery() {
    const bytes = te.encode(`GALLERY:${this.people.join(",")}`); // read before waiting, as the engine copies at the call
    if (this.gate) {
      this.atGate?.();
      await this.gate;
    }
    return bytes;
  }
  async importGallery(b) {
    const s = td.decode(b);
    if (!s.startsWith("GALLERY:")) throw new Error("oneshot.importGallery: not a gallery file");
    this.people = s.slice(8) ? s.slice(8).split(",") : [];
  }
  async exportModel() {
    return te.encode(`MODEL:${this.model}`);
  }
  async importModel(b) {
    const s = td.decode(b);
    if (!s.startsWith("MODEL:")) throw new Error("oneshot.importModel: model file is version 3, this build reads 1–2; update Oneshot");
    this.model = s.slice(6);
  }
}

// Page is the demo page's saving and restoring, as main.js wires it: a
// store, an engine, the restore, and a Saver whose sources are the engine
// and the page's captures and settings.
class Page {
  static async open(backend) {
    const p = new Page();
    p.idb = fakeIndexedDB(backend);
    p.store = await openStore({ indexedDB: p.idb });
    p.engine = new FakeEngine();
    p.restored = await restoreState({ store: p.store, engine: p.engine });
    p.captures = p.restored.captures;
    p.settings = p.restored.settings;
    p.saver = new Saver(p.store, {
      gallery: () => p.engine.exportGallery(),
      model: () => p.engine.exportModel(),
      captures: () => encodeCaptures(p.captures),
      settings: () => encodeSettings(p.settings),
    });
    return p;
  }
  async enroll(id) {
    await this.engine.enroll(id);
    this.captures = [...this.captures.filter((c) => c.label !== id), makeCapture(id, frame(64, 48), { x: 20, y: 10, width: 20, height: 20 })];
    return this.saver.save({ captures: true, gallery: true });
  }
  // lostLock is what the page does when another tab takes the storage over.
  lostLock() {
    this.store.revoke("Oneshot is now in use in another tab");
  }
}

function frame(w, h) {
  return { data: new Uint8ClampedArray(w * h * 4).fill(7), width: w, height: h };
}

// legacyBackend is storage as version 1 of the page left it: plaintext
// values under keys of the store "kv".
function legacyBackend(values) {
  const b = new Backend();
  b.dbs.set("oneshot", { version: 1, stores: new Map([["kv", new Map(Object.entries(values))]]) });
  return b;
}

test("a model that cannot be restored does not stop the rest, and a later enroll loses nobody (the bug report's steps)", async () => {
  // Version 1 left a gallery of two people and a model this build cannot read.
  const engine = new FakeEngine();
  engine.people = ["ada", "bob"];
  const backend = legacyBackend({ gallery: await engine.exportGallery(), model: new Uint8Array([1, 2, 3]) });
  const page = await Page.open(backend);
  assert.deepEqual(page.restored.failures.map((f) => f.name), ["model"]);
  assert.match(page.restored.failures[0].message, /version 3/);
  assert.deepEqual(page.engine.people, ["ada", "bob"], "the gallery was not restored after the model failed");
  const r = await page.enroll("carl");
  assert.deepEqual(r.skipped, []);
  const again = await Page.open(backend);
  assert.deepEqual(again.engine.people, ["ada", "bob", "carl"]);
  // The unreadable model is still stored, untouched, and still reported.
  assert.deepEqual(again.restored.failures.map((f) => f.name), ["model"]);
  assert.deepEqual(again.store.held, ["model"]);
  await again.saver.save({ model: true }); // a kept fine-tuned model would go here: held, so skipped
  const loaded = await (await openStore({ indexedDB: fakeIndexedDB(backend) })).load();
  assert.deepEqual([...loaded.parts.get("model")], [1, 2, 3]);
});

test("a gallery that cannot be restored is never overwritten until it is discarded", async () => {
  const backend = new Backend();
  const first = await Page.open(backend);
  await first.enroll("ada");
  // Damage it as a newer build's format would look to this one.
  await first.store.save({ gallery: te.encode("GALLERY-v9:ada,bob,many more") });
  const page = await Page.open(backend);
  assert.deepEqual(page.restored.failures.map((f) => f.name), ["gallery"]);
  assert.equal(partWords("gallery"), "the enrolled people");
  const r = await page.enroll("carl");
  assert.deepEqual([r.saved, r.skipped], [["captures"], ["gallery"]]);
  const stored = await (await openStore({ indexedDB: fakeIndexedDB(backend) })).load();
  assert.equal(td.decode(stored.parts.get("gallery")), "GALLERY-v9:ada,bob,many more");
  // Discarding lets the next save write the gallery the page has.
  await page.store.discard("gallery");
  await page.saver.save({ gallery: true });
  assert.deepEqual((await Page.open(backend)).engine.people, ["carl"]);
});

test("captures or settings that cannot be read fail on their own", async () => {
  const backend = new Backend();
  const first = await Page.open(backend);
  await first.enroll("ada");
  await first.store.save({ captures: te.encode("not captures"), settings: te.encode("{\"threshold\": \"lenient\"}") });
  const page = await Page.open(backend);
  assert.deepEqual(page.restored.failures.map((f) => f.name).sort(), ["captures", "settings"]);
  assert.deepEqual(page.engine.people, ["ada"]);
  assert.deepEqual(page.settings, { threshold: null, wholeFrames: false, model: "compact" });
});

test("a full disk: the save fails with what to do, and the last saved state is kept", async () => {
  const backend = new Backend();
  const page = await Page.open(backend);
  await page.enroll("ada");
  backend.failCommit = () => quotaError();
  let err;
  await page.enroll("bob").catch((e) => (err = e));
  assert.equal(err && err.name, "QuotaExceededError");
  const msg = saveErrorMessage(err, { usage: 49_500_000, quota: 50_000_000 });
  assert.match(msg, /storage for Oneshot is full \(50 MB of 50 MB used\)/);
  assert.match(msg, /What was saved before is kept/);
  assert.match(msg, /clear the fine-tuning captures or remove people/);
  assert.deepEqual((await Page.open(backend)).engine.people, ["ada"]);
  backend.failCommit = null;
  await page.saver.save({ gallery: true, captures: true });
  assert.deepEqual((await Page.open(backend)).engine.people, ["ada", "bob"]);
});

test("a reload in the middle of a save: the state before it comes back, whole", async () => {
  const backend = new Backend();
  const page = await Page.open(backend);
  await page.enroll("ada");
  await page.enroll("bob");
  let n = 0;
  const crashed = new Promise((resolve) => {
    backend.onRequest = (store, op) => {
      if (store === "snapshots" && op === "put" && ++n === 1) {
        page.idb.crash();
        resolve();
      }
    };
  });
  page.enroll("carl").catch(() => {}); // the crashed page never hears back
  await crashed;
  backend.onRequest = null;
  const reloaded = await Page.open(backend);
  assert.deepEqual(reloaded.restored.failures, []);
  assert.deepEqual(reloaded.engine.people, ["ada", "bob"]);
  assert.deepEqual(reloaded.captures.map((c) => c.label), ["ada", "bob"]);
});

test("two tabs without a lock: the tab that read an older state cannot drop the other's people", async () => {
  const backend = new Backend();
  await (await Page.open(backend)).enroll("ada");
  const a = await Page.open(backend);
  const b = await Page.open(backend);
  await a.enroll("bob");
  await assert.rejects(b.enroll("carl"), (e) => e.name === "ConflictError" && /Reload this page/.test(e.message));
  assert.deepEqual((await Page.open(backend)).engine.people, ["ada", "bob"]);
});

test("another tab takes over while a save waits for the export: the old tab writes nothing", async () => {
  const backend = new Backend();
  const a = await Page.open(backend);
  await a.enroll("ada");
  let release;
  a.engine.gate = new Promise((r) => (release = r));
  const waiting = new Promise((r) => (a.engine.atGate = r));
  const pending = a.enroll("bob");
  await waiting; // the save waits in exportGallery
  a.lostLock(); // the other tab took the lock
  const b = await Page.open(backend);
  assert.deepEqual(b.engine.people, ["ada"]);
  release();
  await assert.rejects(pending, (e) => e.name === "RevokedError" && /another tab/.test(e.message));
  await b.enroll("carl");
  assert.deepEqual((await Page.open(backend)).engine.people, ["ada", "carl"]);
});

test("saves asked for while one runs are merged, and read their sources when they run", async () => {
  const backend = new Backend();
  const page = await Page.open(backend);
  const seen = [];
  let release, started;
  const gate = new Promise((r) => (release = r));
  const running = new Promise((r) => (started = r));
  const saver = new Saver(page.store, {
    gallery: async () => {
      seen.push(`gallery ${page.engine.people}`);
      if (seen.length === 1) {
        started();
        await gate; // the first save is slow
      }
      return te.encode(`GALLERY:${page.engine.people.join(",")}`);
    },
    settings: () => (seen.push("settings"), encodeSettings(page.settings)),
  });
  await page.engine.enroll("ada");
  const first = saver.save({ gallery: true });
  await running; // it runs, waiting in its source
  const second = saver.save({ settings: true });
  const third = saver.save({ gallery: true });
  assert.equal(second, third, "saves waiting together were not merged");
  await page.engine.enroll("bob"); // after they were asked for, before they run
  release();
  const [r1, r2] = await Promise.all([first, second]);
  assert.deepEqual([r1.generation, r2.generation], [1, 2]);
  assert.deepEqual(seen, ["gallery ada", "settings", "gallery ada,bob"]);
  assert.deepEqual((await Page.open(backend)).engine.people, ["ada", "bob"]);
  await assert.rejects(saver.save({ nothing: true }), /no part nothing/);
});

test("version 1's plaintext values move into encrypted storage, captures cut to the face", async () => {
  const engine = new FakeEngine();
  engine.people = ["ada"];
  const wholeFrame = { data: new Uint8ClampedArray(640 * 480 * 4).fill(9), width: 640, height: 480 };
  const backend = legacyBackend({
    gallery: await engine.exportGallery(),
    model: te.encode("MODEL:fine-tuned"),
    captures: [{ label: "ada", image: wholeFrame, box: { x: 260, y: 180, width: 120, height: 120 } }, { label: 7 }],
    threshold: 0.9,
    stray: "something else",
  });
  const page = await Page.open(backend);
  assert.equal(page.restored.migrated, true);
  assert.equal(page.restored.model, true);
  assert.equal(page.engine.model, "fine-tuned");
  assert.deepEqual(page.engine.people, ["ada"]);
  assert.deepEqual(page.captures.map((c) => [c.label, c.image.width, c.image.height]), [["ada", 240, 240]]);
  assert.deepEqual(page.settings, { threshold: 0.9, wholeFrames: false, model: "compact" });
  // The value it could not convert stays, reported, until discarded; the rest is gone from the plaintext store.
  assert.deepEqual(page.restored.failures.map((f) => f.name), ["legacy:stray"]);
  assert.deepEqual([...backend.dump("oneshot", "kv").keys()], ["stray"]);
  for (const rec of backend.dump("oneshot", "parts").values()) assert.ok(!td.decode(rec.data).includes("GALLERY"), "plaintext in storage");
  const again = await Page.open(backend);
  assert.deepEqual(again.engine.people, ["ada"]);
  assert.deepEqual(again.restored.failures.map((f) => f.name), ["legacy:stray"]);
  await again.store.discard("legacy:stray");
  assert.equal(backend.dump("oneshot", "kv").size, 0);
  assert.deepEqual((await Page.open(backend)).restored.failures, []);
});

test("settings round-trip and refuse what is not a threshold", () => {
  assert.deepEqual(decodeSettings(encodeSettings({ threshold: "strict", wholeFrames: true })), { threshold: "strict", wholeFrames: true, model: "compact" });
  assert.deepEqual(decodeSettings(encodeSettings({ threshold: null, model: "accurate" })), { threshold: null, wholeFrames: false, model: "accurate" });
  // Settings saved before the model choice existed.
  assert.deepEqual(decodeSettings(te.encode("{\"threshold\": 0.5}")), { threshold: 0.5, wholeFrames: false, model: "compact" });
  assert.throws(() => decodeSettings(te.encode("{\"threshold\": null, \"model\": \"huge\"}")), /neither "compact" nor "accurate"/);
  assert.throws(() => decodeSettings(te.encode("{\"threshold\": \"x\"}")), /not a number/);
  assert.throws(() => decodeSettings(new Uint8Array([0xff])), /damaged/);
});

test("the browser is asked to keep the storage, and its answer explained", async () => {
  assert.match(PERSIST_EXPLANATION, /may delete the enrolled people/);
  const asked = [];
  const storage = (persisted, grant) => ({
    persisted: async () => persisted,
    persist: async () => (asked.push(1), grant),
  });
  assert.equal((await askPersistence(storage(true, false))).state, "persisted");
  assert.equal(asked.length, 0, "asked again although the storage was kept already");
  const granted = await askPersistence(storage(false, true));
  assert.deepEqual([granted.state, asked.length], ["granted", 1]);
  assert.match(granted.message, /will not clear/);
  const denied = await askPersistence(storage(false, false));
  assert.equal(denied.state, "denied");
  assert.match(denied.message, /export the gallery/);
  assert.equal((await askPersistence({ persist: () => Promise.reject(new Error("no")) })).state, "denied");
  assert.equal((await askPersistence(undefined)).state, "unsupported");
});
