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
import { execSync } from "../exec/exec_sync.ts";
import { encodeExecResponse } from "../exec/outcome.ts";
import { defaultSandboxPolicy } from "../exec/policy.ts";
import type { SandboxPolicy } from "../exec/policy.ts";
import { parseExecRequest, REQUEST_LIMITS } from "../exec/request.ts";
import type { ExecState } from "../exec/state.ts";
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

/** The `sandbox_exec` host function of one sandbox, counting its executions in `state`. */
export function sandboxExecFunction(state: ExecState): HostFunction {
  return {
    params: ["i32", "i32", "i32", "i32"],
    results: ["i64"],
    capability: Capabilities.SandboxExec,
    call(ctx, reqPtr: number, reqLen: number, outPtr: number, outCap: number) {
      if (reqLen >>> 0 > REQUEST_LIMITS.requestBytes) return BigInt(AbiCode.INVALID_ARGUMENT);
      const bytes = ctx.memory.read(reqPtr, reqLen);
      // The whole out buffer is checked before anything runs (InvalidArgument → INVALID_ARGUMENT),
      // so -3 always means "nothing ran" and a guest that retries never runs a command twice.
      ctx.memory.check(outPtr, outCap);
      ctx.bytesIn += bytes.byteLength;
      const request = parseExecRequest(bytes); // InvalidArgument → INVALID_ARGUMENT
      const policy = execPolicyOf(ctx.token?.scope as Partial<SandboxPolicy> | undefined);
      const outcome = execSync(request, policy, state);
      if (outcome.kind === "denied") return BigInt(AbiCode.PERMISSION_DENIED);
      if (outcome.kind === "invalid") return BigInt(AbiCode.INVALID_ARGUMENT);
      return ctx.respond(encodeExecResponse(outcome.response), outPtr, outCap);
    },
  };
}
