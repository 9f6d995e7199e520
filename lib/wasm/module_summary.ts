/**
 * What the runtime needs to know about a module before instantiating it —
 * imports (with memory/table limits and function signatures), exports,
 * module-defined memories and tables, and whether it has a start function —
 * read in one bounded pass without compiling anything. The same summary also
 * carries what the fuel rewriter needs (the section framing, the types, each
 * defined function's type, the global count and the start function), so a
 * module that is both checked and rewritten is parsed once.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { skipConstExpr } from "./const_expr.ts";
import {
  type MemoryLimits,
  readMemoryType,
  readTableType,
  type TableLimits,
} from "./limits.ts";
import { WasmReader } from "./reader.ts";
import { readSections, type SectionHeader, SectionId } from "./sections.ts";
import { type FuncType, readTypeEntry, readValType, type ValType } from "./value_types.ts";

export type { MemoryLimits, TableLimits } from "./limits.ts";
export type { FuncType, ValType } from "./value_types.ts";

/** The kind of an import or export. */
export type ExternalKind = "func" | "table" | "memory" | "global" | "tag";

/** The kinds in binary order (0 = func ... 4 = tag). */
export const EXTERNAL_KINDS: readonly ExternalKind[] = ["func", "table", "memory", "global", "tag"];

/** One import of the module. */
export interface ImportSummary {
  module: string;
  name: string;
  kind: ExternalKind;
  /** For a memory import: its declared limits. */
  memory?: MemoryLimits;
  /** For a table import: its declared limits. */
  table?: TableLimits;
  /** For a function (or tag) import: its signature. */
  funcType?: FuncType;
  /** For a global import: its type and mutability. */
  global?: { type: ValType; mutable: boolean };
}

/** One export of the module; `index` is in the index space of its kind. */
export interface ExportSummary {
  name: string;
  kind: ExternalKind;
  index: number;
}

/** The facts {@linkcode summarizeModule} returns. */
export interface ModuleSummary {
  imports: ImportSummary[];
  exports: ExportSummary[];
  /** Memories the module defines itself (imported ones are in `imports`). */
  memories: MemoryLimits[];
  /** Tables the module defines itself (imported ones are in `imports`). */
  tables: TableLimits[];
  /** True when the module has a start function, which runs while instantiating. */
  hasStart: boolean;
  /** The start function's index, when the module has one. */
  startFunction?: number;
  /** Every section in module order (framing only), as {@linkcode readSections} found them. */
  sections: readonly SectionHeader[];
  /** The type section's function types, in type-index order. */
  types: FuncType[];
  /** The type index of each function the module defines, in function-index order (after the imported ones). */
  functionTypes: number[];
  /** How many globals the module defines (imported ones are in `imports`). */
  definedGlobals: number;
}

/** The bytes each summary was read from, so a consumer can check it was given the summary of its own input. */
const sources = new WeakMap<ModuleSummary, Uint8Array>();

/**
 * True when `summary` is the {@linkcode summarizeModule} result of this very
 * `bytes` object (not merely of equal bytes): the fuel rewriter takes a
 * summary only under this condition, since a summary of another module would
 * give its injected globals the wrong indices.
 *
 * @example
 * ```ts
 * const summary = summarizeModule(bytes);
 * isSummaryOf(summary, bytes); // true
 * isSummaryOf(summary, bytes.slice()); // false
 * ```
 */
export function isSummaryOf(summary: ModuleSummary, bytes: Uint8Array): boolean {
  return sources.get(summary) === bytes;
}

function readKind(reader: WasmReader): ExternalKind {
  const start = reader.offset;
  const code = reader.readU8();
  const kind = EXTERNAL_KINDS[code];
  if (kind === undefined) throw reader.error(`unknown external kind 0x${code.toString(16)}`, start);
  return kind;
}

function lookupType(reader: WasmReader, types: FuncType[], index: number, at: number): FuncType {
  const type = types[index];
  if (type === undefined) throw reader.error(`type index ${index} is out of range (${types.length} types)`, at);
  return type;
}

function readImports(reader: WasmReader, types: FuncType[]): ImportSummary[] {
  const imports: ImportSummary[] = [];
  const count = reader.readCount(4);
  for (let i = 0; i < count; i++) {
    const module = reader.readName();
    const name = reader.readName();
    const kind = readKind(reader);
    const entry: ImportSummary = { module, name, kind };
    const at = reader.offset;
    switch (kind) {
      case "func":
        entry.funcType = lookupType(reader, types, reader.readU32(), at);
        break;
      case "table":
        entry.table = readTableType(reader);
        break;
      case "memory":
        entry.memory = readMemoryType(reader);
        break;
      case "global":
        entry.global = readGlobalType(reader);
        break;
      case "tag":
        if (reader.readU8() !== 0) throw reader.error("unknown tag attribute", at);
        entry.funcType = lookupType(reader, types, reader.readU32(), at);
        break;
    }
    imports.push(entry);
  }
  return imports;
}

