/**
 * Synchronous exec for host functions, which are synchronous from the
 * guest's point of view. The command runs asynchronously in a helper worker
 * (so timeouts, output caps and concurrent pipe draining all work) while the
 * calling thread sleeps in `Atomics.wait` with a hard deadline.
 *
 * @module
 */
import { SyncWorkerClient } from "./sync_bridge.ts";
import { decodeOutcome, wireCapacity } from "./_wire.ts";
import { admitRequest } from "./exec.ts";
import type { ExecOutcome } from "./outcome.ts";
import type { SandboxPolicy } from "./policy.ts";
import type { ExecRequest, OutputEncoding } from "./request.ts";
import type { ExecState } from "./state.ts";
import type { ExecWorkerPayload } from "./exec_worker.ts";

/** Beyond the command's own timeout: killing it, draining pipes, answering. */
const ANSWER_SLACK_MS = 3000;

// Same extension as this module: `.ts` from the sources, `.js` from dist/.
const WORKER_URL = new URL(`./exec_worker${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url);

let client: SyncWorkerClient | undefined;

function failed(message: string, output: OutputEncoding, timedOut: boolean): ExecOutcome {
  return {
    kind: "ran",
    response: {
      exitCode: null, signal: null, stdout: new Uint8Array(), stderr: new Uint8Array(), durationMs: 0,
      timedOut, truncated: false, stdoutTruncated: false, stderrTruncated: false, output, error: message,
      // The worker failed before it could report which wrapper it used.
      isolation: "unknown",
    },
  };
}

/**
 * Runs `request` under `policy`, blocking the calling thread until it is
 * done. Same checks and outcomes as the async `exec`; if the helper worker
 * dies or misses its deadline, the result is `ran` with `error` set (and
 * `timed_out` for a missed deadline) — it never hangs.
 *
 * @throws {SandboxError} `InvalidArgument` when the host's policy is malformed.
 *
 * @example
 * ```ts
 * const outcome = execSync(parseExecRequest(bytes), policy, state);
 * if (outcome.kind === "ran") console.log(outcome.response.exitCode);
 * ```
 */
export function execSync(request: ExecRequest, policy: SandboxPolicy, state: ExecState): ExecOutcome {
  const admitted = admitRequest(request, policy, state);
  if ("kind" in admitted) return admitted;
  const { checked, reservation } = admitted;
  const timeoutMs = Math.min(checked.timeoutMs ?? policy.maxExecutionTimeMs, policy.maxExecutionTimeMs);
  const payload: ExecWorkerPayload = { request: checked, policy };
  client ??= new SyncWorkerClient(WORKER_URL);
  const answer = client.call(payload, wireCapacity(policy.maxOutputBytes), timeoutMs + ANSWER_SLACK_MS);
  const outcome = answer.ok
    ? decodeOutcome(answer.bytes)
    : failed(`exec did not complete: ${answer.message}`, checked.output, answer.reason === "deadline");
  if (outcome.kind !== "ran") reservation.release();
  return outcome;
}

/** Stops the helper worker now (it is otherwise stopped when idle or never keeps the process alive). */
export function closeExecWorker(): void {
  client?.close();
  client = undefined;
}
