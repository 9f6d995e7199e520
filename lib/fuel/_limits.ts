// Caps the memory and table limits a module declares. The caps bound all
// memories together and all tables together (multi-memory and many tables
// cannot multiply them): each gets a share (`shareLimit`), a maximum above
// its share comes down to it, a missing maximum becomes it, and initial sizes
// above the cap, alone or together, are refused, since the module could not
// even start.
import { SandboxError } from "../errors.ts";
import { readLimits, type RawLimits, shareLimit, type SizeLimits, totalInitial, writeLimits } from "../wasm/limits.ts";
import type { WasmReader } from "../wasm/reader.ts";
import type { WasmWriter } from "../wasm/writer.ts";

/** The caps to apply, each a total over all memories or all tables; `undefined` leaves that kind untouched. */
export interface LimitCaps {
  maxMemoryPages: number | undefined;
  maxTableElements: number | undefined;
}

/** Per memory and per table (imports first, in index order): the maximum to write. */
export interface LimitShares {
  memories: number[] | undefined;
  tables: number[] | undefined;
}

/** Shares each cap out over the module's memories and tables, refusing initial sizes that exceed it. */
export function planLimits(memories: readonly SizeLimits[], tables: readonly SizeLimits[], caps: LimitCaps): LimitShares {
  return {
    memories: share(memories, caps.maxMemoryPages, "memory", "memories", "pages", "maxMemoryPages"),
    tables: share(tables, caps.maxTableElements, "table", "tables", "elements", "maxTableElements"),
  };
}

function share(
  entries: readonly SizeLimits[],
  limit: number | undefined,
  kind: string,
  kinds: string,
  unit: string,
  option: string,
): number[] | undefined {
  if (limit === undefined) return undefined;
  entries.forEach((e, i) => {
    if (e.min > limit) {
      throw new SandboxError(
        "MemoryLimit",
        `${kind} ${i} starts at ${e.min} ${unit}, above the limit of ${limit} ${unit}; raise ${option} or shrink the module's initial size`,
      );
    }
  });
  const initial = totalInitial(entries);
  if (initial > limit) {
    throw new SandboxError(
      "MemoryLimit",
      `the module's ${entries.length} ${kinds} start at ${initial} ${unit} together, above the limit of ${limit} ${unit}, ` +
        `which bounds all ${kinds} together; raise ${option} or shrink the module's initial sizes`,
    );
  }
  return shareLimit(entries, limit);
}

function cap(limits: RawLimits, limit: number): RawLimits {
  return { ...limits, max: limits.max === undefined ? limit : Math.min(limits.max, limit) };
}

/** Reads a memory type and writes it back with maximum `limit` (unchanged when undefined). */
export function copyMemoryType(reader: WasmReader, out: WasmWriter, limit: number | undefined): void {
  const limits = readLimits(reader, "memory");
  writeLimits(out, limit === undefined ? limits : cap(limits, limit));
}

/** Reads a table type (reference type copied as is, then limits) and writes it back with maximum `limit`. */
export function copyTableType(reader: WasmReader, out: WasmWriter, limit: number | undefined, readRefType: () => void): void {
  const typeStart = reader.offset;
  readRefType();
  out.copyRange(reader.bytes, typeStart, reader.offset);
  const limits = readLimits(reader, "table");
  writeLimits(out, limit === undefined ? limits : cap(limits, limit));
}
