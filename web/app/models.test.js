// Tests of models.js under Node's test runner (`make test-js`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { MODELS, DEFAULT_MODEL, isModelName, probeModels, describeModel } from "./models.js";

// fakeFetch answers HEAD requests from a table of file name → size (a
// missing name is a 404; "throw" a network error).
function fakeFetch(files) {
  return async (url, init) => {
    assert.equal(init.method, "HEAD");
    const name = new URL(url).pathname.split("/").pop();
    if (files[name] === "throw") throw new TypeError("network error");
    const ok = Object.hasOwn(files, name);
    return { ok, headers: { get: (h) => (ok && h === "Content-Length" && files[name] != null ? String(files[name]) : null) } };
  };
}

test("the page's models are the files Oneshot.MODELS names", () => {
  assert.equal(MODELS.compact.file, "model.oneshot");
  assert.equal(MODELS.accurate.file, "accurate.oneshot");
  assert.ok(isModelName(DEFAULT_MODEL));
  assert.ok(!isModelName("toString") && !isModelName("") && !isModelName(undefined));
});

test("a model whose file is missing is offered as not built", async () => {
  const got = await probeModels(fakeFetch({ "model.oneshot": 1360000 }), "http://x/app/");
  const by = Object.fromEntries(got.map((m) => [m.name, m]));
  assert.deepEqual([by.compact.available, by.compact.bytes], [true, 1360000]);
  assert.deepEqual([by.accurate.available, by.accurate.bytes], [false, null]);
  assert.match(describeModel(by.accurate), /Not in this build/);
  assert.match(describeModel(by.compact), /^Compact: 1\.4 MB, about 13 ms a face, accuracy LFW 0\.932/);
});

test("a failed request or a missing length never rejects", async () => {
  const got = await probeModels(fakeFetch({ "model.oneshot": null, "accurate.oneshot": "throw" }), "http://x/");
  const by = Object.fromEntries(got.map((m) => [m.name, m]));
  assert.deepEqual([by.compact.available, by.compact.bytes], [true, null]);
  assert.equal(by.accurate.available, false);
  assert.match(describeModel(by.compact), /size unknown/);
});
