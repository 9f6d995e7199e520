// Example plugin: a small document index over the soch store.
//
// index(key, text) stores the text under `key` with soch_write and its
// embedding under the same key with vector_put; search(query, k) embeds the
// query the same way, asks vector_search for the k nearest keys and reads each
// hit's text back with soch_read. The answer is JSON:
//   [{"key":"docs/a","score":0.81,"text":"…"},…]   (best first)
//
// The embedding is computed here, in the guest, so any host can serve it: a
// bag of words hashed into DIM dimensions. A word is a run of ASCII letters
// and digits or of non-ASCII UTF-16 units, ASCII letters lower-cased; each
// word adds 1 to dimension fnv1a32(its UTF-16 units) % DIM. Deterministic and
// crude (no stemming, no stop words), but texts sharing words point alike.
//
// Needs soch:write, soch:vector_write, soch:vector_search and soch:read.
// Compile with --exportRuntime so the host can pass strings in (plugin.call
// allocates them with __new) and read the returned string.
import {
  INVALID_ARGUMENT, jsonString, lastError, NOT_FOUND, OK, sochReadString, sochWriteString, vectorPut, vectorSearchHits,
} from "../sdk/index";

/** Dimensions of the embedding. */
const DIM: i32 = 32;
const FNV_OFFSET: u32 = 0x811c9dc5;
const FNV_PRIME: u32 = 0x01000193;

let failure: i32 = OK;
let wordCount: i32 = 0;

function isWordUnit(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c >= 0x80;
}

/** The bag-of-words embedding of `text` (see the top of the file); sets wordCount. */
function embed(text: string): Float32Array {
  const vector = new Float32Array(DIM);
  let hash = FNV_OFFSET;
  let inWord = false;
  wordCount = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x20; // a space ends the last word
    if (isWordUnit(c)) {
      const unit = c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
      hash = (hash ^ <u32>unit) * FNV_PRIME;
      inWord = true;
    } else if (inWord) {
      vector[<i32>(hash % <u32>DIM)] += 1;
      wordCount++;
      hash = FNV_OFFSET;
      inWord = false;
    }
  }
  return vector;
}

/**
 * Indexes `text` under `key`: 0, or a negative ABI code (INVALID_ARGUMENT for
 * a text without words, which nothing could find; then nothing is stored).
 */
export function index(key: string, text: string): i32 {
  const vector = embed(text);
  if (wordCount == 0) return INVALID_ARGUMENT;
  // The text first: a key that search can return always has a text to read.
  // If vector_put then fails (e.g. the host fixed another dimension), the text
  // stays stored but unindexed, and the code says so.
  const written = sochWriteString(key, text);
  if (written < 0) return written;
  return vectorPut(key, vector);
}

/**
 * The `k` indexed texts nearest to `query`, as JSON (see the top of the
 * file); null on failure, with the code in lastErrorCode(). A hit whose key
 * has no text (a vector the host stored alone) has "text":null.
 */
export function search(query: string, k: i32): string | null {
  const vector = embed(query);
  if (wordCount == 0) {
    failure = INVALID_ARGUMENT;
    return null;
  }
  const hits = vectorSearchHits(vector, k);
  if (hits === null) {
    failure = lastError();
    return null;
  }
  let out = "[";
  for (let i = 0; i < hits.length; i++) {
    const hit = hits[i];
    const text = sochReadString(hit.key);
    if (text === null && lastError() != NOT_FOUND) {
      failure = lastError();
      return null;
    }
    if (i > 0) out += ",";
    out += "{\"key\":" + jsonString(hit.key) + ",\"score\":" + hit.score.toString() +
      ",\"text\":" + (text === null ? "null" : jsonString(text)) + "}";
  }
  failure = OK;
  return out + "]";
}

/** Why the last search() returned null (an ABI code), or 0. */
export function lastErrorCode(): i32 {
  return failure;
}
