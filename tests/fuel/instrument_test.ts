import { test } from "uvu";
import * as assert from "uvu/assert";
import { isSandboxError } from "../../lib/errors.ts";
import {
  DEPTH_GLOBAL_EXPORT,
  FUEL_GLOBAL_EXPORT,
  instrument,
  type InstrumentOptions,
  TRAP_REASON_GLOBAL_EXPORT,
} from "../../lib/fuel/instrument.ts";
import { shareLimit } from "../../lib/wasm/limits.ts";
import { summarizeModule } from "../../lib/wasm/module_summary.ts";
import { wat } from "../_helpers/wat.ts";

interface Metered {
  exports: Record<string, (...args: never[]) => unknown>;
  fuel: WebAssembly.Global;
  reason: WebAssembly.Global;
  depth: WebAssembly.Global;
  /** Calls an export with `budget` fuel; returns its result and the fuel it used. */
  run(name: string, args?: unknown[], budget?: bigint): { result: unknown; used: bigint };
}

async function metered(source: string, options: InstrumentOptions = {}, imports: WebAssembly.Imports = {}): Promise<Metered> {
  const bytes = instrument(await wat(source), options);
  const { instance } = await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>, imports);
  const exports = instance.exports as Record<string, never>;
  const fuel = exports[FUEL_GLOBAL_EXPORT] as WebAssembly.Global;
  return {
    exports,
    fuel,
    reason: exports[TRAP_REASON_GLOBAL_EXPORT] as WebAssembly.Global,
    depth: exports[DEPTH_GLOBAL_EXPORT] as WebAssembly.Global,
    run(name, args = [], budget = 1_000_000_000n) {
      fuel.value = budget;
      const result = (exports[name] as (...a: unknown[]) => unknown)(...args);
      return { result, used: budget - (fuel.value as bigint) };
    },
  };
}

const COUNT_LOOP = `(module
  (func (export "count") (param $n i32) (result i32) (local $i i32)
    (loop $l
      local.get $i i32.const 1 i32.add local.tee $i
      local.get $n i32.lt_u
      br_if $l)
    local.get $i))`;

test("a loop of N iterations costs exactly 7N + 1", async () => {
  const m = await metered(COUNT_LOOP);
  for (const n of [1, 2, 10, 1000]) {
    const { result, used } = m.run("count", [n]);
    assert.is(result, n);
    assert.is(used, BigInt(7 * n + 1));
  }
});

test("each arm of an if is charged only when it runs", async () => {
  const m = await metered(`(module
    (func (export "pick") (param i32) (result i32)
      local.get 0
      if (result i32)
        i32.const 1 i32.const 2 i32.add i32.const 3 i32.add
      else
        i32.const 7
      end))`);
  // local.get + if = 2; then-arm 5; else-arm 1 (else and end are free).
  assert.is(m.run("pick", [1]).used, 7n);
  assert.is(m.run("pick", [0]).used, 3n);
});

test("calls charge the call and the callee's body", async () => {
  const m = await metered(`(module
    (func $add (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
    (func (export "f") (result i32) i32.const 1 i32.const 2 call $add i32.const 3 call $add))`);
  // f: 2 consts + call + const + call = 5; two bodies of 3 each.
  assert.is(m.run("f").used, 11n);
  assert.is(m.run("f").result, 6);
});

test("br_table and blocks: only executed operators count", async () => {
  const m = await metered(`(module
    (func (export "sw") (param i32) (result i32)
      (block $b2 (block $b1 (block $b0
        local.get 0
        br_table $b0 $b1 $b2)
        i32.const 10 return)
        i32.const 20 return)
      i32.const 30))`);
  // local.get + br_table = 2, then const = 1 (return is free).
  assert.equal([0, 1, 2, 9].map((i) => m.run("sw", [i]).used), [3n, 3n, 3n, 3n]);
  assert.equal([0, 1, 2].map((i) => m.run("sw", [i]).result), [10, 20, 30]);
});

