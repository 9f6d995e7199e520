/**
 * Turns plugin bytes into a {@linkcode PreparedModule}: validated, limits
 * applied, compiled. The result depends only on the bytes and the options, so
 * the runtime caches it by their hash.
 *
 * @module
 */
import type { SandboxConfig } from "../config.ts";
import { SandboxError } from "../errors.ts";
import { instrument, REWRITER_VERSION } from "../fuel/instrument.ts";
import type { CostTable } from "../fuel/instrument.ts";
import { type MemoryLimits, shareLimit, totalInitial } from "../wasm/limits.ts";
import { summarizeModule } from "../wasm/module_summary.ts";
import type { FuncType, ModuleSummary } from "../wasm/module_summary.ts";
import { assertValidModule } from "../wasm/validate.ts";

/** A compiled, checked module ready to instantiate (shared by every sandbox of the same plugin bytes). */
export interface PreparedModule {
  module: WebAssembly.Module;
  hash: string;
  imports: WebAssembly.ModuleImportDescriptor[];
  exports: WebAssembly.ModuleExportDescriptor[];
  /** Signatures of the function imports, keyed `module\0name` (absent for precompiled modules). */
  importSignatures?: ReadonlyMap<string, FuncType>;
  /** Memories the module imports, to be created by the host with the limit applied. */
  importedMemories: Array<{ module: string; name: string; initial: number; maximum: number; shared: boolean }>;
  metered: boolean;
  /** The rewritten bytes (absent for precompiled modules): worker isolation derives its shared-memory variant from them. */
  rewritten?: Uint8Array;
}

/** What changes the compiled result: part of the cache key. */
export interface PrepareOptions {
  maxMemoryPages: number;
  maxTableElements: number;
  maxStackDepth: number | undefined;
  /**
   * Inject fuel metering. The start function is exported instead of run while
   * instantiating, so the sandbox runs it under the plugin's own budget.
   */
  metered: boolean;
  fuelCosts: Partial<CostTable> | undefined;
  allowSharedMemory: boolean;
}

/** The rewrite options a runtime configuration implies: the runtime and `wasm-sandbox instrument` both use this. */
export function prepareOptionsFrom(config: SandboxConfig, metered = config.fuel !== undefined): PrepareOptions {
  return {
    maxMemoryPages: config.maxMemoryPages,
    maxTableElements: config.maxTableElements,
    maxStackDepth: config.maxStackDepth,
    metered,
    fuelCosts: config.fuelCosts,
    allowSharedMemory: config.allowSharedMemory,
  };
}

/** A stable string of the options, for cache keys. */
export function prepareOptionsKey(options: PrepareOptions): string {
  return JSON.stringify([
    REWRITER_VERSION,
    options.maxMemoryPages,
    options.maxTableElements,
    options.maxStackDepth ?? null,
    options.metered,
    options.fuelCosts ?? null,
    options.allowSharedMemory,
  ]);
}

/**
 * The rewrite every module gets: memory and table maxima capped (so
 * `memory.grow` past the limit returns -1), the start function exported for
 * the sandbox to run, and, as configured, the call-depth limit and fuel
 * metering (docs/FUEL.md). `summary`, when given, is `summarizeModule(bytes)`:
 * the rewriter works from it instead of parsing the module again.
 */
export function rewriteModule(bytes: Uint8Array, options: PrepareOptions, summary?: ModuleSummary): Uint8Array {
  return instrument(bytes, {
    fuel: options.metered,
    costs: options.fuelCosts,
    maxStackDepth: options.maxStackDepth,
    maxMemoryPages: options.maxMemoryPages,
    maxTableElements: options.maxTableElements,
    exportStart: true,
    // Compiling validates the output anyway (and reports a failure as ours).
    validate: false,
    summary,
  });
}

/**
 * Validates, checks limits, rewrites (or takes the already rewritten bytes
 * from `rewritten`, e.g. an on-disk cache) and compiles `bytes`.
 */
