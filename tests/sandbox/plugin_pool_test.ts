// runtime.loadPool(): calls of one plugin over worker-isolated instances,
// with the limits, capabilities and audit of a single plugin.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { defineRegistrar, grant, WasmSandboxRuntime } from "../../mod.ts";
import { sandboxError } from "../_helpers/errors.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("plugin pool");

// `slow` waits in an async host function, so several calls are in flight at once.
let inFlight = 0;
let mostInFlight = 0;
const gate = defineRegistrar("gate", {
  wait: {
    params: ["i32"],
    results: ["i32"],
    capability: "gate:wait",
    async: true,
    call: async (_ctx, x: number) => {
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight--;
      return x * 2;
    },
  },
});

const GUEST = `(module
  (import "gate" "wait" (func $wait (param i32) (result i32)))
  (func (export "slow") (param i32) (result i32) (call $wait (local.get 0)))
  (func (export "spin") (loop $l (br $l)))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))`;

const capabilities = [grant("gate:wait")];

test("calls spread over the instances, at most one per instance at a time, with correct results", async () => {
  const runtime = new WasmSandboxRuntime();
  const pool = await runtime.loadPool("p", await wat(GUEST), { registrars: [gate], capabilities }, { size: 2 });
  assert.equal(pool.instances.map((i) => [i.id, i.info().mode]), [["p#0", "worker"], ["p#1", "worker"]]);
  mostInFlight = 0;
  const results = await Promise.all(Array.from({ length: 6 }, (_, i) => pool.call("slow", i)));
  assert.equal(results, [0, 2, 4, 6, 8, 10]);
  assert.is(mostInFlight, 2, "two instances, two calls in flight at most");
  assert.equal(pool.instances.map((i) => i.stats().calls).sort(), [3, 3]);
  const stats = pool.stats();
  assert.equal([stats.calls, stats.hostCalls, stats.busy, stats.queued], [6, 6, 0, 0]);
  pool.close();
  assert.is(runtime.listPlugins().length, 0);
});

test("every instance is audited under its own id, as a single plugin would be", async () => {
  const runtime = new WasmSandboxRuntime();
  const pool = await runtime.loadPool("a", await wat(GUEST), { registrars: [gate], capabilities }, { size: 2 });
  await Promise.all([pool.call("slow", 1), pool.call("slow", 2)]);
  const ids = runtime.audit.events().events.filter((e) => e.function === "wait").map((e) => e.pluginId).sort();
  assert.equal(ids, ["a#0", "a#1"]);
  pool.close();
});

test("capabilities hold in every instance: without the grant, the pool does not load", async () => {
  const err = await sandboxError(new WasmSandboxRuntime().loadPool("c", await wat(GUEST), { registrars: [gate] }, { size: 2 }));
  assert.is(err.code, "CapabilityDenied");
});

test("a call that times out rejects with Timeout; its instance is reset and the pool keeps serving", async () => {
  const runtime = new WasmSandboxRuntime();
  const pool = await runtime.loadPool("t", await wat(GUEST), { registrars: [gate], capabilities, isolation: { timeoutMs: 300 } }, { size: 1 });
  const spinning = pool.call("spin");
  const queued = pool.call("add", 2, 3);
  assert.is((await sandboxError(spinning)).code, "Timeout");
  assert.is(await queued, 5, "the queued call ran on the reset instance");
  assert.is(pool.stats().traps, 1);
  pool.close();
});

test("an instance that runs out of fuel is reset on what its budget has left, and replaced when that fails", async () => {
  const runtime = new WasmSandboxRuntime({ fuel: 200n });
  const pool = await runtime.loadPool("f", await wat(`(module
    (global $g (mut i32) (i32.const 0))
    (func $start (global.set $g (i32.const 1)))
    (start $start)
    (func (export "spin") (loop $l (br $l)))
    (func (export "one") (result i32) (global.get $g)))`), {}, { size: 1 });
  assert.is((await sandboxError(pool.call("spin"))).code, "OutOfFuel");
  // The budget is spent, so the reset's start function fails too: the instance is replaced by a fresh load.
  assert.is(await pool.call("one"), 1);
  assert.is(pool.stats().replaced, 1);
  pool.close();
});

test("close() rejects waiting calls and later ones with InvalidState and unloads every instance", async () => {
  const runtime = new WasmSandboxRuntime();
  const pool = await runtime.loadPool("x", await wat(GUEST), { registrars: [gate], capabilities }, { size: 1 });
  const running = pool.call("slow", 1);
  const waiting = pool.call("slow", 2);
  pool.close();
  assert.is((await sandboxError(waiting)).code, "InvalidState");
  await running.catch(() => {}); // its worker was stopped
  assert.is((await sandboxError(pool.call("add", 1, 2))).code, "InvalidState");
  assert.is(runtime.listPlugins().length, 0);
});

test("a full queue refuses the next call with InvalidState", async () => {
  const runtime = new WasmSandboxRuntime();
  const pool = await runtime.loadPool("q", await wat(GUEST), { registrars: [gate], capabilities }, { size: 1, maxQueue: 1 });
  const first = pool.call("slow", 1); // running
  const second = pool.call("slow", 2); // waiting
  assert.is((await sandboxError(pool.call("slow", 3))).code, "InvalidState");
  assert.equal(await Promise.all([first, second]), [2, 4]);
  pool.close();
});

test("bad pool options are InvalidArgument", async () => {
  const runtime = new WasmSandboxRuntime();
  const bytes = await wat(GUEST);
  for (const pool of [{ size: 0 }, { size: -1 }, { size: 1.5 }, { size: Number.NaN }, { maxQueue: -1 }]) {
    assert.is((await sandboxError(runtime.loadPool("b", bytes, { registrars: [gate], capabilities }, pool))).code, "InvalidArgument", JSON.stringify(pool));
  }
  const inProcess = await sandboxError(runtime.loadPool("b", bytes, { registrars: [gate], capabilities, isolation: { mode: "in-process" } }));
  assert.is(inProcess.code, "InvalidArgument");
  assert.is(runtime.listPlugins().length, 0);
});

test.run();
