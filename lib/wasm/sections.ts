/**
 * The module preamble and section framing: splits a module into sections,
 * checking the magic number, the version, each section's size and the order
 * the spec requires. Section contents are left to the callers.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { WasmReader } from "./reader.ts";

/** Section ids of the binary format. */
export const SectionId = {
  Custom: 0,
  Type: 1,
  Import: 2,
  Function: 3,
  Table: 4,
  Memory: 5,
  Global: 6,
  Export: 7,
  Start: 8,
  Element: 9,
  Code: 10,
  Data: 11,
  DataCount: 12,
  Tag: 13,
} as const;

/**
 * Where each non-custom section may appear: the tag section sits between
 * memory and global, data-count between element and code.
 */
const SECTION_RANK: Record<number, number> = {
  1: 1,
  2: 2,
  3: 3,
  4: 4,
  5: 5,
  13: 6,
  6: 7,
  7: 8,
  8: 9,
  9: 10,
  12: 11,
  10: 12,
  11: 13,
};

/**
 * Where a section of id `id` stands in the order the spec requires (1 for
 * the type section up to 13 for the data section); 0 for a custom section,
 * which may appear anywhere. A writer that adds a section uses this to put it
 * in its place.
 *
 * @example
 * ```ts
 * sectionRank(SectionId.Tag) < sectionRank(SectionId.Global); // true
 * ```
 */
export function sectionRank(id: number): number {
  return SECTION_RANK[id] ?? 0;
}

/** One section: its id and where its header and content lie in the module. */
export interface SectionHeader {
  id: number;
  /** Offset of the id byte. */
  headerStart: number;
  /** Offset of the first content byte. */
  start: number;
  /** Offset one past the last content byte. */
  end: number;
}

/** The 8-byte preamble of a core module, version 1. */
export const WASM_PREAMBLE: Uint8Array = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

/**
 * Reads the preamble and every section header of `bytes`.
 *
 * @example
 * ```ts
 * const sections = readSections(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
 * sections.length; // 0
 * ```
 */
export function readSections(bytes: Uint8Array): SectionHeader[] {
  if (bytes.length < 8) {
    throw new SandboxError("InvalidModule", `not a WebAssembly module: ${bytes.length} bytes is shorter than the 8-byte header`, { offset: 0 });
  }
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== WASM_PREAMBLE[i]) {
      throw new SandboxError("InvalidModule", "not a WebAssembly module: bad magic number (expected \\0asm)", { offset: i });
    }
  }
  for (let i = 4; i < 8; i++) {
    if (bytes[i] !== WASM_PREAMBLE[i]) {
      const isComponent = bytes[4] === 0x0d && bytes[6] === 0x01;
      const what = isComponent ? "a WebAssembly component, not a core module" : "an unsupported WebAssembly version";
      throw new SandboxError("InvalidModule", `the binary is ${what}; only core modules of version 1 are accepted`, { offset: i });
    }
  }
  const reader = new WasmReader(bytes, 8);
  const sections: SectionHeader[] = [];
  let lastRank = 0;
  while (!reader.atEnd) {
    const headerStart = reader.offset;
    const id = reader.readU8();
    const size = reader.readU32();
    const start = reader.offset;
    if (size > reader.remaining) {
      throw reader.error(`section ${id} declares ${size} bytes but only ${reader.remaining} remain`, headerStart);
    }
    if (id !== SectionId.Custom) {
      const rank = sectionRank(id);
      if (rank === 0) throw reader.error(`unknown section id ${id}`, headerStart);
      if (rank <= lastRank) throw reader.error(`section ${id} is duplicated or out of order`, headerStart);
      lastRank = rank;
    }
    reader.skip(size);
    sections.push({ id, headerStart, start, end: start + size });
  }
  return sections;
}
