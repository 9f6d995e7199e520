/** {@linkcode WorkerAdapter} for Deno, over the web `Worker`. @module */
import type { HostWorker, WorkerAdapter } from "./types.ts";

/** The worker global scope, as far as this adapter uses it. */
interface WorkerScope {
  onmessage: ((event: MessageEvent) => void) | null;
}

/** The Deno implementation. */
export const denoWorkers: WorkerAdapter = {
  name: "deno",
  start(url, onFailure): HostWorker {
    const worker = new Worker(url.href, { type: "module" });
    worker.onerror = (event) => {
      // Handled here: an unhandled worker error would terminate the host.
      event.preventDefault();
      onFailure(`exec worker failed: ${event.message}`);
    };
    worker.onmessageerror = () => onFailure("exec worker sent an unreadable message");
    let terminated = false;
    return {
      // Deno's web Worker has no unref(): the owner terminates it when idle.
      keepsProcessAlive: true,
      postMessage: (message) => worker.postMessage(message),
      terminate() {
        if (terminated) return;
        terminated = true;
        worker.terminate();
      },
    };
  },
  onParentMessage(handler) {
    (globalThis as unknown as WorkerScope).onmessage = (event) => handler(event.data);
  },
};
