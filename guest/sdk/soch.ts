// Typed wrappers over the `soch` namespace: key/value reads and writes,
// storing vectors and cosine-similarity vector search. Capabilities:
// soch:read, soch:write, soch:vector_write, soch:vector_search.
import { INVALID_ARGUMENT, OK } from "./abi";
import { collectOutput, scratch, SCRATCH_CAP, setLastError } from "./sandbox";
import { parseSearchHits, SearchHit } from "./search_hits";

@external("soch", "soch_read")
declare function soch_read(key_ptr: i32, key_len: i32, out_ptr: i32, out_cap: i32): i64;

@external("soch", "soch_write")
declare function soch_write(key_ptr: i32, key_len: i32, val_ptr: i32, val_len: i32): i64;

@external("soch", "vector_search")
declare function vector_search(query_ptr: i32, dim: i32, k: i32, out_ptr: i32, out_cap: i32): i64;

@external("soch", "vector_put")
declare function vector_put(key_ptr: i32, key_len: i32, vec_ptr: i32, dim: i32): i64;

/** The value under `key`, or null (then lastError() is NOT_FOUND or another ABI code). */
export function sochRead(key: string): Uint8Array | null {
  const k = String.UTF8.encode(key);
  const out = collectOutput(soch_read(changetype<i32>(k), k.byteLength, <i32>scratch, SCRATCH_CAP));
  if (out === null) return null;
  return Uint8Array.wrap(out);
}

/** The value under `key` decoded as UTF-8, or null like {@link sochRead}. */
export function sochReadString(key: string): string | null {
  const k = String.UTF8.encode(key);
  const out = collectOutput(soch_read(changetype<i32>(k), k.byteLength, <i32>scratch, SCRATCH_CAP));
  if (out === null) return null;
  return String.UTF8.decode(out);
}

/** Stores `value` under `key`. Returns 0 (OK) or a negative ABI code. */
export function sochWrite(key: string, value: Uint8Array): i32 {
  const k = String.UTF8.encode(key);
  const result = <i32>soch_write(changetype<i32>(k), k.byteLength, <i32>value.dataStart, value.byteLength);
  setLastError(result < 0 ? result : OK);
  return result < 0 ? result : OK;
}

/** Stores `value` as UTF-8 under `key`. Returns 0 (OK) or a negative ABI code. */
export function sochWriteString(key: string, value: string): i32 {
  return sochWrite(key, Uint8Array.wrap(String.UTF8.encode(value)));
}

/**
 * The `k` keys most similar to `query` (cosine), best first, as the host's
 * UTF-8 JSON `[{"key":"…","score":0.93},…]`; null on error (see lastError()).
 */
export function vectorSearch(query: Float32Array, k: i32): string | null {
  const out = collectOutput(vector_search(<i32>query.dataStart, query.length, k, <i32>scratch, SCRATCH_CAP));
  if (out === null) return null;
  return String.UTF8.decode(out);
}

/**
 * {@link vectorSearch}'s hits as objects, best first; null on error (see
 * lastError(); an answer that is not a hit list is INVALID_ARGUMENT).
 */
export function vectorSearchHits(query: Float32Array, k: i32): SearchHit[] | null {
  const json = vectorSearch(query, k);
  if (json === null) return null;
  const hits = parseSearchHits(json);
  if (hits === null) setLastError(INVALID_ARGUMENT);
  return hits;
}

/**
 * Stores (or replaces) the vector indexed under `key`, to be found by
 * {@link vectorSearch}. The store has one dimension (the host's, or the first
 * vector's); another length, a NaN or infinite component, or the zero vector
 * is INVALID_ARGUMENT. Returns 0 (OK) or a negative ABI code.
 */
export function vectorPut(key: string, vector: Float32Array): i32 {
  const k = String.UTF8.encode(key);
  const result = <i32>vector_put(changetype<i32>(k), k.byteLength, <i32>vector.dataStart, vector.length);
  setLastError(result < 0 ? result : OK);
  return result < 0 ? result : OK;
}
