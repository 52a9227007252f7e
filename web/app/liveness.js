// The page's side of the liveness challenge (engine.challenge): what to
// say for each state, for the eye and for a screen reader, and the
// progress ring. The engine decides; this module only words and draws it.

/** The circumference of the progress ring's circle of radius r. */
export function ringLength(r) {
  return 2 * Math.PI * r;
}

/**
 * The stroke-dashoffset that fills the ring of radius r to progress
 * (0…1; anything else is clamped, NaN is 0).
 */
export function ringOffset(progress, r) {
  const p = Number.isFinite(progress) ? Math.min(Math.max(progress, 0), 1) : 0;
  return ringLength(r) * (1 - p);
}

const arrows = { left: "←", right: "→", center: "●" };

/**
 * What to show while the challenge runs: {prompt, arrow, spoken}. The
 * arrow points the way the head should turn as the person sees
 * themselves in the page's mirrored preview (their left is the screen's
 * left). spoken is the sentence for screen readers; it changes only when
 * the move changes, so a live region is not re-read on every frame.
 */
export function promptFor(state) {
  if (!state) return { prompt: "", arrow: "", spoken: "" };
  if (state.done) {
    const text = verdictFor(state).text;
    return { prompt: text, arrow: "", spoken: text };
  }
  const n = Array.isArray(state.moves) ? state.moves.length : 0;
  const step = `Step ${state.step + 1} of ${n}`;
  return {
    prompt: state.prompt,
    arrow: arrows[state.move] || "",
    spoken: `${step}: ${state.prompt}.`,
  };
}

/**
 * The verdict of a finished challenge: {kind: "pass" | "fail" | "", text}.
 * A challenge passes only when the face was live (it made every move as
 * one face) and matched the person.
 */
export function verdictFor(state) {
  if (!state || !state.done) return { kind: "", text: "" };
  if (state.passed) return { kind: "pass", text: `Passed: a live face, and it is ${state.id}.` };
  const why = (state.reasons && state.reasons.length ? state.reasons : ["not passed"]).join("; ");
  if (!state.live) return { kind: "fail", text: `Not passed (not shown to be a live face): ${why}.` };
  return { kind: "fail", text: `Not passed: ${why}.` };
}
