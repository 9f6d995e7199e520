/**
 * The fuel and limits rewriter. `instrument()` takes a module's bytes and
 * returns a standalone module (no new imports) that
 *
 * - meters fuel: a module-defined mutable i64 global holds the remaining
 *   fuel; each function caches it in a local, charges the statically summed
 *   cost of each stretch of straight-line code where that stretch ends, and
 *   checks it at function entry and at loop headers. Out of fuel, it sets the
 *   trap-reason global to 1 and executes `unreachable`;
 * - limits call depth (with `maxStackDepth`): a depth global counts frames;
 *   past the limit it sets the trap-reason global to 2 and traps;
 * - caps all memories together at `maxMemoryPages` and all tables together
 *   at `maxTableElements`.
 *
 * Sections it does not change are copied byte for byte, and the result is
 * checked with `WebAssembly.validate` before it is returned. See docs/FUEL.md.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { skipConstExpr } from "../wasm/const_expr.ts";
import { isUnsupportedFeature } from "../wasm/feature_error.ts";
import { isSummaryOf, type ModuleSummary, summarizeModule } from "../wasm/module_summary.ts";
import { WasmReader } from "../wasm/reader.ts";
import { type SectionHeader, SectionId, sectionRank, WASM_PREAMBLE } from "../wasm/sections.ts";
import { assertValidModule } from "../wasm/validate.ts";
import { encodeValType, type FuncType, readRefType, readValType } from "../wasm/value_types.ts";
import { WasmWriter } from "../wasm/writer.ts";
import { BodyRewriter, type FunctionShape } from "./_body_rewriter.ts";
import { type CostTable, resolveCosts } from "./cost_table.ts";
import { layoutOf } from "./_layout.ts";
import { copyMemoryType, copyTableType, type LimitCaps, planLimits } from "./_limits.ts";

export type { CostTable } from "./cost_table.ts";

/**
 * Export name of the injected fuel global: a mutable i64 holding the
 * remaining fuel. The host sets it before a call and reads it after; the
 * fuel consumed by the call is the difference. It may end slightly below
 * zero (see docs/FUEL.md): treat a negative value as exhausted.
 */
export const FUEL_GLOBAL_EXPORT = "__wasm_sandbox_fuel";

/**
 * Export name of the injected trap-reason global: a mutable i32 that is 0
 * until injected code traps, then 1 (out of fuel) or 2 (call depth exceeded).
 * A trap with the global at 0 is the guest's own. The host resets it to 0
 * after handling a trap.
 */
export const TRAP_REASON_GLOBAL_EXPORT = "__wasm_sandbox_trap_reason";

/**
 * Export name of the injected call-depth global: a mutable i32 counting the
 * guest frames currently on the stack. A trap or an exception that escapes
 * to the host skips the decrements, so the host resets it to 0 after any
 * call that did not return normally.
 */
export const DEPTH_GLOBAL_EXPORT = "__wasm_sandbox_depth";

/**
 * Export name of the module's start function when `exportStart` is set: the
 * start section is removed and the host calls this export itself, after
 * setting the fuel budget, so the start function draws on the same budget
 * as every later call and its traps can be told apart.
 */
export const START_EXPORT = "__wasm_sandbox_start";

/**
 * Changes whenever the rewriter's output for the same input and options
 * changes, so caches of rewritten modules keyed by it never serve an older
 * rewrite (2: input validated, operand-charged operations checked, totals
 * over all memories and tables, exported start function).
 */
export const REWRITER_VERSION = 2;

