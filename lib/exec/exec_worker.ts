/**
 * The helper worker behind `execSync`: runs approved requests
 * asynchronously and answers through the sync bridge. Started by
 * `exec_sync.ts`; not meant to be imported.
 *
 * @module
 */
import { hostPlatform } from "../platform/host_platform.ts";
import { serveSyncCalls } from "./sync_server.ts";
import { encodeOutcome } from "./_wire.ts";
import { execApproved } from "./exec.ts";
import type { SandboxPolicy } from "./policy.ts";
import type { ExecRequest } from "./request.ts";

/** What `execSync` posts: a request and policy it has already validated and counted. */
export interface ExecWorkerPayload {
  request: ExecRequest;
  policy: SandboxPolicy;
}

serveSyncCalls(
  async (payload) => {
    const { request, policy } = payload as ExecWorkerPayload;
    return encodeOutcome(await execApproved(request, policy, await hostPlatform()));
  },
  (err) =>
    encodeOutcome({
      kind: "ran",
      response: {
        exitCode: null, signal: null, stdout: new Uint8Array(), stderr: new Uint8Array(), durationMs: 0,
        timedOut: false, truncated: false, stdoutTruncated: false, stderrTruncated: false, output: "utf8",
        error: `exec failed in the host: ${String((err as Error)?.message ?? err).slice(0, 1024)}`,
        isolation: "unknown",
      },
    }),
);