test("bulk memory is charged per byte and memory.grow per page, at run time", async () => {
  const m = await metered(`(module (memory 1 10)
    (func (export "fill") (param i32)
      i32.const 0 i32.const 7 local.get 0 memory.fill)
    (func (export "grow") (param i32) (result i32)
      local.get 0 memory.grow))`);
  // fill: 3 operand pushes + memory.fill = 4, plus n.
  assert.is(m.run("fill", [0]).used, 4n);
  assert.is(m.run("fill", [1000]).used, 1004n);
  // grow: local.get + memory.grow = 2, plus pages requested (even when refused).
  assert.is(m.run("grow", [3]).used, 5n);
  assert.is(m.run("grow", [100]).used, 102n);
  assert.is(m.run("grow", [100]).result, -1);
});

test("cost overrides: exact names beat groups, groups beat the default", async () => {
  const source = `(module (func (export "f") (result i32)
    i32.const 1 i32.const 2 i32.add i64.const 1 drop))`;
  const m = await metered(source, { costs: { defaultCost: 3, operators: { "i32.*": 2, "i32.add": 10 } } });
  // i32.const ×2 → 4, i32.add → 10, i64.const → 3 (default), drop → 0.
  assert.is(m.run("f").used, 17n);
  const dynamic = await metered(`(module (memory 1)
    (func (export "fill") i32.const 0 i32.const 0 i32.const 100 memory.fill))`, { costs: { bulkPerUnit: 3 } });
  assert.is(dynamic.run("fill").used, 304n);
});

test("cost overrides reject unknown names and bad values", async () => {
  const bytes = await wat(`(module)`);
  for (const costs of [{ operators: { "i32.frob": 1 } }, { operators: { "zz.*": 1 } }, { defaultCost: -1 }, { bulkPerUnit: 1.5 }]) {
    try {
      instrument(bytes, { costs });
      assert.unreachable("expected InvalidArgument");
    } catch (err) {
      assert.ok(isSandboxError(err, "InvalidArgument"), String(err));
    }
  }
});

test("a straight line too long for one placeholder is split and still exact", async () => {
  const body = "i32.const 1 drop ".repeat(9000);
  const m = await metered(`(module (func (export "f") ${body}))`);
  assert.is(m.run("f").used, 9000n);
  const big = await metered(`(module (func (export "f") i32.const 1 i32.const 2 i32.add drop))`, { costs: { operators: { "i32.add": 100_000 } } });
  assert.is(big.run("f").used, 100_002n);
});

test("running out of fuel traps with reason 1; the guest's own unreachable leaves reason 0", async () => {
  const m = await metered(`(module
    (func (export "spin") (loop $l br $l))
    (func (export "boom") unreachable))`);
  assert.throws(() => m.run("spin", [], 1000n), (err: unknown) => err instanceof WebAssembly.RuntimeError);
  assert.is(m.reason.value, 1);
  assert.ok((m.fuel.value as bigint) < 0n);
  m.reason.value = 0;
  assert.throws(() => m.run("boom"), (err: unknown) => err instanceof WebAssembly.RuntimeError);
  assert.is(m.reason.value, 0);
});

test("a function entered with no fuel left traps before running", async () => {
  const m = await metered(`(module (func (export "f") (result i32) i32.const 1))`);
  assert.is(m.run("f", [], 1n).result, 1);
  assert.throws(() => m.run("f", [], 0n));
  assert.is(m.reason.value, 1);
});

test("catch_all cannot swallow running out of fuel", async () => {
  const m = await metered(`(module
    (func $spin (loop $l br $l))
    (func (export "guarded") (result i32)
      try (result i32)
        call $spin
        i32.const 0
      catch_all
        i32.const 1
      end))`);
  assert.throws(() => m.run("guarded", [], 10_000n), (err: unknown) => err instanceof WebAssembly.RuntimeError);
  assert.is(m.reason.value, 1);
});

