/**
 * What an exec request came to, as a discriminated union the host function
 * maps to ABI codes, and the guest-facing JSON encoding of a response.
 *
 * @module
 */
import type { IsolationLevel } from "./isolation.ts";
import type { OutputEncoding } from "./request.ts";

/** What happened to a command that passed the policy. */
export interface ExecResponse {
  /** Exit code, `null` when the process was killed by a signal or never started. */
  exitCode: number | null;
  /** Name of the signal that ended the process (`"SIGKILL"` after a timeout), else `null`. */
  signal: string | null;
  /** Captured stdout, at most the policy's `maxOutputBytes`. */
  stdout: Uint8Array;
  /** Captured stderr, at most the policy's `maxOutputBytes`. */
  stderr: Uint8Array;
  /** Wall-clock time from spawn to exit, in milliseconds. */
  durationMs: number;
  /** The deadline passed and the process tree was killed. */
  timedOut: boolean;
  /** stdout or stderr hit the cap (see the per-stream flags). */
  truncated: boolean;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  /** Why the command could not start (or a later host failure), after it passed the policy. */
  error?: string;
  /** The command stopped reading before all of stdin was written. */
  stdinError?: string;
  /** How stdout/stderr are encoded by {@linkcode encodeExecResponse}. */
  output: OutputEncoding;
  /** The isolation the command actually ran under (docs/EXEC.md says what each level guarantees). */
  isolation: IsolationLevel;
}

/**
 * The result of an exec request.
 * - `ran`: the command passed the policy and was started (or failed to start).
 * - `denied`: the policy refused it; nothing ran.
 * - `invalid`: the request was malformed or oversized; nothing ran.
 */
export type ExecOutcome =
  | { kind: "ran"; response: ExecResponse }
  | { kind: "denied"; reason: string }
  | { kind: "invalid"; reason: string };

const CHUNK = 3 * 8192; // a multiple of 3, so chunks concatenate into valid base64

/** Standard base64 (RFC 4648, with padding), chunked to bound intermediate strings. */
export function toBase64(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    out += btoa(String.fromCharCode(...bytes.subarray(i, i + CHUNK)));
  }
  return out;
}

function encodeStream(bytes: Uint8Array, output: OutputEncoding): string {
  // utf8: ill-formed bytes become U+FFFD, so the JSON stays valid; base64 keeps every byte.
  return output === "base64" ? toBase64(bytes) : new TextDecoder().decode(bytes);
}

/**
 * The guest-facing JSON of a response (snake_case fields, documented in
 * docs/EXEC.md).
 *
 * @example
 * ```ts
 * const outcome = execSync(request, policy, state);
 * if (outcome.kind === "ran") guestBytes = encodeExecResponse(outcome.response);
 * ```
 */
export function encodeExecResponse(response: ExecResponse): Uint8Array {
  const json: Record<string, unknown> = {
    exit_code: response.exitCode,
    signal: response.signal,
    stdout: encodeStream(response.stdout, response.output),
    stderr: encodeStream(response.stderr, response.output),
    output: response.output,
    duration_ms: response.durationMs,
    timed_out: response.timedOut,
    truncated: response.truncated,
    stdout_truncated: response.stdoutTruncated,
    stderr_truncated: response.stderrTruncated,
    isolation: response.isolation,
  };
  if (response.error !== undefined) json.error = response.error;
  if (response.stdinError !== undefined) json.stdin_error = response.stdinError;
  return new TextEncoder().encode(JSON.stringify(json));
}
