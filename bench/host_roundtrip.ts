// One round trip host → guest → host function → guest → host, side by side
// in one run: the host calls an export that makes exactly one host call.
//   in-thread — raw WebAssembly (a JS import), ours (a registrar function,
//               default audit; callSync and await call), Extism's JS SDK (a
//               user host function, await plugin.call)
//   worker    — a call into a plugin running in its own worker thread: ours
//               with isolation: "worker", Extism with runInWorker: true; each
//               with an export that makes no host call, and one that makes
//               one host function call. In both, the host function runs on
//               the host thread while the worker waits on a SharedArrayBuffer
//               (ours: lib/sandbox/host_call_channel.ts, docs/ISOLATION.md).
// Run: node --import tsx bench/host_roundtrip.ts   (or: deno run -A bench/host_roundtrip.ts)
import type { CallContext } from "@extism/extism";
import { defineRegistrar, grant, WasmSandboxRuntime } from "../mod.ts";
import { wat } from "../tests/_helpers/wat.ts";
import { createExtismPlugin } from "./_extism_worker.ts";
import { compareCases, reportRatio } from "./_harness.ts";

const OURS = `(module
  (import "bench" "tick" (func $tick (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "ping") (param $x i32) (result i32) (call $tick (local.get $x))))`;

const OURS_WORKER = `(module
  (import "bench" "tick" (func $tick (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "noop") (result i32) (i32.const 0))
  (func (export "ping") (result i32) (call $tick (i32.const 3))))`;

// Extism's export shape: no parameters, an i32 status.
const EXTISM = `(module
  (import "extism:host/user" "tick" (func $tick (param i64) (result i64)))
  (memory (export "memory") 1)
  (func (export "noop") (result i32) (i32.const 0))
  (func (export "ping") (result i32) (drop (call $tick (i64.const 7))) (i32.const 0)))`;

let ticks = 0;
const tick = (x: number) => (ticks++, x);
const registrar = defineRegistrar("bench", {
  tick: { params: ["i32"], results: ["i32"], capability: "bench:tick", call: (_ctx, x: number) => tick(x) },
});
const extismFunctions = {
  "extism:host/user": {
    tick(_context: CallContext, x: bigint) {
      ticks++;
      return x;
    },
  },
};

const oursBytes = await wat(OURS);
const raw = (await WebAssembly.instantiate(oursBytes as Uint8Array<ArrayBuffer>, { bench: { tick } })).instance.exports as {
  ping: (x: number) => number;
};
const runtime = new WasmSandboxRuntime();
const ours = await runtime.loadPlugin("ours", oursBytes, { registrars: [registrar], capabilities: [grant("bench:tick")] });
const oursWorker = await runtime.loadPlugin("worker", await wat(OURS_WORKER), {
  isolation: { mode: "worker" },
  registrars: [registrar],
  capabilities: [grant("bench:tick")],
});
const extismBytes = await wat(EXTISM);
const extism = await createExtismPlugin({ wasm: [{ data: extismBytes }] }, { useWasi: false, functions: extismFunctions });
const extismWorker = await createExtismPlugin({ wasm: [{ data: extismBytes }] }, {
  useWasi: false,
  runInWorker: true,
  functions: extismFunctions,
});

// Each contender must really make its host call.
for (const [name, run] of [
  ["raw", () => raw.ping(3)],
  ["ours", () => ours.callSync("ping", 3)],
  ["Extism", () => extism.call("ping")],
  ["Extism worker", () => extismWorker.call("ping")],
  ["ours worker", () => oursWorker.call("ping")],
] as const) {
  const before = ticks;
  await run();
  if (ticks !== before + 1) throw new Error(`${name}: the host function was not called once`);
}

// In-thread, each sample makes a batch of calls, so the timer's own cost
// (tens of ns) does not swamp a call that takes a few.
const SYNC_BATCH = 1000;
const ASYNC_BATCH = 100;
const batch = (n: number, call: () => unknown) => () => {
  for (let i = 0; i < n; i++) call();
};
const asyncBatch = (n: number, call: () => Promise<unknown>) => async () => {
  for (let i = 0; i < n; i++) await call();
};
const RAW = "raw WebAssembly, JS import";
const OURS_SYNC = "ours, callSync (registrar function, default audit)";
const OURS_ASYNC = "ours, await call";
const EXTISM_CALL = "Extism, await call (user host function)";
const inThread = await compareCases("one export call making one host call, in-thread", [
  { name: RAW, run: batch(SYNC_BATCH, () => raw.ping(3)), opsPerRun: SYNC_BATCH },
  { name: OURS_SYNC, run: batch(SYNC_BATCH, () => ours.callSync("ping", 3)), opsPerRun: SYNC_BATCH },
  { name: OURS_ASYNC, run: asyncBatch(ASYNC_BATCH, () => ours.call("ping", 3)), opsPerRun: ASYNC_BATCH },
  { name: EXTISM_CALL, run: asyncBatch(ASYNC_BATCH, () => extism.call("ping")), opsPerRun: ASYNC_BATCH },
], { unit: "call" });

const W_OURS_NOOP = "ours, isolation: \"worker\", no host call";
const W_OURS_PING = "ours, isolation: \"worker\", one host function (on the host thread)";
const W_EXTISM_NOOP = "Extism, runInWorker, no host call";
const W_EXTISM_PING = "Extism, runInWorker, one host function (on the host thread)";
const worker = await compareCases("one export call into a worker-isolated plugin", [
  { name: W_OURS_NOOP, run: async () => void await oursWorker.call("noop") },
  { name: W_OURS_PING, run: async () => void await oursWorker.call("ping") },
  { name: W_EXTISM_NOOP, run: async () => void await extismWorker.call("noop") },
  { name: W_EXTISM_PING, run: async () => void await extismWorker.call("ping") },
], { unit: "call" });

await extism.close();
await extismWorker.close();
runtime.unloadPlugin("worker");

const ns = (results: typeof worker, name: string) => results.get(name)!.nsPerOp;
reportRatio("in-thread round trip: ours (callSync) ÷ raw", ns(inThread, OURS_SYNC) / ns(inThread, RAW));
reportRatio("in-thread round trip: Extism ÷ ours (callSync)", ns(inThread, EXTISM_CALL) / ns(inThread, OURS_SYNC));
reportRatio("worker call: Extism runInWorker ÷ ours", ns(worker, W_EXTISM_NOOP) / ns(worker, W_OURS_NOOP));
reportRatio("worker call with one host call: Extism ÷ ours", ns(worker, W_EXTISM_PING) / ns(worker, W_OURS_PING));