test("fuel spent by a callee that throws is still counted when the exception is caught", async () => {
  const m = await metered(`(module
    (tag $e)
    (func $work (param $n i32)
      (loop $l local.get $n i32.const 1 i32.sub local.tee $n br_if $l)
      throw $e)
    (func (export "caught") (param i32) (result i32)
      try (result i32)
        local.get 0 call $work
        i32.const 0
      catch $e
        i32.const 1
      end))`);
  const small = m.run("caught", [10]);
  const large = m.run("caught", [1000]);
  assert.is(small.result, 1);
  // Each extra iteration costs 5 (local.get, const, sub, tee, br_if).
  assert.is(large.used - small.used, 990n * 5n);
});

test("maxStackDepth traps with reason 2; tail calls give their frame back", async () => {
  const m = await metered(`(module
    (func $down (export "down") (param i32) (result i32)
      local.get 0 i32.eqz if (result i32) i32.const 0 else local.get 0 i32.const 1 i32.sub call $down end)
    (func $tail (export "tail") (param i32) (result i32)
      local.get 0 i32.eqz if (result i32) i32.const 0 else local.get 0 i32.const 1 i32.sub return_call $tail end))`,
    { maxStackDepth: 50 });
  assert.is(m.run("down", [49]).result, 0);
  assert.is(m.depth.value, 0);
  assert.throws(() => m.run("down", [50]));
  assert.is(m.reason.value, 2);
  m.reason.value = 0;
  m.depth.value = 0;
  assert.is(m.run("tail", [10_000]).result, 0);
  assert.is(m.depth.value, 0);
});

test("branches to the function label and multi-value results pass through the epilogue", async () => {
  const m = await metered(`(module
    (func (export "two") (param i32) (result i32 i64)
      i32.const 1 i64.const 2
      local.get 0 br_if 0
      drop drop
      i32.const 3 i64.const 4))`, { maxStackDepth: 10 });
  assert.equal(m.run("two", [1]).result, [1, 2n]);
  assert.equal(m.run("two", [0]).result, [3, 4n]);
  assert.is(m.depth.value, 0);
});

test("the start function runs on initialFuel", async () => {
  const source = `(module (global $g (mut i32) (i32.const 0))
    (func $s (local $i i32) (loop $l local.get $i i32.const 1 i32.add local.tee $i i32.const 100 i32.lt_u br_if $l))
    (start $s))`;
  const starved = instrument(await wat(source));
  await assert.rejects?.(WebAssembly.instantiate(starved as Uint8Array<ArrayBuffer>));
  try {
    await WebAssembly.instantiate(starved as Uint8Array<ArrayBuffer>);
    assert.unreachable("start should run out of fuel");
  } catch (err) {
    assert.instance(err, WebAssembly.RuntimeError);
  }
  const fed = instrument(await wat(source), { initialFuel: 10_000n });
  const { instance } = await WebAssembly.instantiate(fed as Uint8Array<ArrayBuffer>);
  assert.is((instance.exports[FUEL_GLOBAL_EXPORT] as WebAssembly.Global).value, 10_000n - 700n);
});

test("the injected globals are exported and the module stays standalone", async () => {
  const bytes = instrument(await wat(`(module (func (export "f")))`), { maxStackDepth: 5 });
  const summary = summarizeModule(bytes);
  assert.equal(summary.imports, []);
  assert.equal(summary.exports.map((e) => `${e.name}:${e.kind}`), [
    "f:func",
    `${FUEL_GLOBAL_EXPORT}:global`,
    `${TRAP_REASON_GLOBAL_EXPORT}:global`,
    `${DEPTH_GLOBAL_EXPORT}:global`,
  ]);
});

test("a module that already exports a reserved name is refused", async () => {
  const bytes = await wat(`(module (global (export "${FUEL_GLOBAL_EXPORT}") i32 (i32.const 0)))`);
  try {
    instrument(bytes);
    assert.unreachable();
  } catch (err) {
    assert.ok(isSandboxError(err, "InvalidModule"));
    assert.match((err as Error).message, /reserves/);
  }
});

