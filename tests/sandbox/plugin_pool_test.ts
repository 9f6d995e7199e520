// runtime.loadPool(): calls of one plugin over worker-isolated instances,
// with the limits, capabilities and audit of a single plugin.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { defineRegistrar, grant, WasmSandboxRuntime } from "../../mod.ts";
import { sandboxError } from "../_helpers/errors.ts";
import { tempDir } from "../_helpers/temp.ts";
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
  (func (export "boom") unreachable)
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))`;

const capabilities = [grant("gate:wait")];

// The start function asks the host whether it may start; the test decides
// which start fails (a failed start is a failed reset, or a failed load).
let starts = 0;
let failStart = (_n: number) => false;
let holdStart: Promise<void> | undefined;
let startHeld: () => void = () => {};
const boot = defineRegistrar("boot", {
  check: {
    params: [],
    results: ["i32"],
    capability: "boot:check",
    async: true,
    call: async () => {
      const n = ++starts;
      if (holdStart !== undefined) {
        startHeld();
        await holdStart;
      }
      return failStart(n) ? 1 : 0;
    },
  },
});
const BOOTED = `(module
  (import "boot" "check" (func $check (result i32)))
  (func $start (if (call $check) (then unreachable)))
  (start $start)
  (func (export "boom") unreachable)
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))`;
const bootOptions = { registrars: [boot], capabilities: [grant("boot:check")] };
const resetBoot = () => {
  starts = 0;
  failStart = () => false;
  holdStart = undefined;
};

test("calls spread over the instances, at most one per instance at a time, with correct results", async () => {
  const runtime = new WasmSandboxRuntime();
  const pool = await runtime.loadPool("p", await wat(GUEST), { registrars: [gate], capabilities }, { size: 2 });
  assert.equal(pool.instances.map((i) => [i.id, i.info().mode]), [["p#0", "worker"], ["p#1", "worker"]]);
  assert.equal(runtime.listPlugins().map((p) => p.id).sort(), ["p#0", "p#1"]);
  mostInFlight = 0;
  const results = await Promise.all(Array.from({ length: 6 }, (_, i) => pool.call("slow", i)));
  assert.equal(results, [0, 2, 4, 6, 8, 10]);
  assert.is(mostInFlight, 2, "two instances, two calls in flight at most");
  assert.equal(pool.instances.map((i) => i.stats().calls).sort(), [3, 3]);
  const stats = pool.stats();
  assert.equal([stats.instances, stats.calls, stats.hostCalls, stats.busy, stats.queued], [2, 6, 6, 0, 0]);
  await pool.close();
  assert.is(runtime.listPlugins().length, 0);
});

test("calls wait in FIFO order while every instance is busy", async () => {
  const runtime = new WasmSandboxRuntime();
  const pool = await runtime.loadPool("o", await wat(GUEST), { registrars: [gate], capabilities }, { size: 1 });
  const order: number[] = [];
  const calls = [1, 2, 3, 4].map((x) => pool.call("slow", x).then(() => order.push(x)));
  assert.equal([pool.stats().busy, pool.stats().queued], [1, 3]);
  await Promise.all(calls);
  assert.equal(order, [1, 2, 3, 4]);
  await pool.close();
});

test("every instance is audited under its own id, as a single plugin would be", async () => {
  const runtime = new WasmSandboxRuntime();
  const pool = await runtime.loadPool("a", await wat(GUEST), { registrars: [gate], capabilities }, { size: 2 });
  await Promise.all([pool.call("slow", 1), pool.call("slow", 2)]);
  const ids = runtime.audit.events().events.filter((e) => e.function === "wait").map((e) => e.pluginId).sort();
  assert.equal(ids, ["a#0", "a#1"]);
  await pool.close();
});

test("capabilities hold in every instance: without the grant, the pool does not load", async () => {
  const runtime = new WasmSandboxRuntime();
  const err = await sandboxError(runtime.loadPool("c", await wat(GUEST), { registrars: [gate] }, { size: 2 }));
  assert.is(err.code, "CapabilityDenied");
  assert.is(runtime.listPlugins().length, 0);
});

test("a revoked grant is denied in every instance, and each denial is audited", async () => {
  const runtime = new WasmSandboxRuntime();
  const token = grant("gate:wait");
  const pool = await runtime.loadPool("r", await wat(GUEST), { registrars: [gate], capabilities: [token] }, { size: 2 });
  token.revoke();
  // Two calls at once, so both instances serve one.
  const results = await Promise.all([pool.call("slow", 1), pool.call("slow", 2)]);
  assert.equal(results, [-2, -2], "PERMISSION_DENIED in the guest");
  assert.equal(pool.instances.map((i) => i.stats().deniedHostCalls), [1, 1]);
  const denied = runtime.audit.events().events.filter((e) => e.function === "wait" && e.decision === "deny");
  assert.equal(denied.map((e) => e.pluginId).sort(), ["r#0", "r#1"]);
  assert.is(pool.stats().deniedHostCalls, 2);
  await pool.close();
});

test("a call that traps rejects with Trap; its instance is reset and the pool keeps serving", async () => {
  const runtime = new WasmSandboxRuntime();
  const pool = await runtime.loadPool("k", await wat(GUEST), { registrars: [gate], capabilities }, { size: 2 });
  const [boom, ...rest] = await Promise.allSettled([pool.call("boom"), pool.call("add", 1, 2), pool.call("add", 3, 4), pool.call("add", 5, 6)]);
  assert.is(boom.status === "rejected" && boom.reason.code, "Trap");
  assert.equal(rest.map((r) => r.status === "fulfilled" && r.value), [3, 7, 11]);
  await pool.drain(); // the other instance may have served the rest while this one was reset
  const stats = pool.stats();
  assert.equal([stats.traps, stats.resets, stats.replaced, stats.outOfService], [1, 1, 0, 0]);
  assert.ok(pool.instances.every((i) => i.state === "Ready"));
  await pool.close();
});

test("a call that times out rejects with Timeout; its instance is reset and the pool keeps serving", async () => {
  const runtime = new WasmSandboxRuntime();
  const pool = await runtime.loadPool("t", await wat(GUEST), { registrars: [gate], capabilities, isolation: { timeoutMs: 300 } }, { size: 1 });
  const spinning = pool.call("spin");
  const queued = pool.call("add", 2, 3);
  assert.is((await sandboxError(spinning)).code, "Timeout");
  assert.is(await queued, 5, "the queued call ran on the reset instance");
  assert.equal([pool.stats().traps, pool.stats().resets], [1, 1]);
  await pool.close();
});

const FUELED = `(module
  (global $g (mut i32) (i32.const 0))
  (func $start (global.set $g (i32.const 1)))
  (start $start)
  (func (export "spin") (loop $l (br $l)))
  (func (export "one") (result i32) (global.get $g)))`;

test("the fuel budget is per instance and never refilled: a spent instance goes out of service with OutOfFuel", async () => {
  const runtime = new WasmSandboxRuntime({ fuel: 200n });
  const pool = await runtime.loadPool("f", await wat(FUELED), {}, { size: 1 });
  assert.is((await sandboxError(pool.call("spin"))).code, "OutOfFuel");
  // The budget is spent, so the reset's start function fails, and a fresh
  // load on what was left (nothing) fails the same way: no new budget.
  const err = await sandboxError(pool.call("one"));
  assert.is(err.code, "OutOfFuel");
  assert.match(err.message, /out of service/);
  const stats = pool.stats();
  assert.equal([stats.outOfService, stats.replaced, stats.busy], [1, 0, 0]);
  assert.is(runtime.listPlugins().length, 0, "the spent instance was unloaded");
  await pool.close();
});

test("callWith gives a call its own fuel budget, whichever instance runs it", async () => {
  const runtime = new WasmSandboxRuntime({ fuel: 200n });
  const pool = await runtime.loadPool("w", await wat(FUELED), {}, { size: 2 });
  const spins = [pool.callWith({ fuel: 5_000n }, "spin"), pool.callWith({ fuel: 5_000n }, "spin")].map(sandboxError);
  assert.equal((await Promise.all(spins)).map((e) => e.code), ["OutOfFuel", "OutOfFuel"]);
  assert.equal(await Promise.all([pool.call("one"), pool.call("one")]), [1, 1], "both instances were reset on their own budgets");
  await pool.drain();
  const stats = pool.stats();
  assert.equal([stats.traps, stats.resets, stats.outOfService], [2, 2, 0]);
  assert.ok(stats.fuelConsumed >= 10_000n, "per-call fuel counts in fuelConsumed");
  await pool.close();
});

test("an instance whose reset fails is replaced by a fresh load; totals keep the old instance's calls", async () => {
  resetBoot();
  const runtime = new WasmSandboxRuntime();
  const pool = await runtime.loadPool("s", await wat(BOOTED), bootOptions, { size: 1 });
  const first = pool.instances[0];
  failStart = (n) => n === 2; // the reset's start, not the fresh load's
  assert.is((await sandboxError(pool.call("boom"))).code, "Trap");
  assert.is(await pool.call("add", 20, 22), 42);
  assert.is.not(pool.instances[0], first, "a new instance in the slot");
  assert.is(pool.instances[0].id, "s#0");
  assert.is(runtime.getPlugin("s#0"), pool.instances[0], "the replacement is registered with the runtime");
  assert.is(first.state, "Terminated");
  const stats = pool.stats();
  // Two traps: the call's, and the failed reset's start function.
  assert.equal([stats.replaced, stats.calls, stats.traps, stats.outOfService], [1, 2, 2, 0]);
  await pool.close();
  resetBoot();
});

test("an instance that can be neither reset nor replaced is reported; the others keep serving, and with none left calls reject", async () => {
  resetBoot();
  const runtime = new WasmSandboxRuntime();
  const pool = await runtime.loadPool("d", await wat(BOOTED), bootOptions, { size: 2 });
  failStart = (n) => n > 2; // every start after the two loads
  assert.is((await sandboxError(pool.call("boom"))).code, "Trap");
  // The trapped instance is out of service; calls go to the other one.
  assert.is(await pool.call("add", 1, 1), 2);
  await pool.drain();
  assert.is(pool.stats().outOfService, 1);
  assert.is(runtime.listPlugins().length, 1);
  const [trap, waiting] = [pool.call("boom"), pool.call("add", 2, 2)];
  assert.is((await sandboxError(trap)).code, "Trap");
  const reason = await sandboxError(waiting);
  assert.match(reason.message, /out of service/);
  assert.is((await sandboxError(pool.call("add", 3, 3))).message, reason.message);
  assert.equal([pool.stats().outOfService, pool.stats().queued], [2, 0]);
  await pool.close();
  resetBoot();
});

test("a replacement must run the same module: a file changed under the pool is refused", async () => {
  resetBoot();
  const dir = await tempDir();
  const path = join(dir, "plugin.wasm");
  writeFileSync(path, await wat(BOOTED));
  const runtime = new WasmSandboxRuntime();
  const pool = await runtime.loadPool("m", path, bootOptions, { size: 1 });
  writeFileSync(path, await wat(BOOTED.replace("i32.add", "i32.sub")));
  failStart = (n) => n === 2; // force a fresh load from the (changed) file
  assert.is((await sandboxError(pool.call("boom"))).code, "Trap");
  const err = await sandboxError(pool.call("add", 1, 1));
  assert.is(err.code, "InvalidModule");
  assert.match(err.message, /module changed/);
  assert.is(runtime.listPlugins().length, 0);
  await pool.close();
  resetBoot();
});

test("close() rejects running, waiting and later calls with InvalidState and unloads every instance", async () => {
  const runtime = new WasmSandboxRuntime();
  const pool = await runtime.loadPool("x", await wat(GUEST), { registrars: [gate], capabilities }, { size: 1 });
  const running = sandboxError(pool.call("slow", 1));
  const waiting = sandboxError(pool.call("slow", 2));
  await pool.close();
  assert.is((await waiting).code, "InvalidState");
  assert.is((await running).code, "InvalidState", "its worker was stopped");
  assert.is((await sandboxError(pool.call("add", 1, 2))).code, "InvalidState");
  assert.is(runtime.listPlugins().length, 0);
  await pool.close(); // twice is fine
});

test("close() during a reset leaves no instance behind (no replacement is loaded after it)", async () => {
  resetBoot();
  const runtime = new WasmSandboxRuntime();
  const pool = await runtime.loadPool("h", await wat(BOOTED), bootOptions, { size: 1 });
  let release!: () => void;
  holdStart = new Promise((resolve) => (release = resolve));
  const held = new Promise<void>((resolve) => (startHeld = resolve));
  assert.is((await sandboxError(pool.call("boom"))).code, "Trap");
  await held; // the reset's start function is waiting in the host
  holdStart = undefined;
  const closed = pool.close();
  release();
  await closed; // settles once the reset has ended
  assert.is(runtime.listPlugins().length, 0);
  assert.is(pool.stats().replaced, 0);
  assert.is(starts, 2, "no start ran after close(): nothing was loaded");
  resetBoot();
});

test("a full queue refuses the next call with InvalidState", async () => {
  const runtime = new WasmSandboxRuntime();
  const pool = await runtime.loadPool("q", await wat(GUEST), { registrars: [gate], capabilities }, { size: 1, maxQueue: 1 });
  const first = pool.call("slow", 1); // running
  const second = pool.call("slow", 2); // waiting
  const refused = await sandboxError(pool.call("slow", 3));
  assert.is(refused.code, "InvalidState");
  assert.match(refused.message, /maxQueue/);
  assert.equal(await Promise.all([first, second]), [2, 4]);
  await pool.close();
});

test("bad pool options are InvalidArgument, and nothing stays loaded", async () => {
  const runtime = new WasmSandboxRuntime();
  const bytes = await wat(GUEST);
  const bad: unknown[] = [{ size: 0 }, { size: -1 }, { size: 1.5 }, { size: Number.NaN }, { size: 1025 }, { size: "2" }, { maxQueue: -1 }, { maxQueue: 0.5 }, {
    sise: 2,
  }, null];
  for (const pool of bad) {
    const err = await sandboxError(runtime.loadPool("b", bytes, { registrars: [gate], capabilities }, pool as never));
    assert.is(err.code, "InvalidArgument", JSON.stringify(pool));
  }
  const inProcess = await sandboxError(runtime.loadPool("b", bytes, { registrars: [gate], capabilities, isolation: { mode: "in-process" } }));
  assert.is(inProcess.code, "InvalidArgument");
  assert.is(runtime.listPlugins().length, 0);
});

test("the default size is the host's available parallelism", async () => {
  const runtime = new WasmSandboxRuntime();
  const pool = await runtime.loadPool("n", await wat(GUEST), { registrars: [gate], capabilities });
  const { availableParallelism } = await import("node:os");
  assert.is(pool.stats().instances, Math.max(1, availableParallelism()));
  await pool.close();
});

test.run();
