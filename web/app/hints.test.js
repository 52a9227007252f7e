// Tests of hints.js under Node's test runner (`make test-js`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { hintFor, hintForError } from "./hints.js";

test("a good frame, and no verdict at all", () => {
  assert.equal(hintFor({ ok: true, problems: [], reasons: [] }), "Good frame.");
  assert.equal(hintFor(null), "");
});

test("the first problem decides the hint", () => {
  const q = { ok: false, problems: ["tooDark", "tooBlurry"], reasons: ["too dark", "too blurry: hold still"] };
  assert.equal(hintFor(q), "More light, please: the face is too dark.");
});

test("a code the page does not know falls back to the engine's words", () => {
  assert.equal(hintFor({ ok: false, problems: ["newProblem"], reasons: ["something new"] }), "something new");
  assert.equal(hintFor({ ok: false, problems: [], reasons: ["a", "b"] }), "Low quality: a, b.");
  assert.equal(hintFor({ ok: false }), "Low quality frame.");
});

test("errors: no face is ordinary, anything else is shown as it is", () => {
  assert.equal(hintForError(new Error("oneshot.detect: no face found")), "No face found: look at the camera.");
  assert.equal(hintForError(new Error("oneshot.verify: unknown id")), "oneshot.verify: unknown id");
  assert.equal(hintForError("plain string"), "plain string");
});