test("fuel: false with limits only leaves code and unrelated sections byte for byte", async () => {
  const original = await wat(`(module (memory 2) (table 3 funcref)
    (func (export "f") (result i32) i32.const 42))`);
  const capped = instrument(original, { fuel: false, maxMemoryPages: 8, maxTableElements: 20 });
  const summary = summarizeModule(capped);
  assert.equal(summary.memories, [{ min: 2, max: 8, shared: false, memory64: false }]);
  assert.equal(summary.tables, [{ min: 3, max: 20, elementType: "funcref", table64: false }]);
  assert.not.ok(summary.exports.some((e) => e.name === FUEL_GLOBAL_EXPORT));
  // Only the memory and table sections changed, each by one max field (2 bytes).
  assert.is(capped.length, original.length + 2);
  const tail = (b: Uint8Array) => [...b.subarray(b.length - 27)].join(",");
  assert.is(tail(capped), tail(original));
});

test("declared maxima above the cap come down; imported memories and tables are capped too", async () => {
  const caps = { fuel: false, maxMemoryPages: 16, maxTableElements: 64 };
  const imported = summarizeModule(instrument(await wat(`(module
    (import "env" "m" (memory 1))
    (import "env" "t" (table 1 1000 funcref)))`), caps));
  assert.equal(imported.imports[0]!.memory, { min: 1, max: 16, shared: false, memory64: false });
  assert.equal(imported.imports[1]!.table, { min: 1, max: 64, elementType: "funcref", table64: false });
  const defined = summarizeModule(instrument(await wat(`(module (memory 1 1000))`), caps));
  assert.equal(defined.memories, [{ min: 1, max: 16, shared: false, memory64: false }]);
  try {
    instrument(await wat(`(module (memory 17))`), caps);
    assert.unreachable();
  } catch (err) {
    assert.ok(isSandboxError(err, "MemoryLimit"), String(err));
  }
});

test("unsupported features are refused by name", async () => {
  // memory64: memory section with flags 0x04 (64-bit, no max), min 1.
  const memory64 = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 0x04, 1]);
  // GC: a struct type.
  const gc = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 3, 1, 0x5f, 0]);
  for (const [bytes, feature] of [[memory64, /memory64/], [gc, /GC/]] as const) {
    try {
      instrument(bytes);
      assert.unreachable();
    } catch (err) {
      assert.ok(isSandboxError(err, "InvalidModule"), String(err));
      assert.match((err as Error).message, feature);
      assert.match((err as Error).message, /does not support/);
    }
  }
});

test("options are checked", async () => {
  const bytes = await wat(`(module)`);
  for (const options of [{ maxStackDepth: 0 }, { maxMemoryPages: 70000 }, { maxTableElements: -1 }, { initialFuel: 2n ** 64n }]) {
    try {
      instrument(bytes, options);
      assert.unreachable();
    } catch (err) {
      assert.ok(isSandboxError(err, "InvalidArgument"), String(err));
    }
  }
});

test("a loop full of calls (fuel kept in the global) is charged exactly like one without", async () => {
  const m = await metered(`(module
    (func $id (param i32) (result i32) local.get 0)
    (func (export "calls") (param $n i32) (result i32) (local $i i32)
      (loop $l
        local.get $i call $id call $id call $id
        i32.const 1 i32.add local.tee $i
        local.get $n i32.lt_u br_if $l)
      local.get $i))`);
  // Per iteration: local.get, 3 calls, const, add, tee, local.get, lt_u, br_if = 10, plus 3 callee bodies of 1.
  for (const n of [1, 5, 100]) assert.is(m.run("calls", [n]).used, BigInt(13 * n + 1));
});

