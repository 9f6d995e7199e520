/**
 * {@linkcode WorkerAdapter} over `node:worker_threads`, on Node and on Deno
 * alike: one implementation, no runtime split. Deno's `node:worker_threads`
 * stops a worker spinning in WebAssembly on `terminate()` and honours
 * `unref()`; its web `Worker` does neither (denoland/deno#35657), which is
 * why this adapter no longer uses it.
 *
 * Imported statically (the sync bridge starts workers from synchronous code).
 *
 * @module
 */
import { parentPort, Worker } from "node:worker_threads";
import type { HostWorker, WorkerAdapter } from "./types.ts";
import { isDeno } from "./host_platform.ts";

/**
 * Node cannot load `.ts` in a worker by itself: when we run from the
 * TypeScript sources (under tsx), the worker first registers tsx's loader.
 * Compiled `.js` workers load directly, and Deno loads `.ts` itself.
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

function create(url: URL): Worker {
  if (!isDeno && url.pathname.endsWith(".ts")) return new Worker(tsBootstrap(url), { eval: true });
  return new Worker(url);
}

/**
 * The worker adapter of both runtimes.
 *
 * @example
 * ```ts
 * const worker = workers.start(new URL("./job.ts", import.meta.url), console.error);
 * worker.postMessage({ n: 1 });
 * worker.terminate();
 * ```
 */
export const workers: WorkerAdapter = {
  start(url, onFailure): HostWorker {
    const worker = create(url);
    // The worker must never keep the process alive (Deno honours this too).
    worker.unref();
    worker.on("error", (err) => onFailure(`worker failed: ${err.message}`));
    worker.on("exit", (code) => onFailure(`worker exited with code ${code}`));
    worker.on("messageerror", () => onFailure("worker sent an unreadable message"));
    let terminated = false;
    return {
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
