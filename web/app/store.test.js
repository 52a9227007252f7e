// Tests of store.js under Node's test runner (`make test-js`). Node has no
// IndexedDB: openStore must refuse clearly, and storage errors must read as
// what to do.
import { test } from "node:test";
import assert from "node:assert/strict";
import { openStore, storageError } from "./store.js";

test("without IndexedDB, openStore says so", async () => {
  await assert.rejects(openStore(), /no IndexedDB/);
});

test("a full disk reads as what to do", () => {
  const full = Object.assign(new Error("quota"), { name: "QuotaExceededError" });
  assert.match(storageError(full).message, /storage is full/);
  assert.match(storageError(new Error("disk on fire")).message, /^Saving failed: disk on fire$/);
  assert.equal(storageError(null).message, "Saving failed: the browser gave no reason");
});
