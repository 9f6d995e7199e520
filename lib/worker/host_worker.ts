/**
 * Picks the {@linkcode WorkerAdapter} for the runtime we are on, once, at
 * import time: the sync bridge must start workers from synchronous code.
 *
 * @module
 */
import type { WorkerAdapter } from "./types.ts";

const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";

/**
 * The worker adapter for this runtime. Node never evaluates the Deno adapter
 * and vice versa.
 *
 * @example
 * ```ts
 * const worker = workerAdapter.start(new URL("./job.js", import.meta.url), console.error);
 * ```
 */
export const workerAdapter: WorkerAdapter = isDeno
  ? (await import("./deno.ts")).denoWorkers
  : (await import("./node.ts")).nodeWorkers;