/** What {@linkcode instrument} injects and caps. */
export interface InstrumentOptions {
  /** Inject fuel metering. Default true. */
  fuel?: boolean;
  /** Cost model overrides, merged into the default (see {@linkcode CostTable}). */
  costs?: Partial<CostTable>;
  /** Inject a call-depth limit of this many guest frames (1 to 2^31 - 1). */
  maxStackDepth?: number;
  /**
   * Cap all memories together (imported ones included) at this many 64 KiB
   * pages (0 to 65536): with several memories, each gets a share.
   */
  maxMemoryPages?: number;
  /** Cap all tables together (imported ones included) at this many elements. */
  maxTableElements?: number;
  /**
   * Initial value of the fuel global: the budget of the start function,
   * which runs while instantiating, before the host can set the global.
   * Default 0n (a start function that loops then runs out of fuel).
   */
  initialFuel?: bigint;
  /**
   * Check the output with `WebAssembly.validate` (default true). The input is
   * always validated first, whatever this says.
   */
  validate?: boolean;
  /**
   * Remove the start section and export the start function as
   * {@linkcode START_EXPORT} instead, for a host that runs it itself under
   * its fuel budget (default false: the start function runs while
   * instantiating, on `initialFuel`).
   */
  exportStart?: boolean;
  /**
   * Merge charges where the totals stay exact: the common part of an
   * if/else's arms is charged before the `if`, and a loop header's charge
   * moves to the loop's entry and its unconditional back-edges (default
   * true). `false` gives one charge per segment, for comparison.
   */
  mergeSegments?: boolean;
  /**
   * The {@linkcode summarizeModule} result of these same, unchanged bytes
   * (the same `Uint8Array` object), when the caller has already made it:
   * the rewriter then works from it instead of parsing the sections again.
   * A summary of any other object is refused with `InvalidArgument`.
   */
  summary?: ModuleSummary;
}

function checkInteger(name: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SandboxError("InvalidArgument", `${name} must be an integer between ${min} and ${max}, got ${value}`);
  }
}

/**
 * Instruments a module. Returns new bytes; the input is not modified.
 *
 * Throws `SandboxError` with code `InvalidModule` for malformed or invalid
 * modules and for features the rewriter does not support (GC, memory64:
 * the message names the feature), `MemoryLimit` when a memory or table starts
 * above its cap, and `InvalidArgument` for bad options.
 *
 * @example
 * ```ts
 * const metered = instrument(bytes, { maxStackDepth: 10_000, maxMemoryPages: 256 });
 * const { instance } = await WebAssembly.instantiate(metered, imports);
 * const fuel = instance.exports[FUEL_GLOBAL_EXPORT] as WebAssembly.Global;
 * fuel.value = 1_000_000n;
 * (instance.exports.run as () => void)();
 * const consumed = 1_000_000n - (fuel.value as bigint);
 * ```
 */
export function instrument(wasm: Uint8Array, options: InstrumentOptions = {}): Uint8Array {
  const meterFuel = options.fuel ?? true;
  checkInteger("maxStackDepth", options.maxStackDepth, 1, 2 ** 31 - 1);
  checkInteger("maxMemoryPages", options.maxMemoryPages, 0, 65536);
  checkInteger("maxTableElements", options.maxTableElements, 0, 2 ** 32 - 1);
  const initialFuel = options.initialFuel ?? 0n;
  if (typeof initialFuel !== "bigint" || BigInt.asIntN(64, initialFuel) !== initialFuel) {
    throw new SandboxError("InvalidArgument", "initialFuel must be a bigint in the i64 range");
  }
  const costs = resolveCosts(options.costs);
  // A plain view: Node's Buffer makes every subarray() much slower.
  const input = new Uint8Array(wasm.buffer, wasm.byteOffset, wasm.byteLength);
  const settings: RewriteSettings = {
    meterFuel,
    costs,
    maxStackDepth: options.maxStackDepth,
    caps: { maxMemoryPages: options.maxMemoryPages, maxTableElements: options.maxTableElements },
    initialFuel,
    mergeSegments: options.mergeSegments ?? true,
    exportStart: options.exportStart ?? false,
    summary: options.summary,
  };
  if (options.summary !== undefined && !isSummaryOf(options.summary, wasm)) {
    throw new SandboxError("InvalidArgument", "options.summary must be summarizeModule() of the very bytes passed to instrument()");
  }
  checkInput(input, settings);
  const output = rewriteChecked(input, settings);
  if (options.validate !== false) checkOutput(output);
  return output;
}

