// The bridge charges fuel for host work: per byte a call moves between guest
// memory and the host, at the cost table's per-byte rate, and whatever a
// host function asks for through ctx.chargeFuel.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { defineRegistrar, grant, WasmSandboxRuntime } from "../../mod.ts";
import type { HostContextProvider } from "../../lib/host/soch_namespace.ts";
import { errorCode } from "../_helpers/errors.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("bridge: fuel for host work");

function mapProvider(): HostContextProvider {
  const values = new Map<string, Uint8Array>();
  return { read: (k) => values.get(k), write: (k, v) => void values.set(k, v), vectorSearch: () => [] };
}

/** Charges whatever the guest asks for: a stand-in for host work that grows with guest input. */
const work = defineRegistrar("work", {
  crunch: { params: ["i32"], results: ["i32"], call: (ctx, units: number) => (ctx.chargeFuel(units), 0) },
});

const GUEST = `(module
  (import "soch" "soch_write" (func $write (param i32 i32 i32 i32) (result i64)))
  (import "work" "crunch" (func $crunch (param i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "k")
  (func (export "write") (param $len i32) (result i64)
    (call $write (i32.const 0) (i32.const 1) (i32.const 16) (local.get $len)))
  (func (export "crunch") (param $units i32) (result i32) (call $crunch (local.get $units)))
  ;; crunch twice, then loop once: the loop header is a fuel check.
  (func (export "crunch_then_loop") (param $units i32) (result i32)
    (drop (call $crunch (local.get $units)))
    (drop (call $crunch (local.get $units)))
    (loop $once)
    (i32.const 1)))`;

async function load(config: ConstructorParameters<typeof WasmSandboxRuntime>[0] = {}) {
  const runtime = new WasmSandboxRuntime({ provider: mapProvider(), ...config });
  return await runtime.loadPlugin("p", await wat(GUEST), { capabilities: [grant("soch:write")], registrars: [work] });
}

/** Fuel one call of `name` consumes. */
function cost(plugin: Awaited<ReturnType<typeof load>>, name: string, arg: number): bigint {
  const before = plugin.fuelConsumed;
  plugin.callSync(name, arg);
  return plugin.fuelConsumed - before;
}

test("a host call is charged one unit per byte it moves (bytesIn + bytesOut), like memory.copy", async () => {
  const plugin = await load({ fuel: 1_000_000n });
  assert.is(cost(plugin, "write", 1000) - cost(plugin, "write", 0), 1000n);
  assert.is(cost(plugin, "write", 4096) - cost(plugin, "write", 96), 4000n);
});

test("the per-byte rate follows the cost table's bulkPerUnit", async () => {
  const plugin = await load({ fuel: 1_000_000n, fuelCosts: { bulkPerUnit: 3 } });
  assert.is(cost(plugin, "write", 1000) - cost(plugin, "write", 0), 3000n);
});

test("ctx.chargeFuel() takes exactly what it is asked for", async () => {
  const plugin = await load({ fuel: 1_000_000n });
  assert.is(cost(plugin, "crunch", 5000) - cost(plugin, "crunch", 0), 5000n);
});

test("over budget after a charge, the guest traps with OutOfFuel at its next check", async () => {
  const plugin = await load({ fuel: 10_000n });
  assert.is(await errorCode(plugin.call("crunch_then_loop", 20_000)), "OutOfFuel");
  assert.is(plugin.fuelRemaining, 0n);
});

test("chargeFuel() and the per-byte charge are no-ops for an unmetered plugin", async () => {
  const plugin = await load();
  assert.is(plugin.callSync("crunch_then_loop", 0x7fffffff), 1);
  assert.is(plugin.callSync("write", 4096), 0n);
  assert.is(plugin.fuelRemaining, undefined);
});

test.run();
