// Tests of threshold.js under Node's test runner (`make test-js`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { thresholdRange, checkThreshold } from "./threshold.js";

const shipped = { threshold: 1.11, strictThreshold: 1.02, calibrated: true };

test("the slider stops at the model's default threshold, far below 3.95", () => {
  const r = thresholdRange(shipped);
  assert.deepEqual(r, { min: 0.05, max: 1.11, step: 0.01 });
  assert.ok(r.max < 3.95);
  // A default off the 0.01 grid: the grid goes through it, so the slider's
  // last value is the default, not 0.01 below it.
  const off = thresholdRange({ threshold: 1.1299 });
  assert.equal(off.max, 1.1299);
  assert.ok(Math.abs(off.min - 0.0599) < 1e-9, `min ${off.min}`);
  const top = off.min + Math.round((off.max - off.min) / off.step) * off.step;
  assert.ok(Math.abs(top - 1.1299) < 1e-9, `the slider's last value ${top}`);
  assert.equal(thresholdRange({ threshold: 0.03 }).min, 0.03);
  assert.equal(thresholdRange({ threshold: 0.6 }).max, 0.6);
  assert.equal(thresholdRange(null).max, 1);
});

test("a saved threshold more lenient than the model gives way to its default, and says so", () => {
  assert.deepEqual(checkThreshold(3.95, shipped).value, null);
  assert.match(checkThreshold(3.95, shipped).note, /3\.95 is more lenient than this model's calibrated range \(at most 1\.11\)/);
  assert.deepEqual(checkThreshold(1.0, shipped), { value: 1.0, note: "" });
  assert.deepEqual(checkThreshold(1.11, shipped), { value: 1.11, note: "" });
  assert.deepEqual(checkThreshold("strict", shipped), { value: "strict", note: "" });
  assert.deepEqual(checkThreshold(null, shipped), { value: null, note: "" });
  assert.equal(checkThreshold(NaN, shipped).value, null);
  assert.equal(checkThreshold(-1, shipped).value, null);
  // A model with a lower default makes an earlier choice too lenient.
  assert.equal(checkThreshold(1.0, { threshold: 0.9 }).value, null);
});
