// Result codes of the wasm-sandbox guest ABI (docs/ABI.md). Negative i64
// results mean the same thing in every namespace.

/** Success (for functions that return 0 on success). */
export const OK: i32 = 0;
/** The key (or other named thing) does not exist. */
export const NOT_FOUND: i32 = -1;
/** The plugin lacks the capability, or the key is outside its scope. */
export const PERMISSION_DENIED: i32 = -2;
/** A bad pointer, length, UTF-8 or JSON. */
export const INVALID_ARGUMENT: i32 = -3;
/** A size, count or rate limit was hit. */
export const LIMIT_EXCEEDED: i32 = -4;
/** The operation ran out of time. */
export const TIMEOUT: i32 = -5;
/** The provider or an I/O operation failed on the host side. */
export const UNAVAILABLE: i32 = -6;
/** `take_response` was called with nothing parked. */
export const NO_RESPONSE: i32 = -7;

/** The name of an ABI code, for log messages. */
export function errorName(code: i32): string {
  switch (code) {
    case OK: return "OK";
    case NOT_FOUND: return "NOT_FOUND";
    case PERMISSION_DENIED: return "PERMISSION_DENIED";
    case INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case LIMIT_EXCEEDED: return "LIMIT_EXCEEDED";
    case TIMEOUT: return "TIMEOUT";
    case UNAVAILABLE: return "UNAVAILABLE";
    case NO_RESPONSE: return "NO_RESPONSE";
    default: return "UNKNOWN(" + code.toString() + ")";
  }
}
