// Tests of verdicts.js under Node's test runner (`make test-js`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Decider, frameVerdict } from "./verdicts.js";

const good = { ok: true, problems: [], reasons: [] };
const dark = { ok: false, problems: ["tooDark"], reasons: ["too dark"] };
const verify = (match, extra = {}) => ({ id: "ada", match, distance: match ? 0.5 : 1.5, threshold: 1.11, quality: good, ...extra });
const identify = (id, extra = {}) => ({ id: id || "", unknown: !id, threshold: 1.11, candidates: [], quality: good, ...extra });

test("one frame never decides; three agreeing frames do", () => {
  const d = new Decider();
  assert.deepEqual(d.judge("verify", verify(true), 0), { status: "gathering", count: 1, of: 3 });
  assert.equal(d.judge("verify", verify(true), 10).status, "gathering");
  const r = d.judge("verify", verify(true), 20);
  assert.equal(r.status, "decided");
  assert.deepEqual([r.decision.outcome, r.decision.success, r.decision.frames, r.waitMs], ["match", true, 3, 0]);
  // The next verdict needs three new frames.
  assert.equal(d.judge("verify", verify(true), 30).status, "gathering");
});

test("a match on a frame of bad quality is no verdict (today's engine answers match: true there)", () => {
  const d = new Decider();
  assert.equal(frameVerdict("verify", verify(true, { quality: dark })), null);
  for (let i = 0; i < 10; i++) {
    const r = d.judge("verify", verify(true, { quality: dark }), i);
    assert.equal(r.status, "waiting");
    assert.deepEqual(r.quality.reasons, ["too dark"]);
  }
});

test("a result with no verdict (the engine declined on a bad frame) waits with the reasons", () => {
  const d = new Decider();
  const none = { id: "ada", threshold: 1.11, quality: dark, face: null };
  assert.equal(frameVerdict("verify", none), null);
  assert.equal(frameVerdict("verify", { ...none, quality: good }), null, "a verdict was read from a result without match");
  assert.equal(frameVerdict("verify", { ...verify(false), judged: false }), null, "a verdict was read from a result the engine did not judge");
  assert.equal(frameVerdict("identify", { candidates: [], quality: dark }), null);
  assert.equal(frameVerdict("identify", { candidates: [], id: "", quality: good }), null);
  assert.deepEqual(d.judge("verify", none, 0), { status: "waiting", quality: dark });
  assert.deepEqual(d.judge("identify", null, 0), { status: "waiting", quality: null });
});

test("a disagreeing frame, a frame with no verdict, or another threshold starts the count again", () => {
  const d = new Decider();
  d.judge("verify", verify(true), 0);
  d.judge("verify", verify(true), 1);
  assert.equal(d.judge("verify", verify(false), 2).count, 1);
  d.judge("verify", verify(false), 3);
  assert.equal(d.judge("verify", verify(false, { quality: dark }), 4).status, "waiting");
  assert.equal(d.judge("verify", verify(false), 5).count, 1);
  assert.equal(d.judge("verify", verify(false, { threshold: 0.9 }), 6).count, 1);
  assert.equal(d.judge("verify", verify(false, { threshold: 0.9, id: "bob" }), 7).count, 1);
  d.reset();
  assert.equal(d.judge("identify", identify("ada"), 8).count, 1);
  assert.equal(d.judge("identify", identify("bob"), 9).count, 1);
  d.judge("identify", identify("bob"), 10);
  assert.equal(d.judge("identify", identify("bob"), 11).decision.outcome, "id:bob");
});

test("after three failed decisions attempts slow down, doubling to a limit; a match ends it", () => {
  const d = new Decider();
  const waits = [];
  let now = 0;
  for (let i = 0; i < 9; i++) {
    let r;
    for (let k = 0; k < 3; k++) r = d.judge("verify", verify(false), now++);
    waits.push(r.waitMs);
    assert.equal(d.waitMs(now - 1), r.waitMs);
    now += r.waitMs;
  }
  assert.deepEqual(waits, [0, 0, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  assert.equal(d.failures, 9);
  d.reset(); // stopping and starting again does not make attempts faster
  assert.equal(d.failures, 9);
  for (let k = 0; k < 3; k++) d.judge("verify", verify(true), now++);
  assert.equal(d.failures, 0);
  let r;
  for (let k = 0; k < 3; k++) r = d.judge("identify", identify(""), now++);
  assert.deepEqual([r.decision.outcome, r.waitMs, d.failures], ["unknown", 0, 1]);
});
