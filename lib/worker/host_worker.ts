/**
 * The worker adapter under the name its importers use (`lib/isolation/`,
 * `lib/sandbox/`, the sync bridge). The implementation is
 * `lib/platform/workers.ts`: `node:worker_threads` on both runtimes, so
 * there is nothing to pick.
 *
 * @module
 */
export { workers as workerAdapter } from "../platform/workers.ts";
