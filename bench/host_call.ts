// Cost of one host call from wasm, side by side in one run:
//   raw import        — WebAssembly.instantiate with a plain JS function, no sandbox
//   bridge only       — the same function wrapped by the bridge (linkHostFunctions)
//                       with no recorder: capability check + context save/restore
//   runtime, audit off — loaded through WasmSandboxRuntime as a registrar function,
//                       with `audit: false` (calls are still counted)
//   runtime, default  — the same with the default audit log (ring of 10 000)
// The guest calls the import N times from a wasm loop, so per-call overhead
// dominates; figures are ns per host call.
// Run: node --import tsx bench/host_call.ts   (or: deno run -A bench/host_call.ts)
// The "bridge only" case needs the bridge's internals; everything else comes
// from the public entry, so refactors of lib/ touch this file little.
import { CapabilitySet } from "../lib/host/capabilities.ts";
import { abiErrorConvention, linkHostFunctions } from "../lib/host/bridge.ts";
import { ResponseSlot } from "../lib/host/response_slot.ts";
import { GuestMemory } from "../lib/memory/guest_memory.ts";
import { defineRegistrar, grant, WasmSandboxRuntime } from "../mod.ts";
import { wat } from "../tests/_helpers/wat.ts";
import { compareCases, reportGoal } from "./_harness.ts";

const CALLS = 10_000;

const GUEST = `(module
  (import "bench" "tick" (func $tick (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "loop") (param $n i32) (result i32) (local $acc i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $acc (i32.add (local.get $acc) (call $tick (local.get $n))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $acc)))`;

/** What every variant's loop must return: the sum of N..1 (mod 2^32). */
const EXPECTED = ((CALLS * (CALLS + 1)) / 2) | 0;

const bytes = await wat(GUEST);
const tick = (x: number) => x;
const registrar = defineRegistrar("bench", {
  tick: { params: ["i32"], results: ["i32"], capability: "bench:tick", call: (_ctx, x: number) => x },
});

// (a) raw import.
const raw = await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>, { bench: { tick } });
const rawLoop = raw.instance.exports.loop as (n: number) => number;

// The bridge alone, exactly as the sandbox links it, but with no recorder.
const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
// Assigned once the instance exists; the memory accessor below reads it at call time.
// deno-lint-ignore prefer-const
let bridgeMemory: WebAssembly.Memory | undefined;
const bridged = new WebAssembly.Instance(module, linkHostFunctions(WebAssembly.Module.imports(module), {
  pluginId: "bench",
  memory: new GuestMemory(() => bridgeMemory),
  capabilities: new CapabilitySet([grant("bench:tick")]),
  namespaces: [{ registrar, errors: abiErrorConvention }],
  slot: new ResponseSlot(),
  recorder: undefined,
  linkDeniedAsStubs: false,
  counters: { hostCalls: 0, deniedHostCalls: 0 },
}) as WebAssembly.Imports);
bridgeMemory = bridged.exports.memory as WebAssembly.Memory;
const bridgeLoop = bridged.exports.loop as (n: number) => number;

// (b) and (c): through the runtime.
const quietRuntime = new WasmSandboxRuntime({ audit: false });
const quiet = await quietRuntime.loadPlugin("quiet", bytes, { registrars: [registrar], capabilities: [grant("bench:tick")] });
const auditedRuntime = new WasmSandboxRuntime();
const audited = await auditedRuntime.loadPlugin("audited", bytes, { registrars: [registrar], capabilities: [grant("bench:tick")] });

for (const [name, run] of [
  ["raw", () => rawLoop(CALLS)],
  ["bridge", () => bridgeLoop(CALLS)],
  ["quiet", () => quiet.callSync("loop", CALLS)],
  ["audited", () => audited.callSync("loop", CALLS)],
] as const) {
  const got = run();
  if (got !== EXPECTED) throw new Error(`${name} loop returned ${got}, expected ${EXPECTED}`);
}

const RAW = "(a) raw WebAssembly import";
const BRIDGE = "bridge only, no recorder";
const QUIET = "(b) runtime, audit off";
const AUDITED = "(c) runtime, default audit";
const results = await compareCases(`host call from a wasm loop of ${CALLS} calls`, [
  { name: RAW, run: () => rawLoop(CALLS), opsPerRun: CALLS },
  { name: BRIDGE, run: () => bridgeLoop(CALLS), opsPerRun: CALLS },
  { name: QUIET, run: () => quiet.callSync("loop", CALLS), opsPerRun: CALLS },
  { name: AUDITED, run: () => audited.callSync("loop", CALLS), opsPerRun: CALLS },
], { unit: "call" });

const ns = (name: string) => results.get(name)!.nsPerOp;
reportGoal("(b)/(a) bridge with capability check", ns(QUIET) / ns(RAW), { max: 1.5 });
reportGoal("(c)/(a) with default auditing", ns(AUDITED) / ns(RAW), { max: 5 });
console.log(`  audit ring holds ${auditedRuntime.audit.events().events.length} events (the last of ${auditedRuntime.stats().hostCalls} calls)`);
