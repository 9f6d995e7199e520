// Instructions charged by their operand (bulk memory and table operations,
// memory.grow, table.grow) are checked right after they run, and so are
// segment splits and oversized charges: loop-free code cannot run far past
// its budget, and a huge operation over budget runs at most once.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { FUEL_GLOBAL_EXPORT, instrument, type InstrumentOptions, TRAP_REASON_GLOBAL_EXPORT } from "../../lib/fuel/instrument.ts";
import { WasmSandboxRuntime } from "../../mod.ts";
import { sandboxError } from "../_helpers/errors.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("fuel: operand-charged operations are checked");

const MiB = 1 << 20;

async function load(source: string, budget: bigint, options: InstrumentOptions = {}) {
  const bytes = instrument(await wat(source), options);
  const { instance } = await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>);
  const exports = instance.exports as Record<string, unknown>;
  const fuel = exports[FUEL_GLOBAL_EXPORT] as WebAssembly.Global;
  fuel.value = budget;
  return {
    exports,
    run: () => (exports.run as () => unknown)(),
    fuel: () => fuel.value as bigint,
    reason: () => (exports[TRAP_REASON_GLOBAL_EXPORT] as WebAssembly.Global).value as number,
  };
}

function runsOutOfFuel(m: { run(): unknown; reason(): number }): void {
  try {
    m.run();
  } catch (err) {
    assert.instance(err, WebAssembly.RuntimeError);
    assert.is(m.reason(), 1, "the trap is out-of-fuel");
    return;
  }
  assert.unreachable("expected an out-of-fuel trap");
}

const repeat = (text: string, times: number) => Array(times).fill(text).join("\n");

// Each operation is given an operand far over the budget; the global $after
// is set by the next instruction, which must never run.
const OPERATIONS: Array<[string, string, string]> = [
  ["memory.fill", "", "(memory.fill (i32.const 0) (i32.const 7) (i32.const 65536))"],
  ["memory.copy", "", "(memory.copy (i32.const 0) (i32.const 32768) (i32.const 32768))"],
  ["memory.init", `(data $d "${"x".repeat(5000)}")`, "(memory.init $d (i32.const 0) (i32.const 0) (i32.const 5000))"],
  ["memory.grow", "", "(drop (memory.grow (i32.const 3000)))"],
  ["table.fill", "", "(table.fill $t (i32.const 0) (ref.null func) (i32.const 4000))"],
  ["table.copy", "", "(table.copy $t $t (i32.const 0) (i32.const 2000) (i32.const 2000))"],
  ["table.init", `(elem $e func ${repeat("$f", 3000)})`, "(table.init $t $e (i32.const 0) (i32.const 0) (i32.const 3000))"],
  ["table.grow", "", "(drop (table.grow $t (ref.null func) (i32.const 3000)))"],
];

for (const [name, extra, op] of OPERATIONS) {
  test(`${name} over budget traps right after it, before the next instruction`, async () => {
    const m = await load(
      `(module (memory 1 4000) (table $t 4000 10000 funcref) (global $after (export "after") (mut i32) (i32.const 0))
        (func $f) ${extra}
        (func (export "run") ${op} (global.set $after (i32.const 1))))`,
      1000n,
      { maxMemoryPages: 4000, maxTableElements: 10_000 },
    );
    runsOutOfFuel(m);
    assert.is((m.exports.after as WebAssembly.Global).value, 0, "the instruction after the operation did not run");
    assert.ok(m.fuel() < 0n);
  });
}

test("straight-line fills: out of fuel after the first fill past the budget, not after all of them", async () => {
  // 64 fills of 1 MiB with no loop and no call: only function entry was
  // checked before, so all of them ran whatever the budget.
  const m = await load(
    `(module (memory 16 16) (func (export "run") ${repeat("(memory.fill (i32.const 0) (i32.const 1) (i32.const 1048576))", 64)}))`,
    40_000n,
  );
  runsOutOfFuel(m);
  // The static part of the body is a few hundred units; the dynamic part is
  // the one fill that crossed the budget.
  assert.ok(-m.fuel() <= BigInt(MiB + 1000), `overshoot ${-m.fuel()}`);
});

test("a long straight-line segment is checked where it is split", async () => {
  // 12,000 × (i32.const, i32.const, i32.add, drop) costs 36,000, split into
  // segments of at most 8,191: the second charge already crosses 10,000.
  const m = await load(
    `(module (func (export "run") ${repeat("(drop (i32.add (i32.const 1) (i32.const 2)))", 12_000)}))`,
    10_000n,
  );
  runsOutOfFuel(m);
  assert.ok(-m.fuel() <= 8191n, `overshoot ${-m.fuel()}`);
});

test("a single charge too large for a placeholder is checked", async () => {
  const m = await load(
    `(module (func (export "run") (drop (i32.add (i32.const 1) (i32.const 2)))))`,
    50_000n,
    { costs: { operators: { "i32.add": 100_000 } } },
  );
  runsOutOfFuel(m);
});

test("checks change no count: a run within budget uses the same fuel as before", async () => {
  // 10 fills of 1000 bytes: static cost 10 × 4 (three consts and the fill), dynamic 10 × 1000.
  const m = await load(
    `(module (memory 1) (func (export "run") ${repeat("(memory.fill (i32.const 0) (i32.const 1) (i32.const 1000))", 10)}))`,
    100_000n,
  );
  m.run();
  assert.is(100_000n - m.fuel(), 10n * 4n + 10n * 1000n);
});

test("the runtime: straight-line 1 MiB fills under a small budget end in OutOfFuel with the real count", async () => {
  const source = `(module (memory 16 16) (func (export "run") ${
    repeat("(memory.fill (i32.const 0) (i32.const 1) (i32.const 1048576))", 200)
  }))`;
  const runtime = new WasmSandboxRuntime({ fuel: 40_000n });
  const plugin = await runtime.loadPlugin("fills", await wat(source));
  assert.is((await sandboxError(plugin.call("run"))).code, "OutOfFuel");
  const used = plugin.stats().fuelConsumed;
  assert.ok(used > 40_000n && used <= BigInt(40_000 + MiB + 1000), `fuel used ${used}`);
  assert.is(plugin.fuelRemaining, 0n);
  // The host keeps serving.
  const other = await runtime.loadPlugin("other", await wat(`(module (func (export "one") (result i32) (i32.const 1)))`));
  assert.is(await other.call("one"), 1);
});

test.run();
