import { test } from "uvu";
import * as assert from "uvu/assert";
import { isSandboxError } from "../../lib/errors.ts";
import { FUEL_GLOBAL_EXPORT, instrument, type InstrumentOptions, TRAP_REASON_GLOBAL_EXPORT } from "../../lib/fuel/instrument.ts";
import { wat } from "../_helpers/wat.ts";

async function load(source: string, options: InstrumentOptions) {
  const bytes = instrument(await wat(source), options);
  const { instance } = await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>);
  const exports = instance.exports as Record<string, unknown>;
  (exports[FUEL_GLOBAL_EXPORT] as WebAssembly.Global).value = 10_000_000n;
  return {
    call: (name: string, ...args: number[]) => (exports[name] as (...a: number[]) => unknown)(...args),
    reason: () => (exports[TRAP_REASON_GLOBAL_EXPORT] as WebAssembly.Global).value as number,
  };
}

function trapsWith(fn: () => unknown, check: (err: unknown) => boolean): void {
  try {
    fn();
  } catch (err) {
    assert.ok(check(err), `unexpected error: ${String(err)}`);
    return;
  }
  assert.unreachable("expected a trap");
}

test("an infinite loop runs out of fuel: trap reason 1", async () => {
  const m = await load(`(module (func (export "spin") (loop $l br $l)))`, {});
  trapsWith(() => m.call("spin"), (err) => err instanceof WebAssembly.RuntimeError);
  assert.is(m.reason(), 1);
});

test("an infinite loop with no branch-free exit and calls inside runs out of fuel", async () => {
  const m = await load(`(module
    (func $nothing)
    (func (export "spin") (loop $l call $nothing br $l)))`, {});
  trapsWith(() => m.call("spin"), (err) => err instanceof WebAssembly.RuntimeError);
  assert.is(m.reason(), 1);
});

test("infinite recursion hits maxStackDepth: trap reason 2", async () => {
  const m = await load(`(module (func $r (export "r") call $r))`, { maxStackDepth: 1000 });
  trapsWith(() => m.call("r"), (err) => err instanceof WebAssembly.RuntimeError);
  assert.is(m.reason(), 2);
});

test("infinite recursion without maxStackDepth ends in the engine's RangeError", async () => {
  const m = await load(`(module (func $r (export "r") call $r))`, {});
  trapsWith(() => m.call("r"), (err) => err instanceof RangeError && /call stack/i.test(err.message));
  assert.is(m.reason(), 0);
});

test("a memory.grow bomb gets -1 past maxMemoryPages", async () => {
  const m = await load(`(module (memory 1)
    (func (export "bomb") (result i32) (local $last i32)
      (loop $l
        i32.const 1 memory.grow local.tee $last
        i32.const -1 i32.ne br_if $l)
      memory.size))`, { maxMemoryPages: 32 });
  assert.is(m.call("bomb"), 32);
});

test("a table.grow bomb gets -1 past maxTableElements", async () => {
  const m = await load(`(module (table 1 funcref)
    (func (export "bomb") (result i32)
      (loop $l
        ref.null func i32.const 100 table.grow 0
        i32.const -1 i32.ne br_if $l)
      table.size 0))`, { maxTableElements: 1000 });
  assert.is(m.call("bomb"), 901);
});

test("a huge initial memory is refused with MemoryLimit before anything runs", async () => {
  const bytes = await wat(`(module (memory 60000))`);
  try {
    instrument(bytes, { maxMemoryPages: 256 });
    assert.unreachable();
  } catch (err) {
    assert.ok(isSandboxError(err, "MemoryLimit"), String(err));
    assert.match((err as Error).message, /60000 pages/);
  }
});

test("a huge initial table is refused with MemoryLimit", async () => {
  const bytes = await wat(`(module (table 5000000 funcref))`);
  try {
    instrument(bytes, { maxTableElements: 10_000 });
    assert.unreachable();
  } catch (err) {
    assert.ok(isSandboxError(err, "MemoryLimit"), String(err));
  }
});

test("a bulk copy bomb pays for every byte", async () => {
  const m = await load(`(module (memory 1 1)
    (func (export "copy") (loop $l i32.const 0 i32.const 0 i32.const 65536 memory.copy br $l)))`, {});
  trapsWith(() => m.call("copy"), (err) => err instanceof WebAssembly.RuntimeError);
  assert.is(m.reason(), 1);
});

test.run();