test("try_table: fuel spent by a callee that throws into a catch clause is counted", async () => {
  const source = `(module
    (tag $e)
    (func $work (param $n i32)
      (loop $l local.get $n i32.const 1 i32.sub local.tee $n br_if $l)
      throw $e)
    (func (export "caught") (param i32) (result i32) (local $i i32)
      (block $h
        (try_table (catch $e $h) local.get 0 call $work))
      i32.const 1))`;
  const bytes = await wat(source);
  // exnref (try_table) is not in every engine this library supports (Node 20 lacks it).
  if (!WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) return;
  const m = await metered(source, { maxStackDepth: 100 });
  const small = m.run("caught", [10]);
  const large = m.run("caught", [1000]);
  assert.is(small.result, 1);
  assert.is(large.used - small.used, 990n * 5n);
  assert.is(m.depth.value, 0);
});

test("typed function references (call_ref, return_call_ref, br_on_null, ref.as_non_null) are metered", async () => {
  // Hand-assembled: wabt 1.0.39 cannot write these instructions.
  const section = (id: number, body: number[]) => [id, body.length, ...body];
  const bytes = new Uint8Array([
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [1, 0x60, 0, 1, 0x7f]), // type 0: [] -> [i32]
    ...section(3, [3, 0, 0, 0]),
    ...section(7, [2, 1, 0x66, 0, 1, 1, 0x67, 0, 2]), // export "f" = func 1, "g" = func 2
    ...section(9, [1, 0x03, 0x00, 1, 0x00]), // declarative segment: func 0
    ...section(10, [
      3,
      4, 0, 0x41, 42, 0x0b, // func 0: i32.const 42
      // func 1: block (result i32) i32.const 7 ref.func 0 ref.as_non_null br_on_null 0 call_ref 0 i32.add end
      15, 0, 0x02, 0x7f, 0x41, 7, 0xd2, 0, 0xd4, 0xd5, 0, 0x14, 0, 0x6a, 0x0b, 0x0b,
      6, 0, 0xd2, 0, 0x15, 0, 0x0b, // func 2: ref.func 0 return_call_ref 0
    ]),
  ]);
  // Not every supported engine has typed function references (Node 20 does not).
  if (!WebAssembly.validate(bytes)) return;
  const out = instrument(bytes, { maxStackDepth: 10 });
  const { instance } = await WebAssembly.instantiate(out as Uint8Array<ArrayBuffer>);
  const fuel = instance.exports[FUEL_GLOBAL_EXPORT] as WebAssembly.Global;
  fuel.value = 1000n;
  assert.is((instance.exports.f as () => number)(), 49);
  // f: const, ref.func, as_non_null, br_on_null, call_ref, add = 6; callee: 1.
  assert.is(1000n - (fuel.value as bigint), 7n);
  fuel.value = 1000n;
  assert.is((instance.exports.g as () => number)(), 42);
  assert.is(1000n - (fuel.value as bigint), 3n);
  assert.is((instance.exports[DEPTH_GLOBAL_EXPORT] as WebAssembly.Global).value, 0);
});

test("caps are totals: tables share maxTableElements, imported ones included", async () => {
  const caps = { fuel: false, maxTableElements: 1000 };
  const summary = summarizeModule(instrument(await wat(`(module
    (import "env" "t" (table 100 funcref))
    (table 300 300 funcref) (table 10 externref) (table 50 5000 externref))`), caps));
  // 300 keeps its own maximum; the other three share the remaining 700 equally (233 each, 1 unused).
  assert.equal(summary.imports[0]!.table!.max, 233);
  assert.equal(summary.tables.map((t) => t.max), [300, 233, 233]);
  try {
    instrument(await wat(`(module (table 600 funcref) (table 600 externref))`), caps);
    assert.unreachable();
  } catch (err) {
    assert.ok(isSandboxError(err, "MemoryLimit"), String(err));
    assert.match((err as Error).message, /1200 elements together/);
  }
});

