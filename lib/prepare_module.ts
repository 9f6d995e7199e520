/**
 * Turns plugin bytes into a {@linkcode PreparedModule}: validated, limits
 * applied, compiled. The result depends only on the bytes and the options, so
 * the runtime caches it by their hash.
 *
 * @module
 */
import { SandboxError } from "./errors.ts";
import type { PreparedModule } from "./plugin_sandbox.ts";
import { instrument } from "./fuel/instrument.ts";
import type { CostTable } from "./fuel/instrument.ts";
import { summarizeModule } from "./wasm/module_summary.ts";
import type { ModuleSummary } from "./wasm/module_summary.ts";

/** What changes the compiled result: part of the cache key. */
export interface PrepareOptions {
  maxMemoryPages: number;
  maxTableElements: number;
  maxStackDepth: number | undefined;
  /** Inject fuel metering. */
  metered: boolean;
  /** Fuel for the start function, which runs before the host can set the budget. */
  initialFuel: bigint;
  fuelCosts: Partial<CostTable> | undefined;
  allowSharedMemory: boolean;
}

/** A stable string of the options, for cache keys. */
export function prepareOptionsKey(options: PrepareOptions): string {
  return JSON.stringify([
    options.maxMemoryPages,
    options.maxTableElements,
    options.maxStackDepth ?? null,
    options.metered,
    options.initialFuel.toString(),
    options.fuelCosts ?? null,
    options.allowSharedMemory,
  ]);
}

/**
 * The rewrite every module gets: memory and table maxima capped (so
 * `memory.grow` past the limit returns -1), and, as configured, the
 * call-depth limit and fuel metering (docs/FUEL.md).
 */
export function rewriteModule(bytes: Uint8Array, options: PrepareOptions): Uint8Array {
  return instrument(bytes, {
    fuel: options.metered,
    costs: options.fuelCosts,
    initialFuel: options.initialFuel,
    maxStackDepth: options.maxStackDepth,
    maxMemoryPages: options.maxMemoryPages,
    maxTableElements: options.maxTableElements,
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
  const summary = summarizeModule(bytes);
  checkImportKinds(summary);
  checkMemories(summary, options);
  checkTables(summary, options);
  const rewrite = () => rewriteModule(bytes, options);
  const final = rewritten ? await rewritten(rewrite) : rewrite();
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(final as Uint8Array<ArrayBuffer>);
  } catch (err) {
    throw new SandboxError("InvalidModule", `not a valid WebAssembly module: ${(err as Error).message}`, { cause: err });
  }
  const prepared = describeCompiled(module, hash, options.metered);
  prepared.importSignatures = new Map(
    summary.imports.flatMap((imp) => (imp.funcType ? [[`${imp.module}\0${imp.name}`, imp.funcType] as const] : [])),
  );
  prepared.importedMemories = summary.imports.flatMap((imp) =>
    imp.memory
      ? [{
        module: imp.module,
        name: imp.name,
        initial: imp.memory.min,
        maximum: Math.min(imp.memory.max ?? options.maxMemoryPages, options.maxMemoryPages),
        shared: imp.memory.shared,
      }]
      : []
  );
  return prepared;
}

function checkMemories(summary: ModuleSummary, options: PrepareOptions): void {
  const memories = [...summary.memories, ...summary.imports.flatMap((i) => (i.memory ? [i.memory] : []))];
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
          "raise it with the maxMemoryPages option (CLI: --max-memory SIZE or --max-memory-pages N)",
      );
    }
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
