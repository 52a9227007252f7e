// Tests of the demo page's markup (index.html) under Node's test runner
// (`make test-js`): its Content-Security-Policy and the threshold slider.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const html = readFileSync(new URL("../index.html", import.meta.url), "utf8");

function policy() {
  const m = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]*)">/);
  assert.ok(m, "index.html has no Content-Security-Policy");
  const out = {};
  for (const d of m[1].split(";")) {
    const [name, ...values] = d.trim().split(/\s+/);
    if (name) out[name] = values;
  }
  return out;
}

test("the page's CSP keeps scripts, styles, workers and forms to what the page needs", () => {
  const p = policy();
  assert.deepEqual(p["default-src"], ["'self'"]);
  assert.deepEqual(p["connect-src"], ["'self'"]);
  assert.deepEqual(p["worker-src"], ["'self'"], "workers from blob: URLs are allowed, which the page never makes");
  assert.deepEqual(p["style-src"], ["'self'"], "inline styles are allowed, which the page never uses");
  assert.deepEqual(p["form-action"], ["'none'"], "a form may submit somewhere");
  assert.deepEqual(p["object-src"], ["'none'"]);
  assert.deepEqual(p["base-uri"], ["'none'"]);
  for (const [name, values] of Object.entries(p)) {
    assert.ok(!values.includes("'unsafe-inline'") && !values.includes("'unsafe-eval'"), `${name} allows ${values.join(" ")}`);
  }
  assert.ok(!/\sstyle=/.test(html), "index.html has an inline style attribute, which the policy refuses");
  assert.ok(!/<style/.test(html), "index.html has a <style> element, which the policy refuses");
});

test("the threshold slider does not reach the lenient end of the scale", () => {
  const m = html.match(/<input id="threshold" [^>]*max="([\d.]+)"/);
  assert.ok(m, "no threshold slider with a max");
  assert.ok(Number(m[1]) <= 1.5, `the slider reaches ${m[1]}`);
});
