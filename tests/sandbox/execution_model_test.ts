// One execution model: the host's event loop never waits for a guest, every
// plugin can be bounded in wall-clock time, host functions may be async, and
// host-imposed stops cannot be caught. Runs on every runtime: JSPI where the
// runtime has it (Node >= 24.20, Deno), the worker fallback where it does not
// (Node 20); the worker mode is also forced explicitly everywhere.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { defineRegistrar, grant, SandboxState, WasmSandboxRuntime } from "../../mod.ts";
import { DefaultHostContextProvider } from "../../lib/host/soch_provider.ts";
import { hasJspi } from "../../lib/sandbox/plugin_sandbox.ts";
import { errorCode } from "../_helpers/errors.ts";
import { tempDir } from "../_helpers/temp.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("execution model");
const asyncMode = hasJspi() ? "jspi" : "worker";

/** A registrar whose `get` answers 42 after a timer, and `bad` a string. */
const slow = defineRegistrar("slow", {
  get: { params: [], results: ["i32"], async: true, call: () => new Promise<number>((r) => setTimeout(() => r(42), 20)) },
  bad: { params: [], results: ["i32"], call: () => "42" as unknown as number },
  undeclared: { params: [], results: ["i32"], call: () => Promise.resolve(1) as unknown as number },
});

const ASYNC_GUEST = `(module
  (import "slow" "get" (func $get (result i32)))
  (func (export "plus_one") (result i32) (i32.add (call $get) (i32.const 1))))`;

for (const isolation of [undefined, "worker"] as const) {
  const label = isolation ?? "default";
  test(`an async registrar function's value reaches the guest (${label} isolation)`, async () => {
    const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(ASYNC_GUEST), {
      registrars: [slow],
      isolation: isolation === undefined ? undefined : { mode: isolation },
    });
    assert.is(plugin.info().mode, isolation ?? asyncMode);
    assert.is(await plugin.call("plus_one"), 43);
    assert.is(await errorCode(Promise.resolve().then(() => plugin.callSync("plus_one"))), "InvalidState");
  });
}

test("a host function returning the wrong type is an error, never a coerced number", async () => {
  const guest = `(module (import "slow" "bad" (func $bad (result i32))) (func (export "f") (result i32) (call $bad)))`;
  const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(guest), { registrars: [slow] });
  assert.is(await errorCode(plugin.call("f")), "InvalidState");
});

test("an undeclared host function answering with a Promise stops the guest, never a wrong value", async () => {
  const guest = `(module (import "slow" "undeclared" (func $u (result i32))) (func (export "f") (result i32) (call $u)))`;
  const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(guest), { registrars: [slow] });
  assert.is(plugin.info().mode, "in-process");
  assert.is(await errorCode(plugin.call("f")), "InvalidState");
});

test("a second call while one is suspended on an async host function is InvalidState", async () => {
  const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(ASYNC_GUEST), { registrars: [slow] });
  const first = plugin.call("plus_one");
  assert.is(await errorCode(plugin.call("plus_one")), "InvalidState");
  assert.is(await first, 43);
});

/** Runs `sleep 1` through sandbox_exec; returns the result. */
const SLEEPER = `(module
  (import "platform_sandbox" "sandbox_exec" (func $exec (param i32 i32 i32 i32) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\\"command\\":\\"sleep\\",\\"args\\":[\\"1\\"]}")
  (func (export "nap") (result i64) (call $exec (i32.const 0) (i32.const 32) (i32.const 1024) (i32.const 4096))))`;

test("the host's event loop keeps running while a plugin waits for sandbox_exec's sleep", async () => {
  const cwd = await tempDir();
  const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(SLEEPER), {
    capabilities: [grant("sandbox:exec", { allowedCommands: ["sleep"], workingDirectory: cwd, networkIsolation: "none" })],
  });
  assert.is(plugin.info().mode, asyncMode);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  try {
    const n = await plugin.call("nap") as bigint;
    assert.ok(n > 0n, `sandbox_exec answered ${n}`);
  } finally {
    clearInterval(timer);
  }
  // Liveness, not timing: the loop ran while the command slept.
  assert.ok(ticks > 0, "timers fired during the call");
});

/** Calls get_timestamp forever: it spins through host calls. */
const SPIN_THROUGH_HOST = `(module
  (import "platform_sandbox" "get_timestamp" (func $ts (result i64)))
  (func (export "spin") (loop $l (drop (call $ts)) (br $l)))
  (func (export "ok") (result i32) (i32.const 5)))`;

