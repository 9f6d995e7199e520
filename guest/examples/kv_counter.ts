// Example plugin: a persistent counter in the soch store.
// Reads "counter" (decimal UTF-8 text), adds one, writes it back and logs the
// new value. Needs soch:read, soch:write and sandbox:log.
import { errorName, INFO, lastError, log, NOT_FOUND, sochReadString, sochWriteString, WARN } from "../sdk/index";

const KEY = "counter";

/** Increments the counter; returns the new value, or a negative ABI code on failure. */
export function increment(): i64 {
  let current: i64 = 0;
  const text = sochReadString(KEY);
  if (text !== null) {
    current = I64.parseInt(text, 10);
  } else if (lastError() != NOT_FOUND) {
    const code = lastError();
    log(WARN, "reading the counter failed: " + errorName(code));
    return code;
  }
  const next = current + 1;
  const written = sochWriteString(KEY, next.toString());
  if (written < 0) {
    log(WARN, "writing the counter failed: " + errorName(written));
    return written;
  }
  log(INFO, "counter is now " + next.toString());
  return next;
}
