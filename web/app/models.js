// The models the page offers, and what each costs. A build ships the compact
// model always and the accurate one when it could fetch its weights (`make
// web` says when it could not), so the page asks the server which files are
// there before it offers them. The figures are measured (MODEL_CARD.md):
// accuracy is 10-fold verification accuracy on people no model was trained
// or calibrated on, speed one face's forward pass in headless Chromium on 2
// cores.

/**
 * The models by name: file (beside oneshot.js, as Oneshot.MODELS), label,
 * speed (ms a face in the browser), accuracy on LFW's test pairs and on
 * Families in the Wild's validation pairs, and what it is for.
 */
export const MODELS = Object.freeze({
  compact: Object.freeze({
    name: "compact",
    file: "model.oneshot",
    label: "Compact",
    msPerFace: 13,
    lfw: 0.932,
    fiw: 0.839,
    use: "fast enough for every camera frame",
  }),
  accurate: Object.freeze({
    name: "accurate",
    file: "accurate.oneshot",
    label: "Accurate (dlib ResNet)",
    msPerFace: 110,
    lfw: 0.976,
    fiw: 0.883,
    use: "fewer mistakes, a few verdicts a second",
  }),
});

/** The name of the model the page starts with. */
export const DEFAULT_MODEL = "compact";

/** Whether name is a model of MODELS. */
export function isModelName(name) {
  return typeof name === "string" && Object.hasOwn(MODELS, name);
}

/**
 * Asks the server which model files are there, with a HEAD request each
 * (fetchFn is fetch, or a stand-in in tests; base the URL they are beside).
 * Resolves to [{...model, available, bytes}]: bytes from Content-Length
 * (null when the server does not say), available false when the file is
 * missing or the request failed. Never rejects.
 */
export async function probeModels(fetchFn, base) {
  return Promise.all(
    Object.values(MODELS).map(async (m) => {
      try {
        const r = await fetchFn(new URL(m.file, base).href, { method: "HEAD", cache: "no-store" });
        const n = Number(r.headers.get("Content-Length"));
        return { ...m, available: r.ok, bytes: r.ok && Number.isFinite(n) && n > 0 ? n : null };
      } catch {
        return { ...m, available: false, bytes: null };
      }
    }),
  );
}

/** Describes a model in one line: size, speed, accuracy, use. */
export function describeModel(m) {
  const size = m.bytes ? `${(m.bytes / 1e6).toFixed(1)} MB` : "size unknown";
  const acc = `LFW ${m.lfw.toFixed(3)}, family photographs ${m.fiw.toFixed(3)}`;
  const what = `${m.label}: ${size}, about ${m.msPerFace} ms a face, accuracy ${acc} — ${m.use}`;
  return m.available ? what : `${what}. Not in this build (building it needs npm to fetch its weights).`;
}
