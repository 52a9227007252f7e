// Verdicts the page shows: decided on several consecutive frames that
// agree, never on one, and slower after repeated failures.
//
// Each frame's result from verify or identify is judged on its own first:
// a frame of bad quality, or one the engine gave no verdict for, has none
// (its quality reasons say why). A verdict is shown once AGREE consecutive
// frames with a verdict agree (the same outcome, for the same person and
// threshold); a frame without one, or one that disagrees, starts the count
// again. After SLOW_AFTER failed decisions in a row (no match, or nobody
// known), the next attempt waits, twice as long each time up to a limit; a
// match ends the run of failures.

/** Consecutive agreeing frames a verdict needs. */
export const AGREE = 3;
/** Failed decisions in a row before attempts slow down. */
export const SLOW_AFTER = 3;
/** The first wait after SLOW_AFTER failures, and the longest, in milliseconds. */
export const BASE_DELAY_MS = 1000;
export const MAX_DELAY_MS = 30000;

/**
 * The verdict of one frame's result, or null when it has none: kind is
 * "verify" or "identify". Returns {key, outcome, success}: frames agree
 * when both match.
 */
export function frameVerdict(kind, r) {
  if (!r || typeof r !== "object" || !r.quality || r.quality.ok !== true) return null;
  if (r.judged === false) return null; // the engine gave no verdict (see oneshot.d.ts)
  if (kind === "verify") {
    if (typeof r.match !== "boolean") return null;
    return { key: `${r.id}\u0000${r.threshold}`, outcome: r.match ? "match" : "nomatch", success: r.match };
  }
  if (typeof r.unknown !== "boolean") return null;
  if (!r.unknown && (typeof r.id !== "string" || !r.id)) return null;
  return { key: `${r.threshold}`, outcome: r.unknown ? "unknown" : `id:${r.id}`, success: !r.unknown };
}

/**
 * Decider turns a stream of frame results into decisions. The run of
 * failures is kept across runs (stopping and starting again does not make
 * attempts faster); the count of agreeing frames is not.
 */
export class Decider {
  #agree;
  #slowAfter;
  #base;
  #max;
  #streak = [];
  #failures = 0;
  #notBefore = 0;

  /** Options: agree, slowAfter, baseDelayMs, maxDelayMs (defaults above). */
  constructor({ agree = AGREE, slowAfter = SLOW_AFTER, baseDelayMs = BASE_DELAY_MS, maxDelayMs = MAX_DELAY_MS } = {}) {
    this.#agree = agree;
    this.#slowAfter = slowAfter;
    this.#base = baseDelayMs;
    this.#max = maxDelayMs;
  }

  /** Failed decisions in a row. */
  get failures() {
    return this.#failures;
  }

  /** Starts a new run: the frames counted so far no longer count. */
  reset() {
    this.#streak = [];
  }

  /** Milliseconds until the next attempt may start, at time now. */
  waitMs(now) {
    return Math.max(0, this.#notBefore - now);
  }

  /**
   * Judges one frame's result at time now (milliseconds). Returns
   * {status, ...}: "waiting" (the frame has no verdict; quality says why),
   * "gathering" (count of the AGREE frames needed so far) or "decided"
   * (decision: {outcome, success, result, frames}, and waitMs before the
   * next attempt).
   */
  judge(kind, r, now) {
    const v = frameVerdict(kind, r);
    if (!v) {
      this.#streak = [];
      return { status: "waiting", quality: r && r.quality ? r.quality : null };
    }
    const last = this.#streak[this.#streak.length - 1];
    if (last && (last.key !== v.key || last.outcome !== v.outcome)) this.#streak = [];
    this.#streak.push(v);
    if (this.#streak.length < this.#agree) return { status: "gathering", count: this.#streak.length, of: this.#agree };
    const frames = this.#streak.length;
    this.#streak = [];
    if (v.success) this.#failures = 0;
    else this.#failures++;
    const wait = this.#failures < this.#slowAfter ? 0 : Math.min(this.#max, this.#base * 2 ** (this.#failures - this.#slowAfter));
    this.#notBefore = now + wait;
    return { status: "decided", decision: { outcome: v.outcome, success: v.success, result: r, frames }, waitMs: wait };
  }
}
