// Child process for workers_test.ts: starts a worker spinning in WebAssembly,
// waits until it spins, prints "spinning" and ends its main module without
// terminating it. An unref'd worker must not keep this process alive.
import { workers } from "../../lib/platform/workers.ts";

const started = new Int32Array(new SharedArrayBuffer(4));
const worker = workers.start(new URL("./_spin_worker.ts", import.meta.url), (reason) => console.log(`failure: ${reason}`));
worker.postMessage(started.buffer);
const waited = Atomics.wait(started, 0, 0, 60_000);
console.log(waited === "timed-out" ? "never started" : "spinning");
