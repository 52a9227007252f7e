// Fine-tuning captures: a labelled picture of a face. The page keeps the
// face with a margin around it, not the whole camera frame, unless the
// person asks for whole frames: a 640×480 frame shows the room behind
// them, the crop about a fifth of its pixels. The engine finds the face in
// the crop again when it fine-tunes (the margin leaves the detector the
// context it needs).
//
// Images here are plain {data, width, height} with RGBA bytes (an ImageData
// is one), so this module runs under Node as well as in the page.

/** The margin kept on each side of the face box, as a fraction of its width. */
export const MARGIN = 0.5;

/**
 * Cuts the face out of image: the box grown by margin × its width on each
 * side, clipped to the image. Returns {image, box}, box in the crop's
 * coordinates. Without a box the whole image is kept.
 */
export function cropFace(image, box, margin = MARGIN) {
  if (!box || !(box.width > 0) || !(box.height > 0)) return { image: copyImage(image), box: null };
  const m = box.width * margin;
  const x0 = clamp(Math.floor(box.x - m), 0, image.width);
  const y0 = clamp(Math.floor(box.y - m), 0, image.height);
  const x1 = clamp(Math.ceil(box.x + box.width + m), 0, image.width);
  const y1 = clamp(Math.ceil(box.y + box.height + m), 0, image.height);
  const w = x1 - x0, h = y1 - y0;
  if (w <= 0 || h <= 0) return { image: copyImage(image), box: null };
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    const from = ((y0 + y) * image.width + x0) * 4;
    data.set(image.data.subarray(from, from + w * 4), y * w * 4);
  }
  return { image: { data, width: w, height: h }, box: { x: box.x - x0, y: box.y - y0, width: box.width, height: box.height } };
}

/**
 * A capture of the face in image (labelled label): the face crop, or the
 * whole image when whole is true.
 */
export function makeCapture(label, image, box, { whole = false } = {}) {
  if (whole) return { label, image: copyImage(image), box: box ? { ...box } : null, whole: true };
  const c = cropFace(image, box);
  return { label, image: c.image, box: c.box, whole: false };
}

function clamp(v, lo, hi) {
  return Math.min(hi, Math.max(lo, v));
}

function copyImage(img) {
  return { data: new Uint8ClampedArray(img.data), width: img.width, height: img.height };
}

// The stored form: "OSCP", format 1, the length of a JSON header (uint32,
// big-endian), the header {captures: [{label, width, height, box, whole}]},
// then every capture's RGBA bytes in order.
const MAGIC = [0x4f, 0x53, 0x43, 0x50];
const te = new TextEncoder();
const td = new TextDecoder("utf-8", { fatal: true });

/** The captures as bytes, for storage. */
export function encodeCaptures(captures) {
  const meta = captures.map((c) => ({ label: c.label, width: c.image.width, height: c.image.height, box: c.box || null, whole: !!c.whole }));
  const head = te.encode(JSON.stringify({ captures: meta }));
  let n = 4 + 1 + 4 + head.length;
  for (const c of captures) n += c.image.width * c.image.height * 4;
  const out = new Uint8Array(n);
  out.set(MAGIC, 0);
  out[4] = 1;
  new DataView(out.buffer).setUint32(5, head.length);
  out.set(head, 9);
  let o = 9 + head.length;
  for (const c of captures) {
    const px = c.image.data;
    if (px.length !== c.image.width * c.image.height * 4) throw new Error(`the capture of ${c.label} has ${px.length} bytes for ${c.image.width}×${c.image.height} pixels`);
    out.set(px, o);
    o += px.length;
  }
  return out;
}

/** Reads captures stored by encodeCaptures; rejects damaged bytes with a reason. */
export function decodeCaptures(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (b.length < 9 || MAGIC.some((x, i) => b[i] !== x)) throw new Error("the captures are not in the format this page stores");
  if (b[4] !== 1) throw new Error(`the captures are format ${b[4]}; this build reads format 1: update Oneshot`);
  const n = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(5);
  if (9 + n > b.length) throw new Error("the captures are cut short");
  let meta;
  try {
    meta = JSON.parse(td.decode(b.subarray(9, 9 + n)));
  } catch {
    throw new Error("the captures' list is damaged");
  }
  if (!meta || !Array.isArray(meta.captures)) throw new Error("the captures' list is damaged");
  let o = 9 + n;
  const out = [];
  for (const m of meta.captures) {
    const ok = m && typeof m.label === "string" && Number.isInteger(m.width) && Number.isInteger(m.height) && m.width > 0 && m.height > 0 && m.width <= 8192 && m.height <= 8192;
    if (!ok) throw new Error("the captures' list is damaged");
    const len = m.width * m.height * 4;
    if (o + len > b.length) throw new Error("the captures are cut short");
    out.push({ label: m.label, image: { data: new Uint8ClampedArray(b.slice(o, o + len).buffer), width: m.width, height: m.height }, box: m.box || null, whole: !!m.whole });
    o += len;
  }
  if (o !== b.length) throw new Error("the captures have bytes left over: damaged");
  return out;
}
