// Extism's runInWorker mode under tsx on Node 20. Extism starts its worker
// from a data: URL whose code ends in `//# sourceMappingURL=worker.js.map`.
// A worker inherits the parent's `--import tsx`, and tsx turns source maps
// on in every thread, so Node tries to resolve that relative name against
// the data: URL and the worker dies with ERR_INVALID_URL. Extism's worker is
// plain JavaScript and needs no loader: while an Extism plugin is created,
// node:worker_threads' Worker starts workers with no inherited execArgv.
// Our own worker-isolated plugins keep tsx (they load TypeScript sources),
// which a user running the built package does not pay; the docs say so.
// Deno needs none of this.
import createPlugin from "@extism/extism";
import type { ExtismPluginOptions, Manifest, Plugin } from "@extism/extism";
import { createRequire, syncBuiltinESMExports } from "node:module";

type WorkerClass = new (url: string | URL, options?: { execArgv?: string[] }) => object;
const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
const threads = createRequire(import.meta.url)("node:worker_threads") as { Worker: WorkerClass };
const Original = threads.Worker;
const Plain = class extends Original {
  constructor(url: string | URL, options: { execArgv?: string[] } = {}) {
    super(url, { execArgv: [], ...options });
  }
};

/** Extism's createPlugin, with the worker of runInWorker started without the tsx loader on Node. */
export async function createExtismPlugin(manifest: Manifest, options: ExtismPluginOptions): Promise<Plugin> {
  if (isDeno || options.runInWorker !== true) return await createPlugin(manifest, options);
  threads.Worker = Plain;
  syncBuiltinESMExports();
  try {
    return await createPlugin(manifest, options);
  } finally {
    threads.Worker = Original;
    syncBuiltinESMExports();
  }
}
