import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync } from "node:fs";
import { type SandboxError, SandboxState, WasmSandboxRuntime } from "../mod.ts";
import { errorCode } from "./_helpers/errors.ts";
import { tempDir } from "./_helpers/temp.ts";
import { wat } from "./_helpers/wat.ts";

const test = suite("runtime: fuel, stack and memory limits");

const PROGRAMS = `(module
  (memory (export "memory") 1)
  (func (export "spin") (loop $l (br $l)))
  (func (export "count") (param $n i32) (result i32) (local $i i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $i))
  (func $recurse (export "recurse") (param i32) (result i32)
    (i32.add (i32.const 1) (call $recurse (local.get 0))))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "boom") unreachable))`;

test("an infinite loop ends in OutOfFuel, distinct from the guest's own unreachable", async () => {
  const runtime = new WasmSandboxRuntime({ fuel: 100_000n });
  const plugin = await runtime.loadPlugin("p", await wat(PROGRAMS));
  assert.is(await errorCode(plugin.call("spin")), "OutOfFuel");
  assert.is(plugin.state, SandboxState.Trapped);
  assert.is(plugin.fuelRemaining, 0n);
  await plugin.reset();
  plugin.addFuel(1000n);
  assert.is(await errorCode(plugin.call("boom")), "Trap");
});

test("fuel is exact and deterministic: the same call costs the same, and consumption adds up", async () => {
  const plugin = await new WasmSandboxRuntime({ fuel: 1_000_000n }).loadPlugin("p", await wat(PROGRAMS));
  assert.is(plugin.callSync("count", 100), 100);
  const first = plugin.fuelConsumed;
  assert.is(plugin.callSync("count", 100), 100);
  assert.is(plugin.fuelConsumed, first * 2n);
  assert.is(plugin.fuelRemaining, 1_000_000n - first * 2n);
  plugin.callSync("count", 200);
  const perIteration = (plugin.fuelConsumed - first * 3n) / 100n;
  assert.ok(perIteration > 0n);
  assert.is(plugin.stats().fuelConsumed, plugin.fuelConsumed);
});

test("a per-call budget overrides the sandbox budget for that call only", async () => {
  const plugin = await new WasmSandboxRuntime({ fuel: 10n }).loadPlugin("p", await wat(PROGRAMS));
  assert.is(await errorCode(plugin.call("count", 1000)), "OutOfFuel");
  await plugin.reset();
  plugin.setFuel(10n);
  assert.is(await plugin.callWith({ fuel: 1_000_000n }, "count", 1000), 1000);
  assert.is(plugin.fuelRemaining, 10n);
});

test("a sandbox with no fuel left refuses a call without running it and stays Ready", async () => {
  const plugin = await new WasmSandboxRuntime({ fuel: 0n }).loadPlugin("p", await wat(PROGRAMS));
  assert.is(await errorCode(plugin.call("count", 1)), "OutOfFuel");
  assert.is(plugin.state, SandboxState.Ready);
  plugin.addFuel(1000n);
  assert.is(await plugin.call("count", 1), 1);
});

test("fuel methods on an unmetered sandbox are InvalidState", async () => {
  const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(PROGRAMS));
  assert.is(plugin.fuelRemaining, undefined);
  try {
    plugin.addFuel(1n);
    assert.unreachable();
  } catch (e) {
    assert.is((e as SandboxError).code, "InvalidState");
  }
});

test("infinite recursion is StackOverflow with the injected depth limit, and without it", async () => {
  const limited = await new WasmSandboxRuntime({ maxStackDepth: 500 }).loadPlugin("p", await wat(PROGRAMS));
  assert.is(await errorCode(limited.call("recurse", 0)), "StackOverflow");
  await limited.reset();
  assert.is(await errorCode(limited.call("recurse", 0)), "StackOverflow", "counters were reset after the trap");
  const unlimited = await new WasmSandboxRuntime({ maxStackDepth: undefined }).loadPlugin("q", await wat(PROGRAMS));
  assert.is(await errorCode(unlimited.call("recurse", 0)), "StackOverflow");
});

test("memory.grow past maxMemoryPages returns -1 for a module-defined memory without a maximum", async () => {
  const plugin = await new WasmSandboxRuntime({ maxMemoryPages: 3 }).loadPlugin("p", await wat(PROGRAMS));
  assert.is(plugin.callSync("grow", 2), 1);
  assert.is(plugin.callSync("grow", 1), -1);
  assert.is(plugin.callSync("grow", 100000), -1);
});

test("rewritten modules are cached on disk when cacheDir is set", async () => {
  const dir = await tempDir("wasm-sandbox-cache-");
  const bytes = await wat(PROGRAMS);
  await new WasmSandboxRuntime({ fuel: 1000n, cacheDir: dir }).loadPlugin("p", bytes);
  assert.is(readdirSync(dir).filter((f) => f.endsWith(".wasm")).length, 1);
  const again = await new WasmSandboxRuntime({ fuel: 1000n, cacheDir: dir }).loadPlugin("p", bytes);
  assert.is(again.callSync("count", 3), 3);
  assert.is(readdirSync(dir).length, 1);
});

test.run();
