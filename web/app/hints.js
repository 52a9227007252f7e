// What to tell a person about a frame, from the engine's quality problems.

const hints = {
  noFace: "No face found: look at the camera.",
  severalFaces: "Several faces: one face only, please.",
  faceTooSmall: "Move closer to the camera.",
  eyesNotFound: "Look straight at the camera with your eyes open.",
  tooDark: "More light, please: the face is too dark.",
  tooBright: "Less light, please: the face is too bright.",
  lowContrast: "More even light, please: the face has low contrast.",
  tooBlurry: "Hold still: the picture is blurry.",
  tooTilted: "Hold your head straight.",
  unclearFace: "The face is unclear: face the camera.",
};

/** The hint for a quality verdict: "Good frame." or what to change. */
export function hintFor(quality) {
  if (!quality) return "";
  if (quality.ok) return "Good frame.";
  const p = quality.problems || [];
  if (p.length) return hints[p[0]] || (quality.reasons && quality.reasons[0]) || "Low quality frame.";
  return quality.reasons && quality.reasons.length ? `Low quality: ${quality.reasons.join(", ")}.` : "Low quality frame.";
}

/** A message for an engine error on a frame ("no face" is ordinary). */
export function hintForError(err) {
  const m = String(err && err.message || err);
  if (/no face/i.test(m)) return hints.noFace;
  return m;
}
