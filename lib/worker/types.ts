/**
 * The one interface behind which the Node/Deno difference in worker threads
 * lives: Node has `node:worker_threads`, Deno the web `Worker`. The sync
 * bridge receives these and never touches either API itself.
 *
 * @module
 */

/** The host side of a started worker. */
export interface HostWorker {
  postMessage(message: unknown): void;
  /** Stops the worker. Safe to call twice. */
  terminate(): void;
  /**
   * True when a live worker keeps the host process from exiting (Deno's web
   * Worker cannot be unref'd); the owner should then terminate it when idle.
   */
  readonly keepsProcessAlive: boolean;
}

/** Called when a worker fails (uncaught error, failed to load, exited). */
export type WorkerFailureHandler = (reason: string) => void;

/** Starts workers on one runtime. */
export interface WorkerAdapter {
  readonly name: "node" | "deno";
  /**
   * Starts the ES module worker at `url` (`.ts` sources or compiled `.js`).
   * The worker never keeps the process alive where the runtime allows it (`unref`).
   */
  start(url: URL, onFailure: WorkerFailureHandler): HostWorker;
  /** Inside a worker: receive messages from the host. */
  onParentMessage(handler: (message: unknown) => void): void;
}
