// The models the page offers, and what each costs. A build ships the compact
// model always and the accurate one when it could fetch its weights (`make
// web` says when it could not), and lists what it made in models.json, which
// the page reads before it offers them. The figures are measured (MODEL_CARD.md):
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
    msPerFace: 8,
    lfw: 0.936,
    fiw: 0.865,
    use: "fast enough for every camera frame",
  }),
  accurate: Object.freeze({
    name: "accurate",
    file: "accurate.oneshot",
    label: "Accurate (dlib ResNet)",
    msPerFace: 120,
    lfw: 0.977,
    fiw: 0.891,
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
 * Reads models.json, which the build writes beside oneshot.js listing the
 * models it made ({name: {file, bytes}}), with fetchFn (fetch, or a
 * stand-in in tests) from base. Resolves to [{...model, available,
 * bytes}]: available when the build lists it, bytes its size (null when
 * unknown). Without models.json (web/ served as it is, unbuilt) the compact
 * model alone is offered. Never rejects.
 */
export async function probeModels(fetchFn, base) {
  let built = null;
  try {
    const r = await fetchFn(new URL("models.json", base).href, { cache: "no-store" });
    if (r.ok) built = await r.json();
  } catch {
    built = null;
  }
  if (!built || typeof built !== "object") built = { [DEFAULT_MODEL]: { file: MODELS[DEFAULT_MODEL].file, bytes: null } };
  return Object.values(MODELS).map((m) => {
    const b = Object.hasOwn(built, m.name) ? built[m.name] : null;
    const bytes = b && Number.isFinite(b.bytes) && b.bytes > 0 ? b.bytes : null;
    return { ...m, available: !!b, bytes };
  });
}

/** Describes a model in one line: size, speed, accuracy, use. */
export function describeModel(m) {
  const size = m.bytes ? `${(m.bytes / 1e6).toFixed(1)} MB` : "size unknown";
  const acc = `LFW ${m.lfw.toFixed(3)}, family photographs ${m.fiw.toFixed(3)}`;
  const what = `${m.label}: ${size}, about ${m.msPerFace} ms a face, accuracy ${acc} — ${m.use}`;
  return m.available ? what : `${what}. Not in this build (building it needs npm to fetch its weights).`;
}
