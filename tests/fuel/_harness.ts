// Runs every export of a module with deterministic arguments and records what
// happened (results, traps, host calls), so an original module and its
// instrumented form can be compared call for call.
import { DEPTH_GLOBAL_EXPORT, FUEL_GLOBAL_EXPORT, TRAP_REASON_GLOBAL_EXPORT } from "../../lib/fuel/instrument.ts";
import { type FuncType, summarizeModule } from "../../lib/wasm/module_summary.ts";

/** Parameter types of each exported function, read from the binary (JS has no type reflection on Node 20). */
export function exportParamTypes(bytes: Uint8Array): Map<string, string[]> {
  const summary = summarizeModule(bytes);
  // The function index space: imported functions first, then the module's own.
  const functions: FuncType[] = [
    ...summary.imports.flatMap((imp) => (imp.kind === "func" ? [imp.funcType!] : [])),
    ...summary.functionTypes.map((index) => summary.types[index]!),
  ];
  const result = new Map<string, string[]>();
  for (const exp of summary.exports) {
    if (exp.kind === "func") result.set(exp.name, functions[exp.index]!.params);
  }
  return result;
}

/** One line per event: export results, traps, host calls. */
export type Transcript = string[];

const SANDBOX_EXPORTS = new Set([FUEL_GLOBAL_EXPORT, TRAP_REASON_GLOBAL_EXPORT, DEPTH_GLOBAL_EXPORT]);

function show(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value);
  if (typeof value === "function") return "func";
  if (value === null) return "null";
  if (Array.isArray(value)) return `[${value.map(show).join(",")}]`;
  return typeof value;
}

function describeError(err: unknown): string {
  if (err instanceof WebAssembly.RuntimeError) return `trap ${err.message}`;
  if (err instanceof RangeError && /call stack/i.test(err.message)) return "stack overflow";
  if (err instanceof Error) return `${err.constructor.name}`;
  return `thrown ${show(err)}`;
}

/** Zero arguments of the right JS types for a function's parameter count (types are unknown to JS). */
function argumentsFor(fn: (...args: unknown[]) => unknown, name: string, types: Map<string, string[]>): unknown[] {
  const params = types.get(name);
  if (params === undefined) return new Array(fn.length).fill(0);
  return params.map((t) => (t === "i64" ? 0n : t === "externref" || t === "funcref" ? null : 0));
}

/** Options for {@linkcode runExports}. */
export interface RunOptions {
  /** Fuel to give before each export call (instrumented modules only). */
  fuel?: bigint;
  /** Parameter types per export name (from the module summary), for i64 arguments. */
  paramTypes?: Map<string, string[]>;
}

/** The transcript of calling each exported function once, in export order, and the fuel each used. */
export async function runExports(
  bytes: Uint8Array,
  options: RunOptions = {},
): Promise<{ transcript: Transcript; fuelUsed: bigint[]; returned: boolean[] }> {
  const transcript: Transcript = [];
  const fuelUsed: bigint[] = [];
  const returned: boolean[] = [];
  const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  let instance: WebAssembly.Instance | undefined;
  const imports: Record<string, Record<string, unknown>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    imports[imp.module] ??= {};
    const ns = imports[imp.module]!;
    if (imp.kind === "function") {
      ns[imp.name] = (...args: unknown[]) => {
        transcript.push(`host ${imp.name}(${args.map(show).join(",")})`);
        const table = instance?.exports.table as WebAssembly.Table | undefined;
        if (imp.name === "table-get") return table?.get(args[0] as number) ?? null;
        if (imp.name === "table-set") {
          table?.set(args[0] as number, args[1] as never);
          return undefined;
        }
        if (imp.name === "throw") throw new Error("host throw");
        return undefined;
      };
    } else if (imp.kind === "memory") {
      ns[imp.name] = new WebAssembly.Memory({ initial: 1, maximum: 16 });
    } else if (imp.kind === "table") {
      ns[imp.name] = new WebAssembly.Table({ initial: 16, element: "anyfunc" });
    } else if (imp.kind === "global") {
      ns[imp.name] = 0;
    }
  }
  try {
    instance = new WebAssembly.Instance(module, imports as WebAssembly.Imports);
  } catch (err) {
    transcript.push(`instantiate: ${describeError(err)}`);
    return { transcript, fuelUsed, returned };
  }
  const fuel = instance.exports[FUEL_GLOBAL_EXPORT] as WebAssembly.Global | undefined;
  const depth = instance.exports[DEPTH_GLOBAL_EXPORT] as WebAssembly.Global | undefined;
  const reason = instance.exports[TRAP_REASON_GLOBAL_EXPORT] as WebAssembly.Global | undefined;
  for (const { name, kind } of WebAssembly.Module.exports(module)) {
    if (kind !== "function" || SANDBOX_EXPORTS.has(name)) continue;
    const fn = instance.exports[name] as (...args: unknown[]) => unknown;
    const budget = options.fuel ?? 0n;
    if (fuel !== undefined) fuel.value = budget;
    try {
      const result = fn(...argumentsFor(fn, name, options.paramTypes ?? exportParamTypes(bytes)));
      transcript.push(`${name} -> ${show(result)}`);
      returned.push(true);
    } catch (err) {
      transcript.push(`${name} !! ${describeError(err)}`);
      returned.push(false);
    }
    if (fuel !== undefined) fuelUsed.push(budget - (fuel.value as bigint));
    if (depth !== undefined) depth.value = 0;
    if (reason !== undefined) {
      if (reason.value !== 0) transcript.push(`reason ${reason.value}`);
      reason.value = 0;
    }
  }
  return { transcript, fuelUsed, returned };
}

/** Fuel of the calls that returned normally (a trap or exception ends a call part-way through a paid segment). */
export function fuelOfReturns(run: { fuelUsed: bigint[]; returned: boolean[] }): string {
  return run.fuelUsed.map((used, i) => (run.returned[i] ? String(used) : "-")).join(",");
}
