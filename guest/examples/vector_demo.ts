// Example plugin: nearest-neighbour search in the soch vector store.
// Searches with a query vector, logs the JSON hits and stores them under
// "last_search" for the host to read. Needs soch:vector_search, soch:write
// and sandbox:log.
import { errorName, INFO, lastError, log, sochWriteString, vectorSearch, WARN } from "../sdk/index";

/**
 * Searches for the `k` vectors nearest to (x, y, z); returns the length of
 * the JSON result in bytes, or a negative ABI code.
 */
export function search(x: f32, y: f32, z: f32, k: i32): i32 {
  const query = new Float32Array(3);
  query[0] = x;
  query[1] = y;
  query[2] = z;
  const hits = vectorSearch(query, k);
  if (hits === null) {
    const code = lastError();
    log(WARN, "vector_search failed: " + errorName(code));
    return code;
  }
  log(INFO, "nearest: " + hits);
  const written = sochWriteString("last_search", hits);
  if (written < 0) return written;
  return String.UTF8.byteLength(hits);
}
