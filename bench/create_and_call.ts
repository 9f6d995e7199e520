// Creating a plugin and calling it, side by side in one run:
//   create — loadPlugin + unloadPlugin of bytes whose compiled module the
//            runtime has cached, vs raw WebAssembly.instantiate of a compiled
//            module, vs Extism's createPlugin (+ close) from the same compiled
//            module; then the worker-isolated forms: ours with
//            isolation: "worker" vs Extism with runInWorker: true
//   call   — callSync("add", a, b) vs the raw export call, with our async
//            call() and Extism's call() of a no-op export beside them
// Goals (the performance issue): create ≤ 2.5× raw and faster than Extism;
// callSync ≤ 4× raw.
// Run: node --import tsx bench/create_and_call.ts   (or: deno run -A bench/create_and_call.ts)
import { WasmSandboxRuntime } from "../mod.ts";
import { wat } from "../tests/_helpers/wat.ts";
import { createExtismPlugin as createPlugin } from "./_extism_worker.ts";
import { compareCases, reportGoal, reportRatio } from "./_harness.ts";

// A plugin with nothing to link: what is measured is the runtime's own work.
// `noop` has Extism's export shape (no parameters, an i32 status).
const GUEST = `(module
  (memory (export "memory") 1)
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "noop") (result i32) (i32.const 0)))`;

const bytes = await wat(GUEST);
const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
const runtime = new WasmSandboxRuntime();

// --- create -----------------------------------------------------------------
await runtime.loadPlugin("warm", bytes); // compiles and caches the module
runtime.unloadPlugin("warm");

async function createOurs(): Promise<void> {
  await runtime.loadPlugin("p", bytes);
  runtime.unloadPlugin("p");
}
async function createRaw(): Promise<void> {
  const instance = await WebAssembly.instantiate(module, {});
  if (instance.exports.add === undefined) throw new Error("no add export");
}
async function createExtism(runInWorker: boolean): Promise<void> {
  const plugin = await createPlugin({ wasm: [{ module }] }, { useWasi: false, runInWorker });
  await plugin.close();
}
async function createOursWorker(): Promise<void> {
  await runtime.loadPlugin("w", bytes, { isolation: { mode: "worker" } });
  runtime.unloadPlugin("w");
}

const RAW_CREATE = "raw WebAssembly.instantiate(module)";
const OURS_CREATE = "ours, loadPlugin + unloadPlugin (cached module)";
const EXTISM_CREATE = "Extism createPlugin + close (compiled module)";
const create = await compareCases("create a plugin, in-thread", [
  { name: RAW_CREATE, run: createRaw },
  { name: OURS_CREATE, run: createOurs },
  { name: EXTISM_CREATE, run: async () => await createExtism(false) },
], { unit: "plugin" });

const OURS_WORKER = "ours, isolation: \"worker\"";
const EXTISM_WORKER = "Extism, runInWorker: true";
const createWorker = await compareCases("create a plugin in its own worker thread", [
  { name: OURS_WORKER, run: createOursWorker },
  { name: EXTISM_WORKER, run: async () => await createExtism(true) },
], { unit: "plugin", iterations: 16 });

// --- call -------------------------------------------------------------------
const raw = (await WebAssembly.instantiate(module, {})).exports as { add: (a: number, b: number) => number };
const plugin = await runtime.loadPlugin("call", bytes);
const extism = await createPlugin({ wasm: [{ module }] }, { useWasi: false });
let x = 0;
for (const [name, got] of [["raw", raw.add(2, 3)], ["ours", plugin.callSync("add", 2, 3)], ["ours async", await plugin.call("add", 2, 3)]] as const) {
  if (got !== 5) throw new Error(`${name}: add(2, 3) returned ${String(got)}`);
}

// Each sample makes a batch of calls, so the timer's own cost (tens of ns)
// does not swamp a call that takes a few.
const SYNC_BATCH = 1000;
const ASYNC_BATCH = 100;
function batch(n: number, call: (i: number) => number): () => void {
  return () => {
    for (let i = 0; i < n; i++) x = call(x & 0xffff);
  };
}
function asyncBatch(n: number, call: (i: number) => Promise<unknown>): () => Promise<void> {
  return async () => {
    for (let i = 0; i < n; i++) await call(i);
  };
}
const RAW_CALL = "raw export call add(a, b)";
const OURS_CALL = "ours, callSync(\"add\", a, b)";
const call = await compareCases("call an export", [
  { name: RAW_CALL, run: batch(SYNC_BATCH, (a) => raw.add(a, 1)), opsPerRun: SYNC_BATCH },
  { name: OURS_CALL, run: batch(SYNC_BATCH, (a) => plugin.callSync("add", a, 1) as number), opsPerRun: SYNC_BATCH },
  { name: "ours, await call(\"add\", a, b)", run: asyncBatch(ASYNC_BATCH, (a) => plugin.call("add", a, 1)), opsPerRun: ASYNC_BATCH },
  { name: "Extism, await call(\"noop\")", run: asyncBatch(ASYNC_BATCH, () => extism.call("noop")), opsPerRun: ASYNC_BATCH },
], { unit: "call" });
await extism.close();
runtime.unloadPlugin("call");

const ns = (results: typeof create, name: string) => results.get(name)!.nsPerOp;
reportGoal("create: ours ÷ raw instantiate", ns(create, OURS_CREATE) / ns(create, RAW_CREATE), { max: 2.5 });
reportGoal("create: ours ÷ Extism", ns(create, OURS_CREATE) / ns(create, EXTISM_CREATE), { max: 1 });
reportRatio("create in a worker: ours ÷ Extism runInWorker", ns(createWorker, OURS_WORKER) / ns(createWorker, EXTISM_WORKER));
reportGoal("callSync ÷ raw export call", ns(call, OURS_CALL) / ns(call, RAW_CALL), { max: 4 });
