/**
 * The `platform_sandbox` namespace (docs/ABI.md): `get_timestamp`,
 * `log_message` and `sandbox_exec`.
 *
 * @module
 */
import { Capabilities } from "./capabilities.ts";
import { decodeMessage, type GuestLogGate, levelName } from "./guest_logger.ts";
import type { HostLogger } from "./guest_logger.ts";
import { defineRegistrar } from "./registrar.ts";
import type { HostFunction, HostFunctionRegistrar } from "./registrar.ts";

const NS_PER_MS = 1_000_000n;

/** What the namespace needs from its sandbox. */
export interface PlatformSandboxDeps {
  /** The sandbox's clock (shared with WASI, so both see one time). */
  realtimeNs(): bigint;
  logger: HostLogger;
  /** Rate limit and caps of `log_message`; it keeps its own real clock, separate from `realtimeNs`. */
  logGate: GuestLogGate;
  /** The `sandbox_exec` implementation, when exec is available. */
  sandboxExec?: HostFunction;
}

/** The `platform_sandbox` registrar. */
export function platformSandboxNamespace(deps: PlatformSandboxDeps): HostFunctionRegistrar {
  const functions: Record<string, HostFunction> = {
    get_timestamp: {
      params: [],
      results: ["i64"],
      capability: Capabilities.SandboxTime,
      call: () => deps.realtimeNs() / NS_PER_MS,
    },
    log_message: {
      params: ["i32", "i32", "i32"],
      results: [],
      capability: Capabilities.SandboxLog,
      call(ctx, level: number, msgPtr: number, msgLen: number) {
        ctx.memory.check(msgPtr, msgLen); // the whole range must be valid, even if cut below
        // Read the sandbox clock whether or not the message is admitted: in deterministic mode each
        // reading advances it, and what the guest sees must not depend on the host's real time.
        const time = Number(deps.realtimeNs() / NS_PER_MS);
        // The rate limit reads the host's real clock (inside the gate), never the sandbox's.
        if (!deps.logGate.admit()) return;
        const kept = Math.min(msgLen >>> 0, deps.logGate.maxMessageBytes);
        deps.logger({
          pluginId: ctx.pluginId,
          level: levelName(level),
          message: decodeMessage(ctx.memory.view(msgPtr, kept)),
          truncated: kept < msgLen >>> 0,
          time,
        });
      },
    },
  };
  if (deps.sandboxExec) functions.sandbox_exec = deps.sandboxExec;
  return defineRegistrar("platform_sandbox", functions);
}
