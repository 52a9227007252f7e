// Tests of seal.js under Node's test runner (`make test-js`), with Node's
// WebCrypto.
import { test } from "node:test";
import assert from "node:assert/strict";
import { newStorageKey, encryptValue, decryptValue, seal, unseal, isSealed, SEAL_ITERATIONS } from "./seal.js";

const te = new TextEncoder();
const td = new TextDecoder();
// Fewer iterations keep the tests quick; one test uses the real count.
const fast = { iterations: 1000 };
const open = { minIterations: 1000 };

test("a stored value decrypts under its key and role only", async () => {
  const key = await newStorageKey();
  assert.equal(key.extractable, false, "the storage key can be read out");
  await assert.rejects(crypto.subtle.exportKey("raw", key));
  const rec = await encryptValue(key, "part gallery", te.encode("ada's template"));
  assert.equal(rec.iv.length, 12);
  assert.ok(!td.decode(rec.data).includes("ada"), "the record holds the plaintext");
  assert.equal(td.decode(await decryptValue(key, "part gallery", rec)), "ada's template");
  await assert.rejects(decryptValue(key, "part model", rec), /could not be decrypted/);
  await assert.rejects(decryptValue(await newStorageKey(), "part gallery", rec), /could not be decrypted/);
  const bent = { iv: rec.iv, data: rec.data.slice() };
  bent.data[3] ^= 1;
  await assert.rejects(decryptValue(key, "part gallery", bent), /damaged/);
  await assert.rejects(decryptValue(key, "part gallery", { iv: 1, data: 2 }), /not an encrypted record/);
});

test("two encryptions of one value differ (a fresh IV each)", async () => {
  const key = await newStorageKey();
  const a = await encryptValue(key, "x", te.encode("same"));
  const b = await encryptValue(key, "x", te.encode("same"));
  assert.notDeepEqual(a.iv, b.iv);
  assert.notDeepEqual(a.data, b.data);
});

test("a sealed file opens with its passphrase and nothing else", async () => {
  const file = te.encode("OSGALLERY… ada, bob");
  const sealed = await seal(file, "correct horse battery", fast);
  assert.ok(isSealed(sealed));
  assert.ok(!isSealed(file));
  assert.ok(!td.decode(sealed).includes("ada"));
  assert.deepEqual(await unseal(sealed, "correct horse battery", open), file);
  await assert.rejects(unseal(sealed, "correct horse batterY", open), /passphrase is wrong/);
  await assert.rejects(unseal(sealed, "", open), /sealed with a passphrase: type it/);
  await assert.rejects(unseal(file, "whatever1", open), /not sealed/);
  await assert.rejects(unseal(sealed.slice(0, 40), "correct horse battery", open), /cut short/);
});

test("the header is authenticated: fewer iterations, or another salt, do not open", async () => {
  const sealed = await seal(te.encode("x"), "a long passphrase", { iterations: 2000 });
  const fewer = sealed.slice();
  new DataView(fewer.buffer).setUint32(10, 1000);
  await assert.rejects(unseal(fewer, "a long passphrase", open), /passphrase is wrong, or the sealed file is damaged/);
  const salted = sealed.slice();
  salted[14] ^= 0xff;
  await assert.rejects(unseal(salted, "a long passphrase", open), /damaged/);
  const huge = sealed.slice();
  new DataView(huge.buffer).setUint32(10, 0xffffffff);
  await assert.rejects(unseal(huge, "a long passphrase", open), /not made by Oneshot/);
});

test("a short passphrase is refused", async () => {
  await assert.rejects(seal(te.encode("x"), "short", fast), /at least 8 characters/);
});

test("sealed files use 600,000 PBKDF2 iterations and refuse weaker ones by default", async () => {
  assert.equal(SEAL_ITERATIONS, 600_000);
  const sealed = await seal(te.encode("model"), "passphrase of the day");
  assert.equal(new DataView(sealed.buffer).getUint32(10), 600_000);
  assert.equal(td.decode(await unseal(sealed, "passphrase of the day")), "model");
  await assert.rejects(unseal(await seal(te.encode("x"), "passphrase!", fast), "passphrase!"), /1000 key-derivation iterations/);
});
