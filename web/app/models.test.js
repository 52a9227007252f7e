// Tests of models.js under Node's test runner (`make test-js`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { MODELS, DEFAULT_MODEL, isModelName, probeModels, describeModel } from "./models.js";

// fakeFetch serves models.json from a value (undefined: 404; "throw": a
// network error; a string: a body that is not JSON).
function fakeFetch(manifest) {
  return async (url) => {
    assert.equal(new URL(url).pathname.split("/").pop(), "models.json");
    if (manifest === "throw") throw new TypeError("network error");
    return {
      ok: manifest !== undefined,
      json: async () => (typeof manifest === "string" ? JSON.parse(manifest) : manifest),
    };
  };
}

test("the page's models are the files Oneshot.MODELS names", () => {
  assert.equal(MODELS.compact.file, "model.oneshot");
  assert.equal(MODELS.accurate.file, "accurate.oneshot");
  assert.ok(isModelName(DEFAULT_MODEL));
  assert.ok(!isModelName("toString") && !isModelName("") && !isModelName(undefined));
});

test("a model the build did not list is offered as not built", async () => {
  const got = await probeModels(fakeFetch({ compact: { file: "model.oneshot", bytes: 1360000 } }), "http://x/app/");
  const by = Object.fromEntries(got.map((m) => [m.name, m]));
  assert.deepEqual([by.compact.available, by.compact.bytes], [true, 1360000]);
  assert.deepEqual([by.accurate.available, by.accurate.bytes], [false, null]);
  assert.match(describeModel(by.accurate), /Not in this build/);
  const { lfw, fiw, msPerFace } = MODELS.compact;
  assert.equal(describeModel(by.compact).split(" — ")[0], `Compact: 1.4 MB, about ${msPerFace} ms a face, accuracy LFW ${lfw.toFixed(3)}, family photographs ${fiw.toFixed(3)}`);
});

test("both models listed, both offered with their sizes", async () => {
  const got = await probeModels(fakeFetch({ compact: { bytes: 1360000 }, accurate: { bytes: 11334809 } }), "http://x/");
  assert.deepEqual(got.map((m) => [m.name, m.available, m.bytes]), [["compact", true, 1360000], ["accurate", true, 11334809]]);
  assert.match(describeModel(got[1]), /^Accurate \(dlib ResNet\): 11\.3 MB, about 120 ms a face/);
});

test("no models.json, a failed request or a damaged one: the compact model alone, and no rejection", async () => {
  for (const manifest of [undefined, "throw", "{not json", null]) {
    const got = await probeModels(fakeFetch(manifest), "http://x/");
    assert.deepEqual(got.map((m) => [m.name, m.available]), [["compact", true], ["accurate", false]], `manifest ${manifest}`);
    assert.match(describeModel(got[0]), /size unknown/);
  }
});
