// The threshold a person may choose in Settings. Lower is stricter. The
// model's default threshold is the most lenient point it was calibrated
// for (the best accuracy on its calibration pairs); above it the false
// accepts grow with nothing measured to say how fast, and near 4 (the
// largest squared distance of unit vectors) everyone matches everyone. So
// the slider stops at the model's default, and a saved threshold above the
// model in use gives way to its default.

/** The strictest threshold the slider offers. */
export const MIN_THRESHOLD = 0.05;
/** The slider's step. */
export const STEP = 0.01;

/**
 * The slider's range for a model (engine.info.model): {min, max, step},
 * max being the model's default threshold. A range input's values are min
 * plus whole steps, so min is put on the grid through the default (within
 * a step of MIN_THRESHOLD): the slider's last value is the default itself,
 * not the step below it.
 */
export function thresholdRange(model) {
  const t = model && typeof model.threshold === "number" && Number.isFinite(model.threshold) && model.threshold > 0 ? model.threshold : 1;
  if (t <= MIN_THRESHOLD) return { min: t, max: t, step: STEP };
  const steps = Math.floor((t - MIN_THRESHOLD) / STEP + 1e-9);
  return { min: Number((t - steps * STEP).toFixed(6)), max: t, step: STEP };
}

/**
 * Checks a threshold choice (null: the model's default, "strict": its
 * strict point, or a distance) against a model. Returns {value, note}:
 * value is what to use, note (or "") says why it differs from the choice.
 */
export function checkThreshold(choice, model) {
  if (choice === null || choice === undefined) return { value: null, note: "" };
  if (choice === "strict") return { value: "strict", note: "" };
  const { max } = thresholdRange(model);
  if (typeof choice !== "number" || !Number.isFinite(choice) || choice <= 0) {
    return { value: null, note: `The threshold ${String(choice)} is not a distance: the model's default is used.` };
  }
  if (choice > max + 1e-9) {
    return {
      value: null,
      note: `The threshold ${choice.toFixed(2)} is more lenient than this model's calibrated range (at most ${max.toFixed(2)}): the model's default is used.`,
    };
  }
  return { value: choice, note: "" };
}
