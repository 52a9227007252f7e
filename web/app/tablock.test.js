// Tests of tablock.js under Node's test runner (`make test-js`), with a
// lock manager that behaves as the Web Locks API does for one lock: a queue,
// abort signals, steal, and a holder that keeps the lock until it is stolen
// or its tab closes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { holdStorageLock } from "./tablock.js";

const abortError = (message) => Object.assign(new Error(message), { name: "AbortError" });

class FakeLocks {
  holder = null;
  queue = [];

  request(name, opts, callback) {
    return new Promise((resolve, reject) => {
      const entry = { name, callback, resolve, reject };
      if (opts.steal) {
        if (this.holder) this.holder.reject(abortError("the lock was stolen"));
        this.#grant(entry);
        return;
      }
      opts.signal?.addEventListener("abort", () => {
        const i = this.queue.indexOf(entry);
        if (i >= 0) {
          this.queue.splice(i, 1);
          reject(abortError("the request was aborted"));
        }
      });
      if (this.holder) this.queue.push(entry);
      else this.#grant(entry);
    });
  }

  // closeHolder is the holding tab closing: its lock passes to the next in line.
  closeHolder() {
    this.holder = null;
    const next = this.queue.shift();
    if (next) this.#grant(next);
  }

  #grant(entry) {
    this.holder = entry;
    queueMicrotask(() => entry.callback({ name: entry.name, mode: "exclusive" }));
  }
}

// tab opens the page in a "tab": its promise, and what it was told.
function tab(locks) {
  const told = { waiting: 0, lost: 0, takeOver: null };
  const held = holdStorageLock({
    locks,
    graceMs: 20,
    onWaiting(takeOver) {
      told.waiting++;
      told.takeOver = takeOver;
    },
    onLost() {
      told.lost++;
    },
  });
  return { held, told };
}

const settle = (ms = 60) => new Promise((r) => setTimeout(r, ms));

test("without Web Locks the page goes on at once", async () => {
  assert.equal(await holdStorageLock({ locks: undefined, onWaiting: assert.fail, onLost: assert.fail }), false);
});

test("a free lock is held at once and nobody is asked to wait", async () => {
  const { held, told } = tab(new FakeLocks());
  assert.equal(await held, true);
  await settle();
  assert.deepEqual([told.waiting, told.lost], [0, 0]);
});

test("a second tab waits, takes over, and the first is told it lost the lock", async () => {
  const locks = new FakeLocks();
  const first = tab(locks);
  assert.equal(await first.held, true);
  const second = tab(locks);
  let resolved = false;
  second.held.then(() => (resolved = true));
  await settle();
  assert.equal(second.told.waiting, 1, "the second tab was not asked to wait");
  assert.equal(resolved, false, "the second tab went on while the first held the lock");
  second.told.takeOver();
  assert.equal(await second.held, true);
  await settle();
  assert.equal(first.told.lost, 1, "the first tab was not told");
  assert.equal(second.told.lost, 0, "the second tab's aborted queued request was taken for a loss");
});

test("a waiting tab takes over by itself when the holder closes", async () => {
  const locks = new FakeLocks();
  assert.equal(await tab(locks).held, true);
  const second = tab(locks);
  await settle();
  assert.equal(second.told.waiting, 1);
  locks.closeHolder();
  assert.equal(await second.held, true);
  assert.equal(second.told.lost, 0);
});

test("a refused request (no locks for this origin) goes on without the lock", async () => {
  const refusing = { request: () => Promise.reject(Object.assign(new Error("not allowed"), { name: "SecurityError" })) };
  const { held, told } = tab(refusing);
  assert.equal(await held, false);
  await settle();
  assert.equal(told.waiting, 0);
});