/**
 * Refuses any module the engine rejects, before it is rewritten: the injected
 * globals and locals get the first indices past the module's own, so an
 * invalid module naming them would turn valid once rewritten and control its
 * own fuel, depth and trap reason. Only valid modules reach the rewriter,
 * which makes those indices unreachable by construction.
 */
function checkInput(input: Uint8Array, settings: RewriteSettings): void {
  try {
    assertValidModule(input);
  } catch (invalid) {
    // The engine may reject a feature the rewriter refuses anyway (memory64
    // on Node 20): the rewriter names it, which helps more. Its output, if
    // any, is thrown away.
    try {
      rewriteModule(input, settings);
    } catch (err) {
      if (isUnsupportedFeature(err)) throw err;
    }
    throw invalid;
  }
}

function rewriteChecked(input: Uint8Array, settings: RewriteSettings): Uint8Array {
  try {
    return rewriteModule(input, settings);
  } catch (err) {
    if (err instanceof SandboxError) throw err;
    // Hostile input must never escape as a TypeError or RangeError.
    throw new SandboxError("InvalidModule", `could not rewrite the module: ${(err as Error).message}`, { cause: err });
  }
}

/** The input was valid, so an invalid output is the rewriter's fault. */
function checkOutput(output: Uint8Array): void {
  if (WebAssembly.validate(output as Uint8Array<ArrayBuffer>)) return;
  throw new SandboxError(
    "InvalidModule",
    "the rewriter produced an invalid module from a valid one; this is a bug in wasm-sandbox, please report it with the module",
  );
}

interface RewriteSettings {
  meterFuel: boolean;
  costs: ReturnType<typeof resolveCosts>;
  maxStackDepth: number | undefined;
  caps: LimitCaps;
  initialFuel: bigint;
  mergeSegments: boolean;
  exportStart: boolean;
  /** The input's summary, when the caller made it; otherwise the rewriter makes it. */
  summary: ModuleSummary | undefined;
}

