// Typed wrappers over the `platform_sandbox` namespace: running host commands
// (sandbox:exec), the clock (sandbox:time) and logging (sandbox:log).
import { collectOutput, scratch, SCRATCH_CAP } from "./sandbox";

@external("platform_sandbox", "sandbox_exec")
declare function sandbox_exec(req_ptr: i32, req_len: i32, out_ptr: i32, out_cap: i32): i64;

@external("platform_sandbox", "get_timestamp")
declare function get_timestamp(): i64;

@external("platform_sandbox", "log_message")
declare function log_message(level: i32, msg_ptr: i32, msg_len: i32): void;

/** Log levels of {@link log}. */
export const TRACE: i32 = 0;
export const DEBUG: i32 = 1;
export const INFO: i32 = 2;
export const WARN: i32 = 3;
export const ERROR: i32 = 4;

/**
 * Runs a host command. `requestJson` is
 * `{"command":"ls","args":["-l"],"stdin":"…","env":{"K":"V"},"cwd":"sub","timeout_ms":1000}`;
 * the result is the host's JSON response
 * `{"exit_code":0,"stdout":"…","stderr":"…","duration_ms":3,"timed_out":false,"truncated":false}`,
 * or null on error (see lastError()).
 */
export function exec(requestJson: string): string | null {
  const req = String.UTF8.encode(requestJson);
  const out = collectOutput(sandbox_exec(changetype<i32>(req), req.byteLength, <i32>scratch, SCRATCH_CAP));
  if (out === null) return null;
  return String.UTF8.decode(out);
}

/** Milliseconds since the Unix epoch (fixed in deterministic mode); negative is an ABI code. */
export function timestamp(): i64 {
  return get_timestamp();
}

/** Logs `message` at `level` (TRACE..ERROR). */
export function log(level: i32, message: string): void {
  const bytes = String.UTF8.encode(message);
  log_message(level, changetype<i32>(bytes), bytes.byteLength);
}

/** A JSON string literal for `text` (quotes and escapes), for building exec requests. */
export function jsonString(text: string): string {
  let out = "\"";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5c) out += "\\\\";
    else if (c == 0x0a) out += "\\n";
    else if (c == 0x0d) out += "\\r";
    else if (c == 0x09) out += "\\t";
    else if (c < 0x20) out += "\\u00" + (c < 0x10 ? "0" : "") + c.toString(16);
    else out += String.fromCharCode(c);
  }
  return out + "\"";
}
