/**
 * Picks the {@linkcode CommandRunner} for the runtime we are on, once.
 *
 * @module
 */
import type { CommandRunner } from "./command_runner.ts";

const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
let current: Promise<CommandRunner> | undefined;

/**
 * The command runner for this runtime. Loaded lazily so that Node never
 * evaluates the Deno adapter and vice versa.
 *
 * @example
 * ```ts
 * const runner = await commandRunner();
 * console.log(runner.name); // "node" or "deno"
 * ```
 */
export function commandRunner(): Promise<CommandRunner> {
  current ??= isDeno
    ? import("./deno.ts").then((m) => m.denoRunner)
    : import("./node.ts").then((m) => m.nodeCommandRunner);
  return current;
}
