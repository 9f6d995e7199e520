/**
 * The shapes the runtime reports: plugin information and statistics.
 *
 * @module
 */
import type { SandboxState } from "./state.ts";

/**
 * Information about a loaded plugin.
 *
 * @example
 * ```ts
 * for (const info of runtime.listPlugins()) console.log(info.id, info.state, info.capabilities.join(","));
 * ```
 */
export interface PluginInfo {
  id: string;
  /** SHA-256 of the module bytes as loaded ("" for a precompiled module). */
  hash: string;
  /** Where it was loaded from: a path, a URL, `<bytes>` or `<module>`. */
  origin: string;
  state: SandboxState;
  /** Function exports the host may call. */
  exports: string[];
  /** Imports as `namespace.name`. */
  imports: string[];
  /** Capabilities granted to it. */
  capabilities: string[];
  /** True when it exports `_start` (a WASI command). */
  isCommand: boolean;
  /** True when fuel metering was injected. */
  metered: boolean;
  /**
   * Where its guest code runs: `"in-process"` (this thread, synchronous),
   * `"jspi"` (this thread, suspending on async host functions) or `"worker"`.
   */
  mode: "in-process" | "jspi" | "worker";
  loadedAt: Date;
}

/**
 * Statistics for one sandbox.
 *
 * @example
 * ```ts
 * const { calls, hostCalls, deniedHostCalls, memoryPeakBytes, fuelConsumed } = plugin.stats();
 * ```
 */
export interface SandboxStats {
  state: SandboxState;
  calls: number;
  traps: number;
  hostCalls: number;
  deniedHostCalls: number;
  /** Total wall time spent inside guest calls, in milliseconds. */
  callTimeMs: number;
  memoryBytes: number;
  memoryPeakBytes: number;
  /** Fuel consumed since load (0 when unmetered). */
  fuelConsumed: bigint;
  /** Fuel left, or undefined when unmetered. */
  fuelRemaining: bigint | undefined;
  resets: number;
  /** `log_message` calls dropped by the rate limit. */
  logMessagesDropped: number;
  /** Commands run through `sandbox_exec` since load (or the last `resetExecutionCount()`). */
  executions: number;
}

/**
 * Statistics for the whole runtime.
 *
 * @example
 * ```ts
 * const { plugins, modulesCompiled, moduleCacheHits, traps } = runtime.stats();
 * ```
 */
export interface SandboxRuntimeStats {
  plugins: number;
  pluginsLoaded: number;
  pluginsUnloaded: number;
  modulesCompiled: number;
  moduleCacheHits: number;
  calls: number;
  traps: number;
  hostCalls: number;
}