export async function prepareModule(
  bytes: Uint8Array,
  hash: string,
  options: PrepareOptions,
  rewritten?: (rewrite: () => Uint8Array) => Promise<Uint8Array>,
): Promise<PreparedModule> {
  // First, before any of our own parsing: nothing the engine rejects is
  // inspected, rewritten or cached (docs/FUEL.md, "What is refused").
  assertValidModule(bytes);
  const summary = summarizeModule(bytes);
  checkImportKinds(summary);
  checkMemories(summary, options);
  checkTables(summary, options);
  // One parse serves the checks above and the rewrite.
  const rewrite = () => rewriteModule(bytes, options, summary);
  const final = rewritten ? await rewritten(rewrite) : rewrite();
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(final as Uint8Array<ArrayBuffer>);
  } catch (err) {
    // The input validated, so this is the rewriter's output (or a damaged rewrite cache).
    throw new SandboxError(
      "InvalidModule",
      `the rewritten module does not compile (${(err as Error).message}); this is a bug in wasm-sandbox, ` +
        "please report it with the module (or clear the rewrite cache directory if one is set)",
      { cause: err },
    );
  }
  const prepared = describeCompiled(module, hash, options.metered);
  prepared.rewritten = final;
  prepared.importSignatures = new Map(
    summary.imports.flatMap((imp) => (imp.funcType ? [[`${imp.module}\0${imp.name}`, imp.funcType] as const] : [])),
  );
  // The same shares the rewriter gave the imports (imports come first in index order).
  const maxima = shareLimit(allMemories(summary), options.maxMemoryPages);
  prepared.importedMemories = summary.imports.flatMap((imp) => (imp.memory ? [{ ...imp, memory: imp.memory }] : []))
    .map((imp, i) => ({ module: imp.module, name: imp.name, initial: imp.memory.min, maximum: maxima[i]!, shared: imp.memory.shared }));
  return prepared;
}

/** Every memory in index order: imported ones first, then the module's own. */
function allMemories(summary: ModuleSummary): MemoryLimits[] {
  return [...summary.imports.flatMap((i) => (i.memory ? [i.memory] : [])), ...summary.memories];
}

const MEMORY_OPTION = "raise it with the maxMemoryPages option (CLI: --max-memory SIZE or --max-memory-pages N)";

function checkMemories(summary: ModuleSummary, options: PrepareOptions): void {
  const memories = allMemories(summary);
  for (const memory of memories) {
    if (memory.memory64) throw new SandboxError("InvalidModule", "the module uses a 64-bit memory (memory64), which is not supported");
    if (memory.shared && !options.allowSharedMemory) {
      throw new SandboxError(
        "InvalidModule",
        "the module uses a shared memory, which could outlive the sandbox's isolation; set allowSharedMemory to accept it",
      );
    }
    if (memory.min > options.maxMemoryPages) {
      throw new SandboxError(
        "MemoryLimit",
        `the module needs ${memory.min} pages of memory at start, over the maxMemoryPages limit of ${options.maxMemoryPages}; ` +
          MEMORY_OPTION,
      );
    }
  }
  // The limit bounds all memories together: multi-memory cannot multiply it.
  const initial = totalInitial(memories);
  if (initial > options.maxMemoryPages) {
    throw new SandboxError(
      "MemoryLimit",
      `the module's ${memories.length} memories need ${initial} pages together at start, over the maxMemoryPages limit of ` +
        `${options.maxMemoryPages}, which bounds all memories together; ${MEMORY_OPTION}`,
    );
  }
}

/** Only functions and memories can be imported: the host provides no tables, globals or tags. */
function checkImportKinds(summary: ModuleSummary): void {
  for (const imp of summary.imports) {
    if (imp.kind === "table" || imp.kind === "global" || imp.kind === "tag") {
      throw new SandboxError("InvalidModule", `the module imports the ${imp.kind} ${imp.module}.${imp.name}, which the host does not provide`);
    }
  }
}

function checkTables(summary: ModuleSummary, options: PrepareOptions): void {
  for (const table of summary.tables) {
    if (table.min > options.maxTableElements) {
      throw new SandboxError(
        "MemoryLimit",
        `the module needs a table of ${table.min} elements, over the maxTableElements limit of ${options.maxTableElements}; ` +
          "raise it with the maxTableElements option",
      );
    }
  }
  // The limit bounds all tables together (imported tables are refused by
  // checkImportKinds, so these are all of them).
  const initial = totalInitial(summary.tables);
  if (initial > options.maxTableElements) {
    throw new SandboxError(
      "MemoryLimit",
      `the module's ${summary.tables.length} tables need ${initial} elements together, over the maxTableElements limit of ` +
        `${options.maxTableElements}, which bounds all tables together; raise it with the maxTableElements option`,
    );
  }
}

/** Describes an already compiled module. */
export function describeCompiled(module: WebAssembly.Module, hash: string, metered: boolean): PreparedModule {
  return {
    module,
    hash,
    imports: WebAssembly.Module.imports(module),
    exports: WebAssembly.Module.exports(module),
    importedMemories: [],
    metered,
  };
}
