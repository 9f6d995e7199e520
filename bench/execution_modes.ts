// What each execution mode costs, side by side in one run (ns per operation):
//   one call of a trivial export: in-process callSync, JSPI (where the
//   runtime has it) and a worker;
//   one host call from the guest (get_timestamp in a wasm loop): the same
//   three modes. In a worker, every host call is a round trip to the host
//   thread over a shared-memory channel.
// Run: node --import tsx bench/execution_modes.ts   (or: deno run -A bench/execution_modes.ts)
import { defineRegistrar, grant, WasmSandboxRuntime } from "../mod.ts";
import { hasJspi } from "../lib/sandbox/plugin_sandbox.ts";
import { wat } from "../tests/_helpers/wat.ts";
import { compareCases, isQuick } from "./_harness.ts";

const HOST_CALLS = isQuick() ? 200 : 2_000;

const GUEST = `(module
  (import "platform_sandbox" "get_timestamp" (func $ts (result i64)))
  (func (export "ok") (result i32) (i32.const 1))
  (func (export "loop") (param $n i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (drop (call $ts))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))))`;

// An async registrar function the guest does not call: it only makes the plugin a JSPI one.
const jspiMarker = defineRegistrar("marker", {
  never: { params: [], results: ["i32"], async: true, call: () => Promise.resolve(0) },
});
const JSPI_GUEST = GUEST.replace("(module", `(module (import "marker" "never" (func $never (result i32)))`);

const runtime = new WasmSandboxRuntime({ audit: false });
const capabilities = [grant("sandbox:time")];
const inProcess = await runtime.loadPlugin("in-process", await wat(GUEST), { capabilities });
const worker = await runtime.loadPlugin("worker", await wat(GUEST), { capabilities, isolation: { mode: "worker" } });
const jspi = hasJspi()
  ? await runtime.loadPlugin("jspi", await wat(JSPI_GUEST), { capabilities, registrars: [jspiMarker] })
  : undefined;

await compareCases("one call of a trivial export", [
  { name: "in-process callSync", run: () => inProcess.callSync("ok") },
  ...(jspi ? [{ name: "JSPI call", run: async () => await jspi.call("ok") }] : []),
  { name: "worker call", run: async () => await worker.call("ok") },
], { unit: "call" });

await compareCases("one host call from the guest (get_timestamp)", [
  { name: "in-process", run: () => inProcess.callSync("loop", HOST_CALLS), opsPerRun: HOST_CALLS },
  ...(jspi ? [{ name: "JSPI", run: async () => await jspi.call("loop", HOST_CALLS), opsPerRun: HOST_CALLS }] : []),
  { name: "worker", run: async () => await worker.call("loop", HOST_CALLS), opsPerRun: HOST_CALLS },
], { unit: "host call" });

runtime.unloadPlugin("worker");
