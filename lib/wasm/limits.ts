/**
 * Memory and table types: their limits (initial and maximum size) as read
 * from and written to the binary format.
 *
 * Sizes are plain `number`s: memory sizes count 64 KiB pages and tables count
 * elements. For 32-bit memories and tables every value is below 2^32; for
 * memory64 the spec caps valid sizes at 2^48 pages, so a `number` is exact and
 * anything that does not fit in a safe integer is refused as invalid.
 *
 * @module
 */
import { unsupportedFeature } from "./feature_error.ts";
import type { WasmReader } from "./reader.ts";
import { readRefType, type ValType } from "./value_types.ts";
import type { WasmWriter } from "./writer.ts";

/** Size limits of a linear memory, in 64 KiB pages. */
export interface MemoryLimits {
  /** Initial size in pages. */
  min: number;
  /** Maximum size in pages, when declared. */
  max?: number;
  /** A shared memory (threads); always has a maximum. */
  shared: boolean;
  /** A 64-bit memory (memory64): addresses and sizes are i64. */
  memory64: boolean;
}

/** Size limits and element type of a table. */
export interface TableLimits {
  /** Initial size in elements. */
  min: number;
  /** Maximum size in elements, when declared. */
  max?: number;
  /** The element type, e.g. `"funcref"`. */
  elementType: ValType;
  /** A 64-bit table (memory64 proposal): indices are i64. */
  table64: boolean;
}

/** Limits as encoded, before they are given a memory or table meaning. */
export interface RawLimits {
  min: number;
  max?: number;
  shared: boolean;
  is64: boolean;
}

const FLAG_HAS_MAX = 0x01;
const FLAG_SHARED = 0x02;
const FLAG_64 = 0x04;
const FLAG_PAGE_SIZE = 0x08;

function readSize(reader: WasmReader, is64: boolean): number {
  const start = reader.offset;
  if (!is64) return reader.readU32();
  const value = reader.readU64();
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw reader.error(`64-bit limit ${value} is out of range`, start);
  return Number(value);
}

/** Reads a limits flag byte and sizes. `what` names the owner in errors. */
export function readLimits(reader: WasmReader, what: "memory" | "table"): RawLimits {
  const start = reader.offset;
  const flags = reader.readU8();
  if ((flags & FLAG_PAGE_SIZE) !== 0 && what === "memory") throw unsupportedFeature("custom page sizes", start);
  const known = what === "memory" ? FLAG_HAS_MAX | FLAG_SHARED | FLAG_64 : FLAG_HAS_MAX | FLAG_64;
  if ((flags & ~known) !== 0) throw reader.error(`invalid ${what} limits flags 0x${flags.toString(16)}`, start);
  const shared = (flags & FLAG_SHARED) !== 0;
  const hasMax = (flags & FLAG_HAS_MAX) !== 0;
  if (shared && !hasMax) throw reader.error("a shared memory must declare a maximum", start);
  const is64 = (flags & FLAG_64) !== 0;
  const min = readSize(reader, is64);
  if (!hasMax) return { min, shared, is64 };
  const max = readSize(reader, is64);
  return { min, max, shared, is64 };
}

/** Writes limits in their binary form (the inverse of {@linkcode readLimits}). */
export function writeLimits(writer: WasmWriter, limits: RawLimits): void {
  let flags = 0;
  if (limits.max !== undefined) flags |= FLAG_HAS_MAX;
  if (limits.shared) flags |= FLAG_SHARED;
  if (limits.is64) flags |= FLAG_64;
  writer.writeU8(flags);
  const sizes = limits.max === undefined ? [limits.min] : [limits.min, limits.max];
  for (const size of sizes) {
    if (limits.is64) writer.writeU64(BigInt(size));
    else writer.writeU32(size);
  }
}

/** Reads a memory type. */
export function readMemoryType(reader: WasmReader): MemoryLimits {
  const raw = readLimits(reader, "memory");
  const limits: MemoryLimits = { min: raw.min, shared: raw.shared, memory64: raw.is64 };
  if (raw.max !== undefined) limits.max = raw.max;
  return limits;
}

/** Reads a table type (element reference type, then limits). */
export function readTableType(reader: WasmReader): TableLimits {
  const elementType = readRefType(reader);
  const raw = readLimits(reader, "table");
  const limits: TableLimits = { min: raw.min, elementType, table64: raw.is64 };
  if (raw.max !== undefined) limits.max = raw.max;
  return limits;
}

/** The initial and (optional) maximum size of one memory or table, for {@linkcode shareLimit}. */
export interface SizeLimits {
  min: number;
  max?: number;
}

/**
 * Maxima for several memories (or several tables) that together stay within
 * `total`, so a module cannot multiply its cap by declaring many of them.
 * When the capped maxima fit, they are kept as they are (a single memory or
 * table simply gets `min(max, total)`); otherwise each gets
 * `clamp(level, min, max)` at the highest level for which the sum fits, so
 * small ones keep their size and large or unbounded ones share the rest.
 * Never below an initial size; the caller refuses modules whose initial
 * sizes alone exceed `total`.
 *
 * @example
 * ```ts
 * shareLimit([{ min: 128, max: 128 }, { min: 128 }], 1000); // [128, 872]
 * ```
 */
export function shareLimit(entries: readonly SizeLimits[], total: number): number[] {
  const wants = entries.map((e) => Math.max(e.min, Math.min(e.max ?? total, total)));
  const sum = (level: number) => entries.reduce((acc, e, i) => acc + Math.min(Math.max(level, e.min), wants[i]!), 0);
  if (wants.reduce((acc, w) => acc + w, 0) <= total) return wants;
  let low = 0;
  let high = total;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (sum(mid) <= total) low = mid;
    else high = mid - 1;
  }
  return entries.map((e, i) => Math.min(Math.max(low, e.min), wants[i]!));
}

/** The sum of the initial sizes. */
export function totalInitial(entries: readonly SizeLimits[]): number {
  return entries.reduce((acc, e) => acc + e.min, 0);
}
