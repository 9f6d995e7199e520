/**
 * The worker interface, owned by its consumers (the sync bridge here, worker
 * isolation in `lib/isolation/`). One implementation serves Node and Deno:
 * `lib/platform/workers.ts`, over `node:worker_threads`.
 *
 * @module
 */

/** The host side of a started worker. It never keeps the host process alive. */
export interface HostWorker {
  postMessage(message: unknown): void;
  /** Stops the worker, even one spinning in guest code. Safe to call twice. */
  terminate(): void;
}

/** Called when a worker fails (uncaught error, failed to load, exited). */
export type WorkerFailureHandler = (reason: string) => void;

/** Starts workers. */
export interface WorkerAdapter {
  /** Starts the ES module worker at `url` (`.ts` sources or compiled `.js`), unref'd. */
  start(url: URL, onFailure: WorkerFailureHandler): HostWorker;
  /** Inside a worker: receive messages from the host. */
  onParentMessage(handler: (message: unknown) => void): void;
}
