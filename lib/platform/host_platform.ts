/**
 * The one place that asks which runtime we are on, and the one loader of the
 * runtime-specific code: `deno/` on Deno, `node/` on Node, each loaded lazily
 * so that one runtime never evaluates the other's adapters.
 *
 * @module
 */
import type { HostPlatform } from "./types.ts";

/** True when running under Deno. Nothing else in `lib/` tests for the runtime. */
export const isDeno: boolean = "Deno" in globalThis;

let current: Promise<HostPlatform> | undefined;

async function loadDeno(): Promise<HostPlatform> {
  const [{ fileSystem }, { commands }, { terminal }, { workers }] = await Promise.all([
    import("./deno/file_system.ts"),
    import("./deno/commands.ts"),
    import("./deno/terminal.ts"),
    import("./workers.ts"),
  ]);
  return { name: "deno", fs: fileSystem, commands, workers, terminal };
}

async function loadNode(): Promise<HostPlatform> {
  const [{ fileSystem }, { commands }, { terminal }, { workers }] = await Promise.all([
    import("./node/file_system.ts"),
    import("./node/commands.ts"),
    import("./node/terminal.ts"),
    import("./workers.ts"),
  ]);
  return { name: "node", fs: fileSystem, commands, workers, terminal };
}

/**
 * The platform of this runtime, loaded once. The facade (`lib/runtime.ts`,
 * the CLI, `exec()`) calls this and passes what each part needs; the core
 * never calls it.
 *
 * @example
 * ```ts
 * const { fs } = await hostPlatform();
 * const bytes = await fs.readFile("plugin.wasm");
 * ```
 */
export function hostPlatform(): Promise<HostPlatform> {
  current ??= isDeno ? loadDeno() : loadNode();
  return current;
}
