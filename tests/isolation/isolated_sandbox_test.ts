import { suite } from "uvu";
import * as assert from "uvu/assert";
import { grant, WasmSandboxRuntime } from "../../mod.ts";
import type { PluginOptions } from "../../mod.ts";
import type { HostCallRecord } from "../../lib/host/bridge.ts";
import type { PluginSandbox } from "../../lib/sandbox/plugin_sandbox.ts";
import { SandboxError } from "../../lib/errors.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("worker isolation");

const MATH = `(module
  (memory (export "memory") 1)
  (global $n (mut i32) (i32.const 0))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "wide") (param i64) (result i64) (i64.mul (local.get 0) (i64.const 3)))
  (func (export "half") (param f64) (result f64) (f64.div (local.get 0) (f64.const 2)))
  (func (export "bump") (result i32) (global.set $n (i32.add (global.get $n) (i32.const 1))) (global.get $n))
  (func (export "boom") unreachable)
  (func (export "spin") (loop $l (br $l)))
  (func (export "long") (param i32) (loop $l (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))))`;

/**
 * Deno's worker.terminate() cannot stop a worker busy in a loop
 * (denoland/deno#35657): its thread runs on and keeps the process alive. So
 * the shared tests use a loop far longer than the limit but finite
 * (2^31 iterations, seconds), and the truly endless loop runs on Node only.
 */
const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
const LONG_LOOP = 0x7fff_ffff;

