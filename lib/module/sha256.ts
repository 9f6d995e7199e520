/**
 * SHA-256 through `node:crypto`, which is synchronous and the same on Node
 * and Deno. WebCrypto's `subtle.digest` would make every plugin load wait
 * for a thread-pool round trip.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** Lower-case hex SHA-256 of `data` (a string is hashed as UTF-8). */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}
