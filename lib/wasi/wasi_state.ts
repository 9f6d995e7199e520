/**
 * Everything the WASI host functions share for one guest instance.
 *
 * @module
 */
import type { AbiMemory } from "./_abi_memory.ts";
import type { RandomSource, WasiClock } from "./clocks.ts";
import type { VirtualFs } from "./fs_ops.ts";
import type { FdTable } from "./handles.ts";

/** The state behind one instance's `wasi_snapshot_preview1` imports. */
export interface WasiState {
  readonly memory: AbiMemory;
  readonly fds: FdTable;
  readonly fs: VirtualFs;
  /** argv, UTF-8 encoded, without terminators. */
  readonly args: readonly Uint8Array[];
  /** `KEY=VALUE` strings, UTF-8 encoded, without terminators. */
  readonly env: readonly Uint8Array[];
  readonly clock: WasiClock;
  readonly random: RandomSource;
  /** Sleeps (or advances a fake clock) for `ns`. */
  /** Lets `ns` of guest time pass: at once (deterministic clock), by blocking, or as a promise (`asyncSleep`). */
  sleep(ns: bigint): void | Promise<void>;
}

/** A host function as the guest imports it: numbers/bigints in, errno out. */
export type WasiFunction = (...args: never[]) => number | void | Promise<number | void>;
