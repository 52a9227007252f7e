// Tests of captures.js under Node's test runner (`make test-js`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { cropFace, makeCapture, encodeCaptures, decodeCaptures, MARGIN } from "./captures.js";

// frame is a w×h RGBA image whose pixel (x, y) is [x, y, x ^ y, 255] (mod 256).
function frame(w, h) {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x & 255, y & 255, (x ^ y) & 255, 255], (y * w + x) * 4);
  return { data, width: w, height: h };
}
const px = (img, x, y) => [...img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4)];

test("a capture keeps the face with a margin, not the whole frame", () => {
  const f = frame(640, 480);
  const box = { x: 250, y: 150, width: 120, height: 120 };
  const c = makeCapture("ada", f, box);
  assert.equal(c.whole, false);
  assert.equal(MARGIN, 0.5);
  assert.deepEqual([c.image.width, c.image.height], [240, 240]);
  assert.deepEqual(c.box, { x: 60, y: 60, width: 120, height: 120 });
  // The crop's pixels are the frame's around the face.
  assert.deepEqual(px(c.image, 0, 0), px(f, 190, 90));
  assert.deepEqual(px(c.image, 239, 239), px(f, 429, 329));
  assert.deepEqual(px(c.image, c.box.x, c.box.y), px(f, box.x, box.y));
  assert.ok(c.image.width * c.image.height < (640 * 480) / 5);
});

test("a face near the edge is clipped to the frame", () => {
  const f = frame(640, 480);
  const c = cropFace(f, { x: -10, y: 400, width: 100, height: 100 });
  assert.deepEqual([c.image.width, c.image.height], [140, 130]);
  assert.deepEqual(c.box, { x: -10, y: 50, width: 100, height: 100 });
  assert.deepEqual(px(c.image, 0, 0), px(f, 0, 350));
});

test("whole frames are kept only when asked, and without a box", () => {
  const f = frame(64, 48);
  const whole = makeCapture("ada", f, { x: 10, y: 10, width: 20, height: 20 }, { whole: true });
  assert.deepEqual([whole.image.width, whole.image.height, whole.whole], [64, 48, true]);
  assert.notEqual(whole.image.data, f.data, "the capture shares the frame's pixels");
  const nobox = makeCapture("ada", f, null);
  assert.deepEqual([nobox.image.width, nobox.image.height, nobox.box], [64, 48, null]);
});

test("captures survive encoding, and damaged bytes are refused", () => {
  const f = frame(320, 240);
  const list = [makeCapture("ada", f, { x: 100, y: 80, width: 60, height: 60 }), makeCapture("bob ✓", f, { x: 10, y: 10, width: 40, height: 40 }, { whole: true })];
  const bytes = encodeCaptures(list);
  const back = decodeCaptures(bytes);
  assert.equal(back.length, 2);
  for (let i = 0; i < 2; i++) {
    assert.equal(back[i].label, list[i].label);
    assert.deepEqual(back[i].box, list[i].box);
    assert.equal(back[i].whole, list[i].whole);
    assert.deepEqual([back[i].image.width, back[i].image.height], [list[i].image.width, list[i].image.height]);
    assert.deepEqual(back[i].image.data, list[i].image.data);
  }
  assert.deepEqual(decodeCaptures(encodeCaptures([])), []);
  assert.throws(() => decodeCaptures(bytes.slice(0, bytes.length - 1)), /cut short/);
  assert.throws(() => decodeCaptures(new Uint8Array([...bytes, 0])), /left over/);
  assert.throws(() => decodeCaptures(new Uint8Array([1, 2, 3])), /not in the format/);
  const bent = bytes.slice();
  bent[12] = 0x7b; // inside the JSON header
  assert.throws(() => decodeCaptures(bent), /damaged/);
});
