/**
 * Policy-bound command execution, asynchronous. The pipeline, in order:
 * request validation, execution count, working directory, command
 * resolution and allow/block check, environment, isolation — and only when
 * every step agrees, the run. A refusal at any step means nothing runs.
 *
 * @module
 */
import { hostPlatform } from "../platform/host_platform.ts";
import type { ExecHost } from "./command_runner.ts";
import { buildEnvironment } from "./environment.ts";
import { probeIsolation } from "./isolation.ts";
import type { ExecOutcome, ExecResponse } from "./outcome.ts";
import { validateSandboxPolicy } from "./policy.ts";
import type { SandboxPolicy } from "./policy.ts";
import { validateExecRequest } from "./request.ts";
import type { ExecRequest } from "./request.ts";
import { commandRefusal, resolveCommand } from "./resolve_command.ts";
import { runProcess } from "./run_process.ts";
import type { ExecReservation, ExecState } from "./state.ts";
import { resolveWorkingDirectory } from "./working_directory.ts";
import { wrapCommand } from "./wrap_command.ts";

function denied(reason: string): ExecOutcome {
  return { kind: "denied", reason };
}

/**
 * Runs a validated request under a validated policy on `host`, without
 * counting it. This is the part the exec worker runs; most hosts want
 * {@linkcode exec} or `execSync` instead.
 */
export async function execApproved(
  request: ExecRequest,
  policy: SandboxPolicy,
  host: ExecHost,
): Promise<ExecOutcome> {
  const dir = await resolveWorkingDirectory(host.fs, policy.workingDirectory, request.cwd);
  if ("refusal" in dir) return denied(dir.refusal);

  const executable = await resolveCommand(host.fs, request.command, policy, dir.cwd);
  if (executable === undefined) {
    return denied(`command "${request.command}" was not found as an executable file on the policy's search path`);
  }
  const refusal = await commandRefusal(host.fs, executable, request.command, policy);
  if (refusal !== undefined) return denied(refusal);

  const environment = buildEnvironment(policy, host.commands.hostEnv(), request.env);
  if ("refusal" in environment) return denied(environment.refusal);

  const support = await probeIsolation(host);
  const wrapped = wrapCommand(
    { executable, args: request.args, env: environment.env, cwd: dir.cwd, root: dir.root },
    policy,
    support,
  );
  if ("refusal" in wrapped) return denied(wrapped.refusal);

  const timeoutMs = Math.min(request.timeoutMs ?? policy.maxExecutionTimeMs, policy.maxExecutionTimeMs);
  const result = await runProcess(host.commands, wrapped.spec, {
    timeoutMs,
    maxOutputBytes: policy.maxOutputBytes,
    stdin: request.stdin === undefined ? undefined : new TextEncoder().encode(request.stdin),
  });
  const response: ExecResponse = {
    exitCode: result.exitCode,
    signal: result.signal,
    stdout: result.stdout,
    stderr: result.stderr,
    durationMs: result.durationMs,
    timedOut: result.timedOut,
    truncated: result.stdoutTruncated || result.stderrTruncated,
    stdoutTruncated: result.stdoutTruncated,
    stderrTruncated: result.stderrTruncated,
    output: request.output,
    isolation: wrapped.isolation,
  };
  if (result.error !== undefined) response.error = result.error;
  if (result.stdinError !== undefined) response.stdinError = result.stdinError;
  return { kind: "ran", response };
}

/**
 * Validates and counts a request, then runs it (see the module doc for the
 * order of checks). Malformed requests are `invalid`, policy refusals
 * `denied`; neither is counted.
 *
 * @throws {SandboxError} `InvalidArgument` when the host's policy is malformed.
 *
 * @example
 * ```ts
 * const policy = { ...defaultSandboxPolicy(), allowedCommands: ["echo"], workingDirectory: "/tmp" };
 * const outcome = await exec({ command: "echo", args: ["hi"], env: {}, output: "utf8" }, policy, createExecState());
 * ```
 */
export async function exec(request: ExecRequest, policy: SandboxPolicy, state: ExecState): Promise<ExecOutcome> {
  const admitted = admitRequest(request, policy, state);
  if ("kind" in admitted) return admitted;
  const outcome = await execApproved(admitted.checked, policy, await hostPlatform());
  if (outcome.kind !== "ran") admitted.reservation.release();
  return outcome;
}

/**
 * The steps `exec` and `execSync` share before anything runs: the policy
 * validated (a malformed one throws), the request validated (`invalid`), and
 * one execution reserved against the limit (`denied` when it is reached).
 * The caller releases the reservation when the command did not run.
 */
export function admitRequest(
  request: ExecRequest,
  policy: SandboxPolicy,
  state: ExecState,
): ExecOutcome | { checked: ExecRequest; reservation: ExecReservation } {
  validateSandboxPolicy(policy);
  let checked: ExecRequest;
  try {
    checked = validateExecRequest(toWire(request));
  } catch (err) {
    return { kind: "invalid", reason: (err as Error).message };
  }
  const reservation = state.tryReserve(policy.maxExecutions);
  if (reservation === undefined) return denied(`the sandbox reached its limit of ${policy.maxExecutions} executions`);
  return { checked, reservation };
}

/** The JSON-field form of a request, so host-built requests pass the same validator as guest ones. */
export function toWire(request: ExecRequest): Record<string, unknown> {
  if (typeof request !== "object" || request === null) return request;
  const wire: Record<string, unknown> = { command: request.command, args: request.args, env: request.env, output: request.output };
  if (request.stdin !== undefined) wire.stdin = request.stdin;
  if (request.cwd !== undefined) wire.cwd = request.cwd;
  if (request.timeoutMs !== undefined) wire.timeout_ms = request.timeoutMs;
  return wire;
}
