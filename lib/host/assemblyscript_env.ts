/**
 * The `env` imports every AssemblyScript module expects (`abort`, `trace`,
 * `seed`), as @assemblyscript/loader provides them, but bounds-checked and
 * capability-gated: `abort` traps the plugin with its message, `trace`
 * needs `sandbox:log`, `seed` needs `wasi:random` (and is fixed in
 * deterministic mode).
 *
 * @module
 */
import { readAssemblyScriptStringPrefix } from "../memory/assemblyscript_strings.ts";
import type { GuestMemory } from "../memory/guest_memory.ts";
import { Capabilities } from "./capabilities.ts";
import { HostUnwind } from "./host_unwind.ts";
import { defineRegistrar } from "./registrar.ts";
import type { HostFunctionRegistrar } from "./registrar.ts";

/** Thrown by `env.abort`: the plugin aborted (an assertion or an uncaught error). */
export class GuestAbort extends HostUnwind {}

/** The most characters of a guest string `abort` and `trace` show. */
export const MAX_SHOWN_CHARS = 4096;

/**
 * The guest string at `ptr`, of which only the first {@linkcode MAX_SHOWN_CHARS}
 * are decoded: a guest claiming a 16 MiB string costs the host no more than
 * a short one. A cut is marked, never silent.
 */
function stringOrPlaceholder(memory: GuestMemory, ptr: number): string {
  if (ptr >>> 0 === 0) return "";
  try {
    const { text, units } = readAssemblyScriptStringPrefix(memory, ptr, MAX_SHOWN_CHARS);
    return text.length < units ? `${text}… [cut: ${units} characters in all]` : text;
  } catch {
    return `<unreadable string at ${ptr >>> 0}>`;
  }
}

/** Where `trace` output goes. */
export type TraceSink = (message: string) => void;

/** The AssemblyScript `env` registrar. */
export function assemblyScriptEnv(options: { trace: TraceSink; seed: () => number }): HostFunctionRegistrar {
  return defineRegistrar("env", {
    abort: {
      params: ["i32", "i32", "i32", "i32"],
      results: [],
      call(ctx, msg: number, file: number, line: number, column: number) {
        const text = stringOrPlaceholder(ctx.memory, msg);
        const where = stringOrPlaceholder(ctx.memory, file);
        throw new GuestAbort(`abort: ${text} at ${where}:${line >>> 0}:${column >>> 0}`);
      },
    },
    trace: {
      params: ["i32", "i32", "f64", "f64", "f64", "f64", "f64"],
      results: [],
      capability: Capabilities.SandboxLog,
      call(ctx, msg: number, count: number, ...values: number[]) {
        const shown = values.slice(0, Math.max(0, Math.min(5, count | 0)));
        options.trace(`trace: ${stringOrPlaceholder(ctx.memory, msg)}${shown.length ? " " + shown.join(", ") : ""}`);
      },
    },
    seed: {
      params: [],
      results: ["f64"],
      capability: Capabilities.WasiRandom,
      call: () => options.seed(),
    },
  });
}
