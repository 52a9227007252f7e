// Tests of liveness.js under Node's test runner (`make test-js`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ringLength, ringOffset, promptFor, verdictFor } from "./liveness.js";

const running = { done: false, move: "left", prompt: "Slowly turn your head to your left", step: 1, moves: ["center", "left", "right", "center"], progress: 0.3 };

test("the ring fills with progress and never beyond", () => {
  const L = ringLength(10);
  assert.equal(ringOffset(0, 10), L);
  assert.equal(ringOffset(1, 10), 0);
  assert.ok(Math.abs(ringOffset(0.25, 10) - 0.75 * L) < 1e-9);
  assert.equal(ringOffset(2, 10), 0);
  assert.equal(ringOffset(-1, 10), L);
  assert.equal(ringOffset(NaN, 10), L);
});

test("the prompt says the move and the step, for the eye and the ear", () => {
  const p = promptFor(running);
  assert.equal(p.prompt, "Slowly turn your head to your left");
  assert.equal(p.arrow, "←");
  assert.equal(p.spoken, "Step 2 of 4: Slowly turn your head to your left.");
  // The spoken text does not change with progress within a move.
  assert.equal(promptFor({ ...running, progress: 0.4, yaw: 0.05 }).spoken, p.spoken);
  assert.equal(promptFor({ ...running, move: "right" }).arrow, "→");
  assert.deepEqual(promptFor(null), { prompt: "", arrow: "", spoken: "" });
});

test("a verdict passes only when live and matched, and says why not", () => {
  assert.deepEqual(verdictFor(running), { kind: "", text: "" });
  const pass = verdictFor({ done: true, passed: true, live: true, match: true, id: "ada", reasons: [] });
  assert.equal(pass.kind, "pass");
  assert.match(pass.text, /ada/);
  const photo = verdictFor({ done: true, passed: false, live: false, match: false, id: "ada", reasons: ["not live: no turn of the head to its left within 6s"] });
  assert.equal(photo.kind, "fail");
  assert.match(photo.text, /not shown to be a live face.*turn of the head/);
  const other = verdictFor({ done: true, passed: false, live: true, match: false, id: "ada", reasons: ["the face does not match the enrolled person"] });
  assert.equal(other.kind, "fail");
  assert.match(other.text, /does not match/);
  assert.equal(promptFor({ done: true, passed: false, live: false, reasons: [] }).prompt, "Not passed (not shown to be a live face): not passed.");
});
