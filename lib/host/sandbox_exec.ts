/**
 * `platform_sandbox.sandbox_exec(req_ptr, req_len, out_ptr, out_cap) -> i64`
 * (docs/ABI.md, docs/EXEC.md): a command run under the policy carried by the
 * plugin's `sandbox:exec` token. A request the policy refuses is
 * PERMISSION_DENIED and runs nothing; a malformed or oversized one is
 * INVALID_ARGUMENT, and so is an out buffer `[out_ptr, out_ptr + out_cap)`
 * outside guest memory — checked before the command runs, so -3 always
 * means nothing ran; a command that ran — even one that timed out, was
 * truncated or failed to start — answers with the JSON response.
 *
 * @module
 */
import { exec } from "../exec/exec.ts";
import { encodeExecResponse } from "../exec/outcome.ts";
import { defaultSandboxPolicy } from "../exec/policy.ts";
import type { SandboxPolicy } from "../exec/policy.ts";
import { parseExecRequest, REQUEST_LIMITS } from "../exec/request.ts";
import type { ExecState } from "../exec/state.ts";
import type { IsolationLevel } from "../exec/isolation.ts";
import { AbiCode } from "./abi_codes.ts";
import { Capabilities } from "./capabilities.ts";
import type { HostFunction } from "./registrar.ts";

/**
 * The policy a `sandbox:exec` token carries: its scope over the secure
 * defaults, so a token without a scope allows nothing.
 */
export function execPolicyOf(scope: Partial<SandboxPolicy> | undefined): SandboxPolicy {
  return { ...defaultSandboxPolicy(), ...scope };
}

/** What the host learns about one `sandbox_exec` request that got as far as the policy. */
export interface ExecEvent {
  pluginId: string;
  /** The command as the guest named it. */
  command: string;
  /** `ran` (the command started), `denied` (by the policy: nothing ran) or `invalid` (nothing ran). */
  outcome: "ran" | "denied" | "invalid";
  /** With `ran`: the isolation the command actually got (docs/EXEC.md). */
  isolation?: IsolationLevel;
  /** With `ran`: the exit code (`null` when killed or never started). */
  exitCode?: number | null;
  /** With `denied` / `invalid`: why; with `ran`: the host error, if any. */
  reason?: string;
}

/** Receives an {@linkcode ExecEvent} per request; runs on the calling thread, so keep it quick. */
export type ExecObserver = (event: ExecEvent) => void;

function notify(observer: ExecObserver | undefined, event: ExecEvent): void {
  if (observer === undefined) return;
  try {
    observer(event);
  } catch (err) {
    // A faulty observer must not change what the guest is told (the command may have run).
    console.error(`wasm-sandbox: the exec observer threw: ${String(err instanceof Error ? err.message : err)}`);
  }
}

/**
 * The `sandbox_exec` host function of one sandbox, counting its executions
 * in `state` and reporting each outcome to `observer`.
 */
export function sandboxExecFunction(state: ExecState, observer?: ExecObserver): HostFunction {
  return {
    params: ["i32", "i32", "i32", "i32"],
    results: ["i64"],
    capability: Capabilities.SandboxExec,
    // The command runs while the host's event loop goes on: the guest waits
    // (suspended with JSPI, or in its worker), never the host thread.
    async: true,
    async call(ctx, reqPtr: number, reqLen: number, outPtr: number, outCap: number) {
      if (reqLen >>> 0 > REQUEST_LIMITS.requestBytes) return BigInt(AbiCode.INVALID_ARGUMENT);
      const bytes = ctx.memory.read(reqPtr, reqLen);
      // The whole out buffer is checked before anything runs (InvalidArgument → INVALID_ARGUMENT),
      // so -3 always means "nothing ran" and a guest that retries never runs a command twice.
      ctx.memory.check(outPtr, outCap);
      const request = parseExecRequest(bytes); // InvalidArgument → INVALID_ARGUMENT
      const policy = execPolicyOf(ctx.token?.scope as Partial<SandboxPolicy> | undefined);
      const outcome = await exec(request, policy, state);
      const event: ExecEvent = { pluginId: ctx.pluginId, command: request.command, outcome: outcome.kind };
      if (outcome.kind !== "ran") {
        ctx.explain(outcome.reason);
        notify(observer, { ...event, reason: outcome.reason });
        return BigInt(outcome.kind === "denied" ? AbiCode.PERMISSION_DENIED : AbiCode.INVALID_ARGUMENT);
      }
      const { response } = outcome;
      if (response.error !== undefined) ctx.explain(response.error);
      notify(observer, {
        ...event,
        isolation: response.isolation,
        exitCode: response.exitCode,
        ...(response.error === undefined ? {} : { reason: response.error }),
      });
      // Guest memory may have grown while the command ran: respond() re-derives its view.
      return ctx.respond(encodeExecResponse(response), outPtr, outCap);
    },
  };
}