test("timeoutMs stops a plugin that spins through host calls; reset() serves again", async () => {
  const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(SPIN_THROUGH_HOST), {
    capabilities: [grant("sandbox:time")],
    isolation: { timeoutMs: 500 },
  });
  assert.is(plugin.info().mode, "worker");
  assert.is(await errorCode(plugin.call("spin")), "Timeout");
  assert.is(plugin.state, SandboxState.Trapped);
  await plugin.reset();
  assert.is(await plugin.call("ok"), 5);
});

test("timeoutMs stops an endless loop with no host calls at all", async () => {
  const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(`(module (func (export "spin") (loop $l (br $l))))`), {
    isolation: { timeoutMs: 300 },
  });
  assert.is(await errorCode(plugin.call("spin")), "Timeout");
});

/** soch_write then soch_read with a too-small buffer, then take_response. */
const SOCH_GUEST = `(module
  (import "soch" "soch_write" (func $write (param i32 i32 i32 i32) (result i64)))
  (import "soch" "soch_read" (func $read (param i32 i32 i32 i32) (result i64)))
  (import "sandbox" "take_response" (func $take (param i32 i32) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "greeting")
  (data (i32.const 16) "hello from the worker")
  (func (export "roundtrip") (result i64)
    (drop (call $write (i32.const 0) (i32.const 8) (i32.const 16) (i32.const 21)))
    ;; out_cap 4: the value is parked for take_response
    (drop (call $read (i32.const 0) (i32.const 8) (i32.const 100) (i32.const 4)))
    (call $take (i32.const 200) (i32.const 64))))`;

test("a worker-isolated plugin uses soch and take_response, with capability checks and audit as in-process", async () => {
  const provider = new DefaultHostContextProvider();
  const runtime = new WasmSandboxRuntime({ provider });
  const plugin = await runtime.loadPlugin("w", await wat(SOCH_GUEST), {
    capabilities: [grant("soch:read"), grant("soch:write")],
    isolation: { mode: "worker" },
  });
  assert.is(plugin.info().mode, "worker");
  assert.is(await plugin.call("roundtrip"), 21n);
  assert.is(plugin.memory.readUtf8(200, 21), "hello from the worker");
  assert.is(new TextDecoder().decode(provider.read("greeting")), "hello from the worker");
  const records = runtime.audit.events().events.map((e) => `${e.function}:${e.decision}:${e.bytesIn}:${e.bytesOut}`);
  assert.equal(records, ["soch_write:allow:29:0", "soch_read:allow:8:0", "take_response:allow:0:21"]);
  assert.is(plugin.stats().hostCalls, 3);
});

test("a worker-isolated plugin without the capability is refused at load, as in-process", async () => {
  const bytes = await wat(SOCH_GUEST);
  assert.is(await errorCode(new WasmSandboxRuntime().loadPlugin("w", bytes, { isolation: { mode: "worker" } })), "CapabilityDenied");
});

/** proc_exit(7) inside try/catch_all, then returns normally. */
const SWALLOW_EXIT = `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (try (do (call $exit (i32.const 7))) (catch_all))))`;

for (const isolation of [undefined, "worker"] as const) {
  test(`catch_all cannot swallow proc_exit: the command exits 7 (${isolation ?? "in-process"})`, async () => {
    for (const fuel of [undefined, 1_000_000n]) {
      const plugin = await new WasmSandboxRuntime({ fuel }).loadPlugin("p", await wat(SWALLOW_EXIT), {
        capabilities: [grant("wasi:proc")],
        isolation: isolation === undefined ? undefined : { mode: isolation },
      });
      assert.is((await plugin.run()).exitCode, 7, `fuel ${fuel}`);
    }
  });
}

/** Sleeps 10 s inside try/catch_all (past a 50 ms sleep budget), then returns 1. */
const SWALLOW_SLEEP_BUDGET = `(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "nap") (result i32)
    ;; one clock subscription: tag 0 (clock), clock id 0 (realtime), relative, 10 s
    (i64.store (i32.const 24) (i64.const 10000000000))
    (try (do (drop (call $poll (i32.const 0) (i32.const 256) (i32.const 1) (i32.const 512)))) (catch_all))
    (i32.const 1)))`;

test("catch_all cannot swallow a sleep past its budget: the call ends in Timeout", async () => {
  const runtime = new WasmSandboxRuntime({ fuel: 1_000_000n, maxSleepMs: 50 });
  const plugin = await runtime.loadPlugin("p", await wat(SWALLOW_SLEEP_BUDGET), { capabilities: [grant("wasi:clock")] });
  assert.is(await errorCode(plugin.call("nap")), "Timeout");
});

test.run();
