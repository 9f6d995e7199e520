/**
 * How many threads can run at once on this host: the default size of a
 * plugin pool. One implementation for both runtimes: `node:os` has
 * `availableParallelism()` on Node 20+ and Deno 2, whereas
 * `navigator.hardwareConcurrency` is missing on Node 20.
 *
 * @module
 */
import { availableParallelism as osParallelism } from "node:os";

/**
 * The host's available parallelism (at least 1).
 *
 * @example
 * ```ts
 * const workers = availableParallelism(); // e.g. 2 on a 2-core machine
 * ```
 */
export function availableParallelism(): number {
  return Math.max(1, osParallelism());
}