function rewriteModule(bytes: Uint8Array, settings: RewriteSettings): Uint8Array {
  const layout = layoutOf(settings.summary ?? summarizeModule(bytes));
  const sections = layout.sections;
  const instrumentCode = settings.meterFuel || settings.maxStackDepth !== undefined;
  const capLimits = settings.caps.maxMemoryPages !== undefined || settings.caps.maxTableElements !== undefined;
  const shares = planLimits(layout.memories, layout.tables, settings.caps);
  let memoryIndex = 0;
  let tableIndex = 0;

  // Exports added after the module's own: the injected globals, and the
  // start function when the host is to run it.
  const fuelGlobal = layout.importedGlobals + layout.definedGlobals;
  const injectedExports: Array<{ name: string; kind: number; index: number }> = [];
  if (instrumentCode) {
    injectedExports.push(
      { name: FUEL_GLOBAL_EXPORT, kind: 0x03, index: fuelGlobal },
      { name: TRAP_REASON_GLOBAL_EXPORT, kind: 0x03, index: fuelGlobal + 1 },
      { name: DEPTH_GLOBAL_EXPORT, kind: 0x03, index: fuelGlobal + 2 },
    );
  }
  const moveStart = settings.exportStart && layout.startFunction !== undefined;
  if (moveStart) injectedExports.push({ name: START_EXPORT, kind: 0x00, index: layout.startFunction! });
  if (injectedExports.length > 0) {
    for (const { name } of injectedExports) {
      if (layout.exportNames.has(name)) {
        throw new SandboxError("InvalidModule", `the module already exports ${JSON.stringify(name)}, a name the sandbox reserves`);
      }
    }
  }

  // Each function body is wrapped in a block so that branches to the
  // function's own label still pass through the epilogue; a multi-value
  // result needs a [] -> results type for that block.
  const extraTypes: FuncType[] = [];
  const shapes: FunctionShape[] = [];
  if (instrumentCode) {
    const byResults = new Map<string, Uint8Array>();
    for (const typeIndex of layout.functionTypes) {
      const type = layout.types[typeIndex]!;
      const key = type.results.join(",");
      let blockType = byResults.get(key);
      if (blockType === undefined) {
        const encoded: number[] = [];
        if (type.results.length === 0) encoded.push(0x40);
        else if (type.results.length === 1) encodeValType(type.results[0]!, encoded);
        else {
          const writer = new WasmWriter(16);
          writer.writeS64(layout.types.length + extraTypes.length);
          encoded.push(...writer.toBytes());
          extraTypes.push({ params: [], results: type.results });
        }
        blockType = new Uint8Array(encoded);
        byResults.set(key, blockType);
      }
      shapes.push({ index: layout.importedFunctions + shapes.length, paramCount: type.params.length, wrapperBlockType: blockType });
    }
  }

  const targets = {
    fuelGlobal,
    reasonGlobal: fuelGlobal + 1,
    depthGlobal: fuelGlobal + 2,
    maxStackDepth: settings.maxStackDepth,
  };

  const out = new WasmWriter(Math.ceil(bytes.length * 1.4) + 256);
  out.writeBytes(WASM_PREAMBLE);
  const reader = new WasmReader(bytes);
  let globalsWritten = !instrumentCode;
  let exportsWritten = injectedExports.length === 0;

  const section = (id: number, body: () => void) => {
    out.writeU8(id);
    const start = out.length;
    body();
    out.prefixSize(start);
  };
  const writeInjectedGlobals = () => {
    out.writeU8(0x7e); // i64, mutable, = initialFuel
    out.writeU8(1);
    out.writeU8(0x42);
    out.writeS64(settings.initialFuel);
    out.writeU8(0x0b);
    for (let i = 0; i < 2; i++) {
      out.writeBytes(new Uint8Array([0x7f, 1, 0x41, 0, 0x0b])); // i32, mutable, = 0
    }
  };
  const writeInjectedExports = () => {
    for (const { name, kind, index } of injectedExports) {
      out.writeName(name);
      out.writeU8(kind);
      out.writeU32(index);
    }
  };
  const copyVerbatim = (s: SectionHeader) => out.copyRange(bytes, s.headerStart, s.end);
  let codeSizeAt = 0;

  for (const s of sections) {
    const rank = sectionRank(s.id);
    if (!globalsWritten && rank > sectionRank(SectionId.Global)) {
      section(SectionId.Global, () => {
        out.writeU32(3);
        writeInjectedGlobals();
      });
      globalsWritten = true;
    }
    if (!exportsWritten && rank > sectionRank(SectionId.Export)) {
      section(SectionId.Export, () => {
        out.writeU32(injectedExports.length);
        writeInjectedExports();
      });
      exportsWritten = true;
    }
    reader.offset = s.start;
    reader.end = s.end;
    switch (s.id) {
      case SectionId.Type:
        if (extraTypes.length === 0) {
          copyVerbatim(s);
          break;
        }
        section(SectionId.Type, () => {
          const count = reader.readU32();
          out.writeU32(count + extraTypes.length);
          out.copyRange(bytes, reader.offset, s.end);
          for (const type of extraTypes) {
            out.writeU8(0x60);
            out.writeU32(0);
            out.writeU32(type.results.length);
            const encoded: number[] = [];
            for (const result of type.results) encodeValType(result, encoded);
            out.writeBytes(new Uint8Array(encoded));
          }
        });
        break;
      case SectionId.Import:
        if (!capLimits || !layout.hasMemoryOrTableImport) {
          copyVerbatim(s);
          break;
        }
        section(SectionId.Import, () => {
          const count = reader.readU32();
          out.writeU32(count);
          for (let i = 0; i < count; i++) {
            const entryStart = reader.offset;
            reader.readName(); // module
            reader.readName(); // name
            const kind = reader.readU8();
            if (kind === 1 || kind === 2) out.copyRange(bytes, entryStart, reader.offset);
            if (kind === 2) copyMemoryType(reader, out, shares.memories?.[memoryIndex++]);
            else if (kind === 1) copyTableType(reader, out, shares.tables?.[tableIndex++], () => readRefType(reader));
            else {
              if (kind === 0) reader.readU32();
              else if (kind === 3) {
                readValType(reader);
                reader.readU8();
              } else {
                reader.readU8();
                reader.readU32();
              }
              out.copyRange(bytes, entryStart, reader.offset);
            }
          }
        });
        break;
      case SectionId.Table:
        if (settings.caps.maxTableElements === undefined) {
          copyVerbatim(s);
          break;
        }
        section(SectionId.Table, () => {
          const count = reader.readU32();
          out.writeU32(count);
          for (let i = 0; i < count; i++) {
            const limit = shares.tables?.[tableIndex++];
            if (reader.peekU8() === 0x40) {
              // Table with an initialiser: 0x40 0x00 tabletype expr.
              out.copyRange(bytes, reader.offset, reader.offset + 2);
              reader.skip(2);
              copyTableType(reader, out, limit, () => readRefType(reader));
              const exprStart = reader.offset;
              skipConstExpr(reader);
              out.copyRange(bytes, exprStart, reader.offset);
            } else {
              copyTableType(reader, out, limit, () => readRefType(reader));
            }
          }
        });
        break;
      case SectionId.Memory:
        if (settings.caps.maxMemoryPages === undefined) {
          copyVerbatim(s);
          break;
        }
        section(SectionId.Memory, () => {
          const count = reader.readU32();
          out.writeU32(count);
          for (let i = 0; i < count; i++) copyMemoryType(reader, out, shares.memories?.[memoryIndex++]);
        });
        break;
      case SectionId.Global:
        if (globalsWritten) {
          copyVerbatim(s);
          break;
        }
        section(SectionId.Global, () => {
          const count = reader.readU32();
          out.writeU32(count + 3);
          out.copyRange(bytes, reader.offset, s.end);
          writeInjectedGlobals();
        });
        globalsWritten = true;
        break;
      case SectionId.Export:
        if (exportsWritten) {
          copyVerbatim(s);
          break;
        }
        section(SectionId.Export, () => {
          const count = reader.readU32();
          out.writeU32(count + injectedExports.length);
          out.copyRange(bytes, reader.offset, s.end);
          writeInjectedExports();
        });
        exportsWritten = true;
        break;
      case SectionId.Start:
        // Exported instead: the host runs it under its budget.
        if (!moveStart) copyVerbatim(s);
        break;
      case SectionId.Code:
        if (!instrumentCode) {
          copyVerbatim(s);
          break;
        }
        out.writeU8(SectionId.Code);
        codeSizeAt = out.reservePaddedSize();
        {
          const count = reader.readCount(1);
          if (count !== shapes.length) {
            throw reader.error(`the code section has ${count} bodies for ${shapes.length} declared functions`, s.start);
          }
          out.writeU32(count);
          const rewriter = new BodyRewriter(bytes, out, {
            targets,
            costs: settings.costs,
            meterFuel: settings.meterFuel,
            mergeSegments: settings.mergeSegments,
          });
          for (let i = 0; i < count; i++) {
            const size = reader.readU32();
            const bodyStart = reader.offset;
            reader.skip(size);
            const bodyStartOut = out.length;
            rewriter.rewrite(bodyStart, bodyStart + size, shapes[i]!);
            out.prefixSize(bodyStartOut);
          }
          if (!reader.atEnd) throw reader.error("bytes after the last function body");
        }
        out.patchPaddedSize(codeSizeAt);
        break;
      default:
        copyVerbatim(s);
    }
  }
  if (!globalsWritten) {
    section(SectionId.Global, () => {
      out.writeU32(3);
      writeInjectedGlobals();
    });
  }
  if (!exportsWritten) {
    section(SectionId.Export, () => {
      out.writeU32(injectedExports.length);
      writeInjectedExports();
    });
  }
  return out.finish();
}
