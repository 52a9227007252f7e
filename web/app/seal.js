// Encryption of what the page keeps and exports, with WebCrypto only.
//
// At rest: every value the page stores in IndexedDB is encrypted with
// AES-GCM (256-bit key, a fresh 96-bit IV per value) under a key made in
// this browser as non-extractable: scripts can use it, but no script (the
// page's own included) can read its bytes out. The key itself is kept in
// IndexedDB, in the same browser profile as the data it protects: so this
// keeps each stored value unreadable on its own (a copied record, a tool
// that reads the values) and lets "Delete everything" make what is left on
// disk unreadable by deleting the key; it does not protect against anyone
// who can run code in the page, use the profile, or copy it whole. The
// additional data of each value names its role ("oneshot part gallery"), so
// a value swapped into another's place fails to decrypt.
//
// Exported files: sealed with a passphrase when the person asks. The key is
// derived with PBKDF2-HMAC-SHA-256 (600,000 iterations, the OWASP 2023
// figure, and a random 128-bit salt) and the file encrypted with AES-GCM;
// the header (format, iterations, salt, IV) is authenticated as additional
// data, so it cannot be altered to weaken the derivation.

const te = new TextEncoder();

/** Iterations of PBKDF2-HMAC-SHA-256 for a sealed file. */
export const SEAL_ITERATIONS = 600_000;
/** The fewest and most iterations a sealed file may ask for when it is opened. */
export const MIN_ITERATIONS = 100_000;
export const MAX_ITERATIONS = 10_000_000;
/** The shortest passphrase seal accepts. */
export const MIN_PASSPHRASE = 8;

// A sealed file: MAGIC, format 1, KDF 1 (PBKDF2-SHA-256), iterations
// (uint32, big-endian), salt (16 bytes), IV (12 bytes), then the AES-GCM
// ciphertext with its 16-byte tag.
const MAGIC = te.encode("OSSEALED");
const HEADER = MAGIC.length + 1 + 1 + 4 + 16 + 12;

function subtleOf(crypto) {
  const s = crypto && crypto.subtle;
  if (!s) throw new Error("this browser has no WebCrypto (crypto.subtle): open the page over https or on localhost");
  return s;
}

function bytesOf(b) {
  if (b instanceof Uint8Array) return b;
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  throw new TypeError(`want bytes (a Uint8Array or an ArrayBuffer), got ${b === null ? "null" : typeof b}`);
}

/** Makes a non-extractable AES-GCM key for the values kept in this browser. */
export function newStorageKey(crypto = globalThis.crypto) {
  return subtleOf(crypto).generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

/**
 * Encrypts bytes under key for the role named by label; resolves to
 * {iv, data}, the record to store.
 */
export async function encryptValue(key, label, bytes, crypto = globalThis.crypto) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await subtleOf(crypto).encrypt({ name: "AES-GCM", iv, additionalData: te.encode(label) }, key, bytesOf(bytes));
  return { iv, data: new Uint8Array(data) };
}

/**
 * Decrypts a record of encryptValue made for the same label; rejects when
 * the key is not the one it was made with or the record was altered.
 */
export async function decryptValue(key, label, record, crypto = globalThis.crypto) {
  if (!record || !(record.iv instanceof Uint8Array) || record.iv.length !== 12 || !ArrayBuffer.isView(record.data)) {
    throw new Error("the stored value is not an encrypted record");
  }
  try {
    const plain = await subtleOf(crypto).decrypt({ name: "AES-GCM", iv: record.iv, additionalData: te.encode(label) }, key, record.data);
    return new Uint8Array(plain);
  } catch (err) {
    if (err && err.name === "OperationError") throw new Error("it could not be decrypted: it was encrypted under another key, or it is damaged");
    throw err;
  }
}

/** Reports whether bytes are a file sealed by seal. */
export function isSealed(bytes) {
  const b = bytesOf(bytes);
  return b.length >= MAGIC.length && MAGIC.every((x, i) => b[i] === x);
}

async function passphraseKey(subtle, passphrase, salt, iterations, usage) {
  const base = await subtle.importKey("raw", te.encode(passphrase.normalize("NFC")), "PBKDF2", false, ["deriveKey"]);
  return subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, base, { name: "AES-GCM", length: 256 }, false, [usage]);
}

/**
 * Seals bytes (an exported gallery or model) with a passphrase of at least
 * MIN_PASSPHRASE characters; resolves to the sealed file's bytes.
 * iterations is for tests; files use SEAL_ITERATIONS.
 */
export async function seal(bytes, passphrase, { iterations = SEAL_ITERATIONS, crypto = globalThis.crypto } = {}) {
  if (typeof passphrase !== "string" || [...passphrase].length < MIN_PASSPHRASE) {
    throw new Error(`the passphrase must have at least ${MIN_PASSPHRASE} characters`);
  }
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) throw new RangeError(`iterations ${iterations} out of range`);
  const subtle = subtleOf(crypto);
  const header = new Uint8Array(HEADER);
  header.set(MAGIC, 0);
  let o = MAGIC.length;
  header[o++] = 1; // format
  header[o++] = 1; // PBKDF2-SHA-256
  new DataView(header.buffer).setUint32(o, iterations);
  o += 4;
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  header.set(salt, o);
  header.set(iv, o + 16);
  const key = await passphraseKey(subtle, passphrase, salt, iterations, "encrypt");
  const data = new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv, additionalData: header }, key, bytesOf(bytes)));
  const out = new Uint8Array(HEADER + data.length);
  out.set(header);
  out.set(data, HEADER);
  return out;
}

/**
 * Opens a file sealed by seal with its passphrase; rejects with an Error
 * that says what is wrong (a wrong passphrase and a damaged file cannot be
 * told apart). minIterations is for tests.
 */
export async function unseal(bytes, passphrase, { crypto = globalThis.crypto, minIterations = MIN_ITERATIONS } = {}) {
  const b = bytesOf(bytes);
  if (!isSealed(b)) throw new Error("the file is not sealed with a passphrase");
  if (b.length < HEADER + 16) throw new Error("the sealed file is cut short");
  if (typeof passphrase !== "string" || !passphrase) {
    throw new Error("the file is sealed with a passphrase: type it in the passphrase field and choose the file again");
  }
  let o = MAGIC.length;
  const format = b[o++];
  const kdf = b[o++];
  if (format !== 1 || kdf !== 1) throw new Error(`the sealed file is format ${format} (key derivation ${kdf}); this build reads format 1: update Oneshot`);
  const iterations = new DataView(b.buffer, b.byteOffset).getUint32(o);
  o += 4;
  if (iterations < minIterations || iterations > MAX_ITERATIONS) {
    throw new Error(`the sealed file asks for ${iterations} key-derivation iterations, outside ${minIterations}…${MAX_ITERATIONS}: it was not made by Oneshot`);
  }
  const salt = b.slice(o, o + 16);
  const iv = b.slice(o + 16, o + 28);
  const subtle = subtleOf(crypto);
  const key = await passphraseKey(subtle, passphrase, salt, iterations, "decrypt");
  try {
    return new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv, additionalData: b.slice(0, HEADER) }, key, b.slice(HEADER)));
  } catch (err) {
    if (err && err.name === "OperationError") throw new Error("the passphrase is wrong, or the sealed file is damaged");
    throw err;
  }
}