const HELLO = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $exit (i32.const 3)))
  (func (export "write_to") (param $fd i32) (result i32)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 6))
    (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))`;

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const codeOf = (err: unknown) => (err instanceof SandboxError ? err.code : `not a SandboxError: ${err}`);

/** Runs `body` with a fresh runtime and unloads every plugin afterwards (Deno workers would keep the process alive). */
async function withRuntime(body: (runtime: WasmSandboxRuntime) => Promise<void>, config = {}): Promise<void> {
  const runtime = new WasmSandboxRuntime(config);
  try {
    await body(runtime);
  } finally {
    for (const plugin of runtime.listPlugins()) runtime.unloadPlugin(plugin.id);
  }
}

test("call() runs exports in the worker and returns their values", () =>
  withRuntime(async (runtime) => {
    const plugin = await runtime.loadPlugin("math", await wat(MATH), { isolation: { mode: "worker", timeoutMs: 5000 } });
    assert.is(await plugin.call("add", 2, 40), 42);
    assert.is(await plugin.call("wide", 7n), 21n);
    assert.is(await plugin.call("half", 5), 2.5);
    assert.is(await plugin.call("bump"), 1);
    assert.is(await plugin.call("bump"), 2, "instance state persists between calls");
    assert.is(plugin.state, "Ready");
    assert.is(plugin.stats().calls, 5);
    assert.is(plugin.stats().memoryBytes, 65536);
    assert.is(codeOf(await plugin.call("missing").catch((e) => e)), "NotFound");
    assert.is(plugin.state, "Ready");
  }));

test("callSync() and memory are refused as in-process only", () =>
  withRuntime(async (runtime) => {
    const plugin = await runtime.loadPlugin("math", await wat(MATH), { isolation: { mode: "worker" } });
    assert.throws(() => plugin.callSync("add", 1, 2), (e: unknown) => codeOf(e) === "InvalidState" && /in-process only/.test(String(e)));
    assert.throws(() => plugin.memory, (e: unknown) => codeOf(e) === "InvalidState");
    assert.is(await plugin.call("add", 1, 2), 3);
  }));

test("a guest trap rejects with Trap and leaves the sandbox Trapped until reset()", () =>
  withRuntime(async (runtime) => {
    const plugin = await runtime.loadPlugin("math", await wat(MATH), { isolation: { mode: "worker" } });
    assert.is(codeOf(await plugin.call("boom").catch((e) => e)), "Trap");
    assert.is(plugin.state, "Trapped");
    assert.is(codeOf(await plugin.call("add", 1, 1).catch((e) => e)), "InvalidState");
    plugin.reset();
    assert.is(await plugin.call("add", 1, 1), 2);
  }));

test("a call outliving the limit times out, the host keeps serving, reset() recovers", () =>
  withRuntime(async (runtime) => {
    const bytes = await wat(MATH);
    const isolated = await runtime.loadPlugin("isolated", bytes, { isolation: { mode: "worker", timeoutMs: 800 } });
    const local = await runtime.loadPlugin("local", bytes);
    assert.is(await isolated.call("bump"), 1);
    let settled = false;
    const spinning = isolated.call("long", LONG_LOOP).then(
      () => "resolved",
      (e) => codeOf(e),
    ).finally(() => (settled = true));
    assert.is(isolated.state, "Running");
    // The host thread is free while the guest spins: the in-process plugin keeps answering.
    let served = 0;
    while (!settled && served < 20) {
      assert.is(await local.call("add", served, 1), served + 1);
      served++;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.ok(served > 0);
    assert.is(await spinning, "Timeout");
    assert.is(isolated.state, "Trapped");
    assert.is(codeOf(await isolated.call("add", 1, 2).catch((e) => e)), "InvalidState");
    isolated.reset();
    assert.is(isolated.state, "Ready");
    assert.is(await isolated.call("bump"), 1, "a fresh worker starts from a fresh instance");
    assert.is(isolated.stats().resets, 1);
    assert.is(runtime.stats().traps, 1);
  }));

if (!isDeno) {
  test("an endless loop is stopped for good on Node", () =>
    withRuntime(async (runtime) => {
      const plugin = await runtime.loadPlugin("spin", await wat(MATH), { isolation: { mode: "worker", timeoutMs: 500 } });
      assert.is(codeOf(await plugin.call("spin").catch((e) => e)), "Timeout");
      plugin.reset();
      assert.is(await plugin.call("add", 2, 2), 4);
    }));
}

test("fuel still bounds CPU inside the worker", () =>
  withRuntime(async (runtime) => {
    const plugin = await runtime.loadPlugin("metered", await wat(MATH), { isolation: { mode: "worker", timeoutMs: 10_000 }, fuel: 10_000n });
    assert.is(await plugin.call("add", 1, 2), 3);
    const left = plugin.fuelRemaining!;
    assert.ok(left < 10_000n && left > 0n);
    assert.is(codeOf(await plugin.call("spin").catch((e) => e)), "OutOfFuel");
    assert.is(plugin.fuelRemaining, 0n);
    assert.ok(plugin.fuelConsumed >= 10_000n);
  }));

test("a start function outliving the limit times out at load", () =>
  withRuntime(async (runtime) => {
    const bytes = await wat(`(module
      (func $s (local $n i32) (local.set $n (i32.const ${LONG_LOOP}))
        (loop $l (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
      (start $s))`);
    const err = await runtime.loadPlugin("stuck", bytes, { isolation: { mode: "worker", timeoutMs: 500 } }).catch((e) => e);
    assert.is(codeOf(err), "Timeout");
    assert.is(runtime.getPlugin("stuck"), undefined);
  }));

test("WASI run() returns exit code and output, and streams stdout", () =>
  withRuntime(async (runtime) => {
    const chunks: string[] = [];
    const plugin = await runtime.loadPlugin("hello", await wat(HELLO), {
      isolation: { mode: "worker" },
      capabilities: [grant("wasi:stdio"), grant("wasi:proc")],
      wasi: { onStdout: (chunk) => chunks.push(text(chunk)) },
    });
    const result = await plugin.run();
    assert.is(result.exitCode, 3);
    assert.is(text(result.stdout), "hello\n");
    assert.is(chunks.join(""), "hello\n");
    assert.is(plugin.state, "Terminated");
    plugin.reset();
    assert.is((await plugin.run()).exitCode, 3);
  }));

test("WASI calls are audited on the host and a revoked token denies later calls", () =>
  withRuntime(async (runtime) => {
    const records: HostCallRecord[] = [];
    const stdio = grant("wasi:stdio");
    const plugin = await runtime.loadPlugin("hello", await wat(HELLO), {
      isolation: { mode: "worker" },
      capabilities: [stdio, grant("wasi:proc")],
      recorder: { record: (r) => records.push(r) },
    });
    assert.is(await plugin.call("write_to", 1), 0);
    assert.equal(records.map((r) => [r.function, r.decision]), [["fd_write", "allow"]]);
    stdio.revoke();
    assert.is(await plugin.call("write_to", 1), 76, "NOTCAPABLE once the token is revoked");
    assert.equal(records.map((r) => r.decision), ["allow", "deny"]);
    assert.is(plugin.stats().deniedHostCalls, 1);
  }));

test("host namespaces other than WASI, registrars and preopens are refused at load", () =>
  withRuntime(async (runtime) => {
    const soch = await wat(`(module (import "soch" "soch_read" (func (param i32 i32 i32 i32) (result i64))))`);
    const err = await runtime.loadPlugin("soch", soch, { isolation: { mode: "worker" } }).catch((e) => e);
    assert.is(codeOf(err), "InvalidArgument");
    assert.match(String(err), /soch\.soch_read/);
    const math = await wat(MATH);
    const registrar = { namespace: "extra", functions: {} };
    assert.is(codeOf(await runtime.loadPlugin("r", math, { isolation: { mode: "worker" }, registrars: [registrar] }).catch((e) => e)), "InvalidArgument");
    assert.is(codeOf(await runtime.loadPlugin("t", math, { isolation: { mode: "worker", timeoutMs: -1 } }).catch((e) => e)), "InvalidArgument");
    const odd = { isolation: { mode: "threads" } } as unknown as PluginOptions;
    assert.is(codeOf(await runtime.loadPlugin("o", math, odd).catch((e) => e)), "InvalidArgument");
    assert.is(runtime.listPlugins().length, 0);
  }));

test("unloading terminates the worker", () =>
  withRuntime(async (runtime) => {
    const plugin: PluginSandbox = await runtime.loadPlugin("math", await wat(MATH), { isolation: { mode: "worker" } });
    assert.ok(runtime.unloadPlugin("math"));
    assert.is(plugin.state, "Terminated");
    assert.is(codeOf(await plugin.call("add", 1, 2).catch((e) => e)), "InvalidState");
  }));

test.run();