test("shareLimit() keeps maxima that fit, and otherwise levels the largest down", () => {
  assert.equal(shareLimit([{ min: 1, max: 8 }], 16), [8]);
  assert.equal(shareLimit([{ min: 1 }], 16), [16]);
  assert.equal(shareLimit([{ min: 128, max: 128 }, { min: 128 }], 1000), [128, 872]);
  assert.equal(shareLimit([{ min: 1 }, { min: 1 }, { min: 1 }], 10), [3, 3, 3]);
  assert.equal(shareLimit([{ min: 6 }, { min: 1 }], 10), [6, 4]);
  assert.equal(shareLimit([{ min: 9 }, { min: 1 }], 10), [9, 1]);
  assert.equal(shareLimit([], 10), []);
});

test("a function whose locals leave no room for the injected ones is a clear InvalidModule", async () => {
  // Fuel and depth add three locals; the engine allows 50,000 per function, parameters included.
  const withLocals = (n: number) => wat(`(module (func (export "f") (param i32) (local i32) (local ${"i64 ".repeat(n - 2)})))`);
  const full = await withLocals(50_000);
  assert.ok(WebAssembly.validate(full as Uint8Array<ArrayBuffer>), "valid as it stands");
  try {
    instrument(full, { maxStackDepth: 100 });
    assert.unreachable();
  } catch (err) {
    assert.ok(isSandboxError(err, "InvalidModule"), String(err));
    const message = (err as Error).message;
    assert.match(message, /function 0 has 50000 locals/);
    assert.match(message, /add 3 more/);
    assert.match(message, /limit of 50000 locals per function/);
    assert.not.match(message, /bug/);
  }
  const roomy = instrument(await withLocals(49_997), { maxStackDepth: 100 });
  assert.ok(WebAssembly.validate(roomy as Uint8Array<ArrayBuffer>));
  // Without fuel or depth nothing is added, so the full function is fine.
  instrument(full, { fuel: false });
});

test("exportStart: the start section becomes an export the host runs on its own budget", async () => {
  const bytes = instrument(await wat(`(module (global $g (export "g") (mut i32) (i32.const 0))
    (func $s (global.set $g (i32.const 7))) (start $s))`), { exportStart: true });
  const summary = summarizeModule(bytes);
  assert.ok(summary.exports.some((e) => e.name === "__wasm_sandbox_start"));
  const { instance } = await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>);
  const g = instance.exports.g as WebAssembly.Global;
  assert.is(g.value, 0, "not run while instantiating");
  (instance.exports[FUEL_GLOBAL_EXPORT] as WebAssembly.Global).value = 100n;
  (instance.exports.__wasm_sandbox_start as () => void)();
  assert.is(g.value, 7);
});


test("a summary made by the caller gives the same rewrite; a summary of other bytes is refused", async () => {
  const bytes = await wat(`(module
    (import "env" "m" (memory 1))
    (global $g (mut i32) (i32.const 0))
    (func $start)
    (func (export "run") (param i32) (result i32)
      (loop (br_if 0 (i32.eqz (local.get 0))))
      (global.get $g))
    (start $start))`);
  const options: InstrumentOptions = { maxStackDepth: 100, maxMemoryPages: 4, exportStart: true };
  const summary = summarizeModule(bytes);
  assert.equal(instrument(bytes, { ...options, summary }), instrument(bytes, options));
  // A summary of equal bytes in another array is not trusted: the rewriter
  // cannot tell it from a summary of different bytes.
  try {
    instrument(bytes.slice(), { ...options, summary });
    assert.unreachable();
  } catch (err) {
    assert.ok(isSandboxError(err, "InvalidArgument"), String(err));
  }
});

test("an imported 64-bit memory is refused by name", () => {
  // Import section: "e" "m" memory, flags 0x04 (64-bit, no max), min 1.
  const bytes = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 2, 8, 1, 1, 0x65, 1, 0x6d, 2, 0x04, 1]);
  try {
    instrument(bytes);
    assert.unreachable();
  } catch (err) {
    assert.ok(isSandboxError(err, "InvalidModule"), String(err));
    assert.match((err as Error).message, /memory64.*does not support/);
  }
});

test.run();
