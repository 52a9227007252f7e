// One tab at a time. Every save writes the whole gallery (and the captures,
// the model, the threshold) from the saving tab's memory, so two tabs of the
// page saving in turn would each overwrite what the other had added: a person
// enrolled in one tab would be gone after the other tab's next save. So the
// tab that uses the storage holds a Web Lock; another tab of the page waits
// for it, or takes it over, after which the first tab stops.

const LOCK = "oneshot-storage";

/**
 * Resolves once this tab holds the storage lock (true), or at once (false)
 * where the browser has no Web Locks or refuses them: the page then works as
 * before, one tab's saves overwriting another's.
 *
 * If the lock is not granted within graceMs (another tab holds it; a reload's
 * old page has released it by then), onWaiting(takeOver) is called: takeOver()
 * takes the lock from the other tab. If another tab takes the lock from this
 * one later, onLost() is called; this tab must then stop saving.
 *
 * locks defaults to the browser's navigator.locks (tests pass their own).
 *
 * @param {{onWaiting: (takeOver: () => void) => void, onLost: () => void, graceMs?: number, locks?: LockManager}} opts
 * @returns {Promise<boolean>}
 */
export function holdStorageLock({ onWaiting, onLost, graceMs = 1000, locks = globalThis.navigator?.locks }) {
  if (!locks || typeof locks.request !== "function") return Promise.resolve(false);
  return new Promise((resolve) => {
    // ask requests the lock; the request that was granted, and only that
    // one, reports its loss (an aborted queued request rejects too).
    const ask = (opts) => {
      let granted = false;
      locks
        .request(LOCK, opts, () => {
          granted = true;
          clearTimeout(timer); // so nobody is asked to wait
          resolve(true);
          return new Promise(() => {}); // kept until the tab closes or another takes it
        })
        .catch((err) => {
          if (granted) onLost();
          else if (!err || err.name !== "AbortError") {
            // No locks here (a sandboxed frame's opaque origin, say):
            // go on without, as where the browser has none.
            clearTimeout(timer);
            resolve(false);
          }
        });
    };
    const queued = new AbortController();
    ask({ signal: queued.signal });
    const timer = setTimeout(() => {
      onWaiting(() => {
        queued.abort();
        ask({ steal: true });
      });
    }, graceMs);
  });
}
