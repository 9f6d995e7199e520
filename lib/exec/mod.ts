/**
 * `wasm-sandbox/exec`: running host commands under a policy, outside a
 * plugin or inside your own host function (docs/EXEC.md). Plugins reach the
 * same pipeline through `platform_sandbox.sandbox_exec` with a `sandbox:exec`
 * token whose scope is the policy.
 *
 * @example
 * ```ts
 * import { createExecState, defaultSandboxPolicy, execSync, parseExecRequest } from "wasm-sandbox/exec";
 *
 * const policy = { ...defaultSandboxPolicy(), allowedCommands: ["ls"], workingDirectory: "/srv/job" };
 * const state = createExecState(); // one per sandbox: counts executions
 * const request = parseExecRequest(new TextEncoder().encode('{"command":"ls","args":["-l"]}'));
 * const outcome = execSync(request, policy, state);
 * if (outcome.kind === "ran") console.log(outcome.response.exitCode);
 * ```
 *
 * @module
 */
export { exec } from "./exec.ts";
export { closeExecWorker, execSync } from "./exec_sync.ts";
export { encodeExecResponse } from "./outcome.ts";
export type { ExecOutcome, ExecResponse } from "./outcome.ts";
export type { IsolationLevel } from "./isolation.ts";
export { defaultSandboxPolicy, validateSandboxPolicy } from "./policy.ts";
export type { FilesystemView, NetworkIsolation, ProcessIsolation, ResourceLimits, SandboxPolicy } from "./policy.ts";
export { parseExecRequest } from "./request.ts";
export type { ExecRequest } from "./request.ts";
export { createExecState } from "./state.ts";
export type { ExecState } from "./state.ts";
// What `PluginOptions.onExec` is told of each request from a guest.
export type { ExecEvent, ExecObserver } from "../host/sandbox_exec.ts";
