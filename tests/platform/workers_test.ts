import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { isDeno } from "../../lib/platform/host_platform.ts";
import { workers } from "../../lib/platform/workers.ts";

const SPIN_WORKER = new URL("./_spin_worker.ts", import.meta.url);
/** Generous bounds that only turn a hang into a failure; nothing here measures time. */
const HANG_MS = 30_000;

/** Resolves when `started[0]` becomes 1, rejects after `HANG_MS`. */
async function untilStarted(started: Int32Array): Promise<void> {
  const until = Date.now() + HANG_MS;
  while (Atomics.load(started, 0) === 0) {
    if (Date.now() > until) throw new Error("the worker never started spinning");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function withinBound<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), HANG_MS);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

test("terminate() stops a worker spinning in WebAssembly (denoland/deno#35657 affects only the web Worker)", async () => {
  let exited!: (reason: string) => void;
  const failure = new Promise<string>((resolve) => (exited = resolve));
  const worker = workers.start(SPIN_WORKER, (reason) => exited(reason));
  const started = new Int32Array(new SharedArrayBuffer(4));
  worker.postMessage(started.buffer);
  await untilStarted(started);
  worker.terminate();
  worker.terminate(); // twice is harmless
  // The exit event fires only once the thread has really stopped.
  const reason = await withinBound(failure, "the spinning worker's thread did not stop after terminate()");
  assert.match(reason, /exited/);
});

test("a worker spinning in WebAssembly does not keep the process alive (unref)", async () => {
  const host = fileURLToPath(new URL("./_spin_host.ts", import.meta.url));
  const args = isDeno ? ["run", "-A", host] : ["--import", "tsx", host];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    const code = await withinBound(exit, "the process was kept alive by its spinning worker");
    assert.is(stdout.trim(), "spinning");
    assert.is(code, 0);
  } finally {
    child.kill("SIGKILL");
  }
});

test.run();
