// Caps the memory and table limits a module declares: a maximum above the
// limit comes down to it, a missing maximum becomes the limit, and an initial
// size above it is refused, since the module could not even start.
import { SandboxError } from "../errors.ts";
import { readLimits, type RawLimits, writeLimits } from "../wasm/limits.ts";
import type { WasmReader } from "../wasm/reader.ts";
import type { WasmWriter } from "../wasm/writer.ts";

/** The caps to apply; `undefined` leaves that kind untouched. */
export interface LimitCaps {
  maxMemoryPages: number | undefined;
  maxTableElements: number | undefined;
}

function cap(limits: RawLimits, limit: number, what: string, unit: string, option: string): RawLimits {
  if (limits.min > limit) {
    throw new SandboxError(
      "MemoryLimit",
      `${what} starts at ${limits.min} ${unit}, above the limit of ${limit} ${unit}; raise ${option} or shrink the module's initial size`,
    );
  }
  const max = limits.max === undefined ? limit : Math.min(limits.max, limit);
  return { ...limits, max };
}

/** Reads a memory type and writes it back capped. */
export function copyMemoryType(reader: WasmReader, out: WasmWriter, caps: LimitCaps, what: string): void {
  const limits = readLimits(reader, "memory");
  const limit = caps.maxMemoryPages;
  writeLimits(out, limit === undefined ? limits : cap(limits, limit, what, "pages", "maxMemoryPages"));
}

/** Reads a table type (reference type copied as is, then limits) and writes it back capped. */
export function copyTableType(reader: WasmReader, out: WasmWriter, caps: LimitCaps, what: string, readRefType: () => void): void {
  const typeStart = reader.offset;
  readRefType();
  out.copyRange(reader.bytes, typeStart, reader.offset);
  const limits = readLimits(reader, "table");
  const limit = caps.maxTableElements;
  writeLimits(out, limit === undefined ? limits : cap(limits, limit, what, "elements", "maxTableElements"));
}
