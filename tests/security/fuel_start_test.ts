// The start function draws on the plugin's one budget: it cannot spend a
// second full budget before the host's, its exhaustion is OutOfFuel (not the
// guest's own unreachable), and stats count what it spent. In process and in
// a worker alike.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SandboxState, WasmSandboxRuntime } from "../../mod.ts";
import { sandboxError } from "../_helpers/errors.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("fuel: the start function shares the plugin's budget");

/** A start function that counts to `n` (about 5 fuel per iteration), and an export that does the same. */
function counting(n: number, { wasi = false } = {}): string {
  return `(module
    ${wasi ? `(import "wasi_snapshot_preview1" "sched_yield" (func (result i32)))` : ""}
    (global $done (mut i32) (i32.const 0))
    (func $count (param $n i32) (local $i i32)
      (loop $l
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (local.get $n)))))
    (func $start (call $count (i32.const ${n})) (global.set $done (i32.const 1)))
    (start $start)
    (func (export "count") (param i32) (call $count (local.get 0)))
    (func (export "done") (result i32) (global.get $done)))`;
}

const SPIN = `(module (func $spin (loop $l (br $l))) (start $spin) (func (export "f")))`;

for (const isolation of ["in-process", "worker"] as const) {
  const wasi = isolation === "worker";
  const options = { isolation: { mode: isolation, ...(wasi ? { timeoutMs: 10_000 } : {}) } };

  test(`${isolation}: what the start function spends comes out of the budget and shows in stats`, async () => {
    const runtime = new WasmSandboxRuntime({ fuel: 1_000_000n });
    const plugin = await runtime.loadPlugin("p", await wat(counting(10_000, { wasi })), options);
    const spent = plugin.stats().fuelConsumed;
    assert.ok(spent > 40_000n && spent < 100_000n, `start spent ${spent}`);
    assert.is(plugin.fuelRemaining, 1_000_000n - spent);
    assert.is(await plugin.call("done"), 1);
    runtime.unloadPlugin("p");
  });

  test(`${isolation}: start and calls together cannot spend more than one budget`, async () => {
    // The start function spends about 60% of the budget; a call that needs
    // as much again must run out instead of drawing on a second budget.
    const runtime = new WasmSandboxRuntime({ fuel: 100_000n });
    const plugin = await runtime.loadPlugin("p", await wat(counting(12_000, { wasi })), options);
    const err = await sandboxError(plugin.call("count", 12_000));
    assert.is(err.code, "OutOfFuel");
    assert.ok(plugin.stats().fuelConsumed <= 100_000n + 100n, `used ${plugin.stats().fuelConsumed} of 100000`);
    runtime.unloadPlugin("p");
  });

  test(`${isolation}: a start function that runs out of fuel is OutOfFuel, and the runtime keeps serving`, async () => {
    const runtime = new WasmSandboxRuntime({ fuel: 50_000n });
    const source = wasi ? SPIN.replace("(module", `(module (import "wasi_snapshot_preview1" "sched_yield" (func (result i32)))`) : SPIN;
    const err = await sandboxError(runtime.loadPlugin("spin", await wat(source), options));
    assert.is(err.code, "OutOfFuel", err.message);
    const ok = await runtime.loadPlugin("ok", await wat(counting(10, { wasi })), options);
    assert.is(await ok.call("done"), 1);
    runtime.unloadPlugin("ok");
  });
}

test("reset() runs the start function again, on what is left of the budget", async () => {
  const plugin = await new WasmSandboxRuntime({ fuel: 1_000_000n }).loadPlugin("p", await wat(counting(10_000)));
  const once = plugin.fuelConsumed;
  assert.ok(once > 0n);
  await plugin.reset();
  assert.is(plugin.fuelConsumed, once * 2n);
  assert.is(plugin.fuelRemaining, 1_000_000n - once * 2n);
  assert.is(plugin.callSync("done"), 1);
});

test("reset() with the budget spent: the start function runs out at once and the sandbox is Trapped", async () => {
  const plugin = await new WasmSandboxRuntime({ fuel: 1_000_000n }).loadPlugin("p", await wat(counting(10_000)));
  plugin.setFuel(0n);
  assert.is((await sandboxError(plugin.reset())).code, "OutOfFuel");
  assert.is(plugin.state, SandboxState.Trapped);
  plugin.setFuel(1_000_000n);
  await plugin.reset();
  assert.is(plugin.callSync("done"), 1);
});

test("a start function past the depth limit is StackOverflow", async () => {
  const source = `(module (func $r call $r) (start $r))`;
  const err = await sandboxError(new WasmSandboxRuntime({ maxStackDepth: 100 }).loadPlugin("deep", await wat(source)));
  assert.is(err.code, "StackOverflow");
});

test("the start function is not an export the host can call", async () => {
  const plugin = await new WasmSandboxRuntime({ fuel: 1_000_000n }).loadPlugin("p", await wat(counting(10)));
  assert.not.ok(plugin.info().exports.some((name) => name.startsWith("__wasm_sandbox")), plugin.info().exports.join());
  assert.is((await sandboxError(plugin.call("__wasm_sandbox_start"))).code, "NotFound");
});

test("a module that exports the reserved start name itself is refused", async () => {
  const source = `(module (func $s) (start $s) (export "__wasm_sandbox_start" (func $s)))`;
  assert.is((await sandboxError(new WasmSandboxRuntime().loadPlugin("r", await wat(source)))).code, "InvalidModule");
});

test.run();
