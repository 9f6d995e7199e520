/**
 * Runtime-wide configuration and its secure defaults.
 *
 * @module
 */
import type { HostLogger } from "./host/guest_logger.ts";
import { stderrLogger } from "./host/guest_logger.ts";
import type { HttpClientOptions } from "./net/http_client.ts";
import type { SochProvider } from "./host/soch_namespace.ts";
import type { AuditLog } from "./audit/audit_log.ts";
import type { CostTable } from "./fuel/instrument.ts";

/**
 * Configuration of a {@linkcode WasmSandboxRuntime}; every field has a safe
 * default. One plugin may override any field in its `PluginOptions`.
 *
 * @example
 * ```ts
 * import { WasmSandboxRuntime } from "wasm-sandbox";
 *
 * const runtime = new WasmSandboxRuntime({ maxMemoryPages: 256, fuel: 100_000_000n, deterministic: true });
 * ```
 */
export interface SandboxConfig {
  /** Largest module accepted, in bytes. Default 64 MiB. */
  maxModuleBytes: number;
  /**
   * Cap on all linear memories together (imported ones included), in 64 KiB
   * pages. Default 4096 (256 MiB):
   * enough for real C, C++, Rust and Go programs, most of which declare more
   * than 16 MiB at start. The CLI's `--max-memory` / `--max-memory-pages` set it.
   */
  maxMemoryPages: number;
  /** Cap on all tables together, in elements. Default 100 000. */
  maxTableElements: number;
  /** Deterministic call-depth limit; `undefined` leaves only V8's own stack limit. Default 10 000. */
  maxStackDepth: number | undefined;
  /**
   * Fuel budget of each sandbox (docs/FUEL.md): calls draw from it until it
   * is spent, then fail with `OutOfFuel`; `addFuel()` / `setFuel()` refill
   * it, and a call may bring its own budget. `undefined` runs unmetered.
   * Default unmetered.
   */
  fuel: bigint | undefined;
  /** Overrides of the fuel cost model (default: Wasmtime's, 1 per operator). */
  fuelCosts: Partial<CostTable> | undefined;
  /**
   * Cap on stdout and on stderr, each, in bytes: what is captured and
   * streamed; beyond it output is dropped and `RunResult.stdoutTruncated` /
   * `stderrTruncated` say so. `Infinity` for no cap. Default 1 MiB.
   */
  maxOutputBytes: number;
  /** Total byte quota of each sandbox's virtual filesystem. Default 64 MiB. */
  fsQuotaBytes: number;
  /**
   * Total time a plugin may spend in WASI clock waits (`poll_oneoff`), in ms.
   * The waits never hold the host's thread; past the budget the call ends
   * with `Timeout`, uncatchably. Default 60 000.
   */
  maxSleepMs: number;
  /** Fixed clocks and seeded randomness for reproducible runs. Default false. */
  deterministic: boolean;
  /** Deterministic mode: where the clock starts, in ms since the epoch. Default 1 700 000 000 000. */
  clockStartMs: number;
  /** Deterministic mode: how far the clock moves on each read, in ms. Default 1. */
  clockStepMs: number;
  /** Deterministic mode: the seed of `random_get`. Default 0. */
  randomSeed: number;
  /**
   * The data behind the `soch` functions. Default: an empty in-memory
   * provider per runtime. An async one (`PgliteHostContextProvider`) makes
   * the soch functions async host functions.
   */
  provider: SochProvider | undefined;
  /** Where `log_message` output goes. Default: JSON lines on stderr. */
  logger: HostLogger;
  /**
   * How `platform_network.http_request` resolves names and which extra CAs
   * it trusts for https. Default: the system resolver and trust store. What
   * a plugin may reach is its `network:http` token's policy, never this.
   */
  httpClient: HttpClientOptions | undefined;
  /**
   * Receives a record of every host call of every plugin, WASI included,
   * allowed or denied. Default: an `AuditLog` keeping the last 10 000 records
   * in memory (`runtime.audit`); give one with sinks for a hash-chained file.
   * `false` records nothing (host calls are still counted in stats).
   */
  audit: AuditLog | false | undefined;
  /**
   * Measure each host call into its audit record: its own end time and its
   * `durationNs`. Default false: a record carries the time of the guest call
   * it happened in (one clock read per call, not two per host call) and
   * `durationNs` 0; records keep their order in `seq`. Deterministic mode
   * always uses its own clock (docs/AUDIT.md, "Receipts").
   */
  auditDurations: boolean;
  /** Accept shared (threads) memories. Default false: they would let memory outlive isolation. */
  allowSharedMemory: boolean;
  /**
   * Accept an already compiled `WebAssembly.Module` as a plugin source. Its bytes
   * cannot be inspected or rewritten, so memory, table, stack and fuel limits
   * cannot be enforced on it. Default false.
   */
  allowPrecompiledModules: boolean;
  /** Directory for the on-disk cache of rewritten modules; none by default. */
  cacheDir: string | undefined;
}

/** The default memory cap, in 64 KiB pages: 256 MiB. */
export const DEFAULT_MAX_MEMORY_PAGES = 4096;

/**
 * The defaults: nothing granted, everything bounded.
 *
 * @example
 * ```ts
 * import { defaultSandboxConfig } from "wasm-sandbox";
 *
 * console.log(defaultSandboxConfig().maxMemoryPages); // 4096 pages: 256 MiB
 * ```
 */
export function defaultSandboxConfig(): SandboxConfig {
  return {
    maxModuleBytes: 64 << 20,
    maxMemoryPages: DEFAULT_MAX_MEMORY_PAGES,
    maxTableElements: 100_000,
    maxStackDepth: 10_000,
    fuel: undefined,
    fuelCosts: undefined,
    maxOutputBytes: 1 << 20,
    fsQuotaBytes: 64 << 20,
    maxSleepMs: 60_000,
    deterministic: false,
    clockStartMs: 1_700_000_000_000,
    clockStepMs: 1,
    randomSeed: 0,
    provider: undefined,
    logger: stderrLogger,
    httpClient: undefined,
    audit: undefined,
    auditDurations: false,
    allowSharedMemory: false,
    allowPrecompiledModules: false,
    cacheDir: undefined,
  };
}
