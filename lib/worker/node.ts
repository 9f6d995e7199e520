/** {@linkcode WorkerAdapter} for Node.js, over `node:worker_threads`. @module */
import { parentPort, Worker } from "node:worker_threads";
import type { HostWorker, WorkerAdapter } from "./types.ts";

/**
 * Node cannot load `.ts` in a worker by itself: when we run from the
 * TypeScript sources (under tsx), the worker first registers tsx's loader.
 * Compiled `.js` workers load directly.
 */
function tsBootstrap(url: URL): string {
  let loader: string | undefined;
  try {
    loader = import.meta.resolve("tsx/esm/api");
  } catch {
    // No tsx: rely on the runtime's own TypeScript support (Node >= 23.6).
  }
  const target = JSON.stringify(url.href);
  return loader === undefined
    ? `import(${target});`
    : `import(${JSON.stringify(loader)}).then((m) => m.register()).then(() => import(${target}));`;
}

/** The Node implementation. */
export const nodeWorkers: WorkerAdapter = {
  name: "node",
  start(url, onFailure): HostWorker {
    const worker = url.pathname.endsWith(".ts")
      ? new Worker(tsBootstrap(url), { eval: true })
      : new Worker(url);
    // The worker must never keep the process alive.
    worker.unref();
    worker.on("error", (err) => onFailure(`exec worker failed: ${err.message}`));
    worker.on("exit", (code) => onFailure(`exec worker exited with code ${code}`));
    let terminated = false;
    return {
      keepsProcessAlive: false,
      postMessage: (message) => worker.postMessage(message),
      terminate() {
        if (terminated) return;
        terminated = true;
        worker.terminate().catch(() => {});
      },
    };
  },
  onParentMessage(handler) {
    if (parentPort === null) throw new Error("not running in a worker thread");
    parentPort.on("message", handler);
  },
};
