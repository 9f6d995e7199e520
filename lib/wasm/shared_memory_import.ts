/**
 * Turns every memory of a module into a shared memory the host creates and
 * passes in. A worker-isolated plugin needs this: its host functions run on
 * the host thread, and only a shared memory can be read and written there
 * while the worker that runs the guest waits for the answer.
 *
 * Defined memories become imports (`wasm-sandbox` `memory0`, `memory1`, …,
 * by defined index); imported memories keep their names and become shared.
 * Memory indices do not change: imports come first in the memory index
 * space, and the new imports are appended after the existing ones in the
 * order of the memories they replace. Every other index space is untouched.
 *
 * The module must already be validated, its memories capped (so each has a
 * maximum) and its imports limited to functions and memories, as
 * `prepareModule` guarantees.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { readLimits, writeLimits } from "./limits.ts";
import type { RawLimits } from "./limits.ts";
import { WasmReader } from "./reader.ts";
import { readSections, SectionId, WASM_PREAMBLE } from "./sections.ts";
import { WasmWriter } from "./writer.ts";

/** The import module name of the memories that were defined by the module. */
export const SHARED_MEMORY_MODULE = "wasm-sandbox";

/** One memory the host must create (shared, with these limits) and pass as an import. */
export interface SharedMemoryImport {
  module: string;
  name: string;
  initial: number;
  maximum: number;
}

/** The rewritten module and the memories it now imports, in memory-index order. */
export interface SharedMemoryModule {
  bytes: Uint8Array;
  memories: SharedMemoryImport[];
}

const KIND_FUNC = 0, KIND_MEMORY = 2;

/**
 * Rewrites `bytes` so that all its memories are shared imports.
 *
 * @example
 * ```ts
 * const { bytes, memories } = importMemoriesAsShared(moduleBytes);
 * const imports = { [memories[0].module]: { [memories[0].name]: new WebAssembly.Memory({ ...memories[0], shared: true }) } };
 * ```
 */
export function importMemoriesAsShared(bytes: Uint8Array): SharedMemoryModule {
  const sections = readSections(bytes);
  const importSection = sections.find((s) => s.id === SectionId.Import);
  const memorySection = sections.find((s) => s.id === SectionId.Memory);
  const memories: SharedMemoryImport[] = [];

  const imports = new WasmWriter(256);
  let importCount = 0;
  if (importSection) {
    const reader = new WasmReader(bytes, importSection.start, importSection.end);
    const count = reader.readU32();
    for (let i = 0; i < count; i++) {
      const module = reader.readName();
      const name = reader.readName();
      const kind = reader.readU8();
      imports.writeName(module);
      imports.writeName(name);
      imports.writeU8(kind);
      if (kind === KIND_FUNC) {
        imports.writeU32(reader.readU32());
      } else if (kind === KIND_MEMORY) {
        const limits = sharedLimits(readLimits(reader, "memory"), `${module}.${name}`);
        writeLimits(imports, limits);
        memories.push({ module, name, initial: limits.min, maximum: limits.max! });
      } else {
        throw new SandboxError("InvalidModule", `import ${module}.${name} of kind ${kind} cannot be linked in worker isolation`);
      }
      importCount++;
    }
  }
  if (memorySection) {
    const reader = new WasmReader(bytes, memorySection.start, memorySection.end);
    const count = reader.readU32();
    for (let i = 0; i < count; i++) {
      const name = `memory${i}`;
      const limits = sharedLimits(readLimits(reader, "memory"), `memory ${i}`);
      imports.writeName(SHARED_MEMORY_MODULE);
      imports.writeName(name);
      imports.writeU8(KIND_MEMORY);
      writeLimits(imports, limits);
      memories.push({ module: SHARED_MEMORY_MODULE, name, initial: limits.min, maximum: limits.max! });
      importCount++;
    }
  }
  if (memories.length === 0) return { bytes, memories };

  const out = new WasmWriter(bytes.length + 64);
  out.writeBytes(WASM_PREAMBLE);
  const writeImportSection = () => {
    out.writeU8(SectionId.Import);
    const body = new WasmWriter(imports.length + 8);
    body.writeU32(importCount);
    body.copyRange(imports.buffer, 0, imports.length);
    out.writeU32(body.length);
    out.copyRange(body.buffer, 0, body.length);
  };
  let importWritten = false;
  for (const section of sections) {
    if (section.id === SectionId.Memory) continue;
    if (section.id === SectionId.Import) {
      writeImportSection();
      importWritten = true;
      continue;
    }
    // Without an import section, the new one goes right after the type section (or first).
    if (!importWritten && section.id !== SectionId.Custom && section.id !== SectionId.Type) {
      writeImportSection();
      importWritten = true;
    }
    out.copyRange(bytes, section.headerStart, section.end);
  }
  if (!importWritten) writeImportSection();
  return { bytes: out.toBytes(), memories };
}

function sharedLimits(limits: RawLimits, what: string): RawLimits {
  if (limits.is64) throw new SandboxError("InvalidModule", `${what} is a 64-bit memory, which is not supported`);
  if (limits.max === undefined) {
    throw new SandboxError("InvalidModule", `${what} has no maximum; the rewriter caps every memory before it is shared`);
  }
  return { min: limits.min, max: limits.max, shared: true, is64: false };
}
