/**
 * Runtime-wide configuration and its secure defaults.
 *
 * @module
 */

/** Configuration of a {@linkcode WasmSandboxRuntime}; every field has a safe default. */
export interface SandboxConfig {
  /** Largest module accepted, in bytes. Default 64 MiB. */
  maxModuleBytes: number;
  /** Cap on each linear memory, in 64 KiB pages. Default 256 (16 MiB). */
  maxMemoryPages: number;
  /** Cap on each table, in elements. Default 100 000. */
  maxTableElements: number;
  /** Deterministic call-depth limit; `undefined` leaves only V8's own stack limit. Default 10 000. */
  maxStackDepth: number | undefined;
  /** Fuel budget per sandbox (see docs/FUEL.md); `undefined` runs unmetered. Default unmetered. */
  fuel: bigint | undefined;
  /** Cap on captured stdout and on captured stderr, each, in bytes. Default 1 MiB. */
  maxOutputBytes: number;
  /** Total byte quota of each sandbox's virtual filesystem. Default 64 MiB. */
  fsQuotaBytes: number;
  /** Fixed clocks and seeded randomness for reproducible runs. Default false. */
  deterministic: boolean;
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

/** The defaults: nothing granted, everything bounded. */
export function defaultSandboxConfig(): SandboxConfig {
  return {
    maxModuleBytes: 64 << 20,
    maxMemoryPages: 256,
    maxTableElements: 100_000,
    maxStackDepth: 10_000,
    fuel: undefined,
    maxOutputBytes: 1 << 20,
    fsQuotaBytes: 64 << 20,
    deterministic: false,
    allowSharedMemory: false,
    allowPrecompiledModules: false,
    cacheDir: undefined,
  };
}
