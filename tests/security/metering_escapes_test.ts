// Ways a guest might run forever or grow without bound, each through the
// public runtime with a fuel budget: branch tables, indirect calls through a
// table, tail calls, exception loops, memory.grow and table.grow bombs. Each
// ends in its stable SandboxError code (or -1 from grow at the cap), and the
// runtime keeps serving afterwards.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { SandboxState, WasmSandboxRuntime } from "../../mod.ts";
import { errorCode } from "../_helpers/errors.ts";
import { wat } from "../_helpers/wat.ts";

const FUEL = 200_000n;

/** Loads `source` with a small budget, runs `fn`, and returns the error code; checks the runtime still serves. */
async function stopsWith(source: string, fn: string, args: number[] = []): Promise<string> {
  const runtime = new WasmSandboxRuntime({ fuel: FUEL, maxStackDepth: 500 });
  const plugin = await runtime.loadPlugin("p", await wat(source));
  const code = await errorCode(plugin.call(fn, ...args));
  assert.is(plugin.state, SandboxState.Trapped);
  // The same runtime serves a fresh plugin, and the trapped one recovers with reset().
  const other = await runtime.loadPlugin("q", await wat(`(module (func (export "one") (result i32) i32.const 1))`));
  assert.is(other.callSync("one"), 1);
  await plugin.reset();
  assert.is(plugin.state, SandboxState.Ready);
  return code;
}

/** True when this engine validates `source` (used to skip proposals it lacks, with a message). */
async function engineSupports(source: string, what: string): Promise<boolean> {
  const ok = WebAssembly.validate((await wat(source)) as Uint8Array<ArrayBuffer>);
  if (!ok) console.log(`  (skipped: this engine does not support ${what})`);
  return ok;
}

test("a loop that re-enters itself through br_table runs out of fuel", async () => {
  assert.is(await stopsWith(`(module (func (export "spin") (param i32)
    (loop $l (block $a (block $b (br_table $a $b $l (local.get 0))) br $l) br $l)))`, "spin", [2]), "OutOfFuel");
});

test("a br_table whose default target is the loop runs out of fuel", async () => {
  assert.is(await stopsWith(`(module (func (export "spin") (param i32)
    (loop $l (block $out (br_table $out $out $l (local.get 0))))))`, "spin", [99]), "OutOfFuel");
});

test("a loop of call_indirect through a table runs out of fuel", async () => {
  assert.is(await stopsWith(`(module (type $t (func)) (table 1 funcref) (elem (i32.const 0) $nop)
    (func $nop)
    (func (export "spin") (loop $l (call_indirect (type $t) (i32.const 0)) br $l)))`, "spin"), "OutOfFuel");
});

test("recursion through call_indirect hits the stack limit", async () => {
  assert.is(await stopsWith(`(module (type $t (func)) (table 2 funcref) (elem (i32.const 0) $a $b)
    (func $a (call_indirect (type $t) (i32.const 1)))
    (func $b (call_indirect (type $t) (i32.const 0)))
    (export "go" (func $a)))`, "go"), "StackOverflow");
});

test("an endless return_call (tail call) loop runs out of fuel", async () => {
  const source = `(module (func $f (export "spin") (param i32) (return_call $f (i32.add (local.get 0) (i32.const 1)))))`;
  if (!(await engineSupports(source, "tail calls"))) return;
  assert.is(await stopsWith(source, "spin", [0]), "OutOfFuel");
});

test("an endless return_call_indirect ping-pong through a table runs out of fuel", async () => {
  const source = `(module (type $t (func)) (table 2 funcref) (elem (i32.const 0) $a $b)
    (func $a (return_call_indirect (type $t) (i32.const 1)))
    (func $b (return_call_indirect (type $t) (i32.const 0)))
    (export "spin" (func $a)))`;
  if (!(await engineSupports(source, "tail calls"))) return;
  assert.is(await stopsWith(source, "spin"), "OutOfFuel");
});

test("throwing and catching in a loop runs out of fuel", async () => {
  const source = `(module (tag $e)
    (func (export "spin") (loop $l (try (do (throw $e)) (catch $e)) br $l)))`;
  if (!(await engineSupports(source, "exception handling"))) return;
  assert.is(await stopsWith(source, "spin"), "OutOfFuel");
});

test("a loop catching exceptions thrown from a deeper call with catch_all runs out of fuel", async () => {
  const source = `(module (tag $e (param i32))
    (func $deep (param i32) (if (local.get 0) (then (call $deep (i32.sub (local.get 0) (i32.const 1))))) (throw $e (local.get 0)))
    (func (export "spin") (loop $l (try (do (call $deep (i32.const 20))) (catch_all)) br $l)))`;
  if (!(await engineSupports(source, "exception handling"))) return;
  assert.is(await stopsWith(source, "spin"), "OutOfFuel");
});

test("a memory.grow bomb stops at maxMemoryPages: grow answers -1 and memory stays at the cap", async () => {
  const runtime = new WasmSandboxRuntime({ maxMemoryPages: 40 });
  const plugin = await runtime.loadPlugin("p", await wat(`(module (memory (export "memory") 1)
    (func (export "bomb") (result i32)
      (loop $l (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
      memory.size)
    (func (export "huge") (result i32) (memory.grow (i32.const -1))))`));
  assert.is(plugin.callSync("bomb"), 40);
  assert.is(plugin.callSync("huge"), -1, "a 2^32-1 page request");
  assert.is(plugin.memory.byteLength, 40 * 65536);
  assert.is(plugin.state, SandboxState.Ready);
});

test("a memory that declares a maximum above the cap still stops at the cap", async () => {
  const plugin = await new WasmSandboxRuntime({ maxMemoryPages: 8 }).loadPlugin("p", await wat(`(module (memory 1 65536)
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`));
  assert.is(plugin.callSync("grow", 7), 1);
  assert.is(plugin.callSync("grow", 1), -1);
  assert.is(plugin.callSync("grow", 0x7fff), -1);
});

test("a table.grow bomb stops at maxTableElements", async () => {
  const plugin = await new WasmSandboxRuntime({ maxTableElements: 500 }).loadPlugin("p", await wat(`(module
    (table $t 1 funcref)
    (func (export "bomb") (result i32)
      (loop $l (br_if $l (i32.ne (table.grow $t (ref.null func) (i32.const 64)) (i32.const -1))))
      (table.size $t))
    (func (export "huge") (result i32) (table.grow $t (ref.null func) (i32.const -1))))`));
  const size = plugin.callSync("bomb") as number;
  assert.ok(size <= 500 && size > 400, `table size ${size}`);
  assert.is(plugin.callSync("huge"), -1);
  assert.is(plugin.state, SandboxState.Ready);
});

test("a table that declares a maximum above the cap still stops at the cap", async () => {
  const plugin = await new WasmSandboxRuntime({ maxTableElements: 100 }).loadPlugin("p", await wat(`(module (table $t 10 1000000 funcref)
    (func (export "grow") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0))))`));
  assert.is(plugin.callSync("grow", 90), 10);
  assert.is(plugin.callSync("grow", 1), -1);
});

test.run();