function readGlobalType(reader: WasmReader): { type: ValType; mutable: boolean } {
  const type = readValType(reader);
  const at = reader.offset;
  const mutability = reader.readU8();
  if (mutability > 1) throw reader.error(`invalid global mutability ${mutability}`, at);
  return { type, mutable: mutability === 1 };
}

function readTables(reader: WasmReader): TableLimits[] {
  const tables: TableLimits[] = [];
  const count = reader.readCount(3);
  for (let i = 0; i < count; i++) {
    const at = reader.offset;
    if (reader.peekU8() === 0x40) {
      // A table with an explicit initialiser (function references): 0x40 0x00 type expr.
      reader.readU8();
      if (reader.readU8() !== 0) throw reader.error("invalid table initialiser prefix", at);
      tables.push(readTableType(reader));
      skipConstExpr(reader);
    } else {
      tables.push(readTableType(reader));
    }
  }
  return tables;
}

function readExports(reader: WasmReader): ExportSummary[] {
  const exports: ExportSummary[] = [];
  const seen = new Set<string>();
  const count = reader.readCount(3);
  for (let i = 0; i < count; i++) {
    const at = reader.offset;
    const name = reader.readName();
    if (seen.has(name)) throw reader.error(`duplicate export name ${JSON.stringify(name)}`, at);
    seen.add(name);
    const kind = readKind(reader);
    exports.push({ name, kind, index: reader.readU32() });
  }
  return exports;
}

/**
 * Summarises a module: imports, exports, defined memories and tables, start,
 * and the layout the fuel rewriter works from. Parses the type, import,
 * function, table, memory, tag, global, export and start sections, and skips
 * the others by their size.
 *
 * Throws `SandboxError("InvalidModule")` with the byte offset for anything
 * malformed (bad magic or version, truncation, overlong LEB128, a section that
 * overruns its size, invalid UTF-8 names) and for GC types, which the sandbox
 * does not support. It never throws anything else and never loops longer than
 * the input is long.
 *
 * @example
 * ```ts
 * const summary = summarizeModule(bytes);
 * const memory = summary.imports.find((i) => i.kind === "memory")?.memory;
 * ```
 */
export function summarizeModule(bytes: Uint8Array): ModuleSummary {
  try {
    const summary = summarize(bytes);
    sources.set(summary, bytes);
    return summary;
  } catch (err) {
    if (err instanceof SandboxError) throw err;
    // A bug here must still surface as the documented error, never a TypeError.
    throw new SandboxError("InvalidModule", `could not read the module: ${(err as Error).message}`, { cause: err });
  }
}

function summarize(bytes: Uint8Array): ModuleSummary {
  const sections = readSections(bytes);
  const types: FuncType[] = [];
  const summary: ModuleSummary = {
    imports: [],
    exports: [],
    memories: [],
    tables: [],
    hasStart: false,
    sections,
    types,
    functionTypes: [],
    definedGlobals: 0,
  };
  const reader = new WasmReader(bytes);
  for (const section of sections) {
    reader.offset = section.start;
    reader.end = section.end;
    const what = `section ${section.id}`;
    switch (section.id) {
      case SectionId.Type:
        reader.withEnd(section.end, what, () => {
          const count = reader.readCount(1);
          for (let i = 0; i < count; i++) types.push(readTypeEntry(reader));
        });
        break;
      case SectionId.Import:
        reader.withEnd(section.end, what, () => {
          summary.imports = readImports(reader, types);
        });
        break;
      case SectionId.Function:
        reader.withEnd(section.end, what, () => {
          const count = reader.readCount(1);
          for (let i = 0; i < count; i++) {
            const at = reader.offset;
            const index = reader.readU32();
            lookupType(reader, types, index, at);
            summary.functionTypes.push(index);
          }
        });
        break;
      case SectionId.Table:
        reader.withEnd(section.end, what, () => {
          summary.tables = readTables(reader);
        });
        break;
      case SectionId.Memory:
        reader.withEnd(section.end, what, () => {
          const count = reader.readCount(2);
          for (let i = 0; i < count; i++) summary.memories.push(readMemoryType(reader));
        });
        break;
      case SectionId.Tag:
        reader.withEnd(section.end, what, () => {
          const count = reader.readCount(2);
          for (let i = 0; i < count; i++) {
            const at = reader.offset;
            if (reader.readU8() !== 0) throw reader.error("unknown tag attribute", at);
            lookupType(reader, types, reader.readU32(), at);
          }
        });
        break;
      case SectionId.Global:
        reader.withEnd(section.end, what, () => {
          const count = reader.readCount(3);
          for (let i = 0; i < count; i++) {
            readGlobalType(reader);
            skipConstExpr(reader);
          }
          summary.definedGlobals = count;
        });
        break;
      case SectionId.Export:
        reader.withEnd(section.end, what, () => {
          summary.exports = readExports(reader);
        });
        break;
      case SectionId.Start:
        summary.startFunction = reader.withEnd(section.end, what, () => reader.readU32());
        summary.hasStart = true;
        break;
      default:
        break; // custom, element, code, data, data count: skipped by size
    }
  }
  return summary;
}
