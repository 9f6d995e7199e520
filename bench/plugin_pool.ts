// Calls of one CPU-bound export spread over a pool of worker-isolated
// instances (runtime.loadPool), with 1 and with 2 workers, side by side in
// one run: each sample sends a batch of concurrent calls and waits for all.
// Goal (the performance issue): on a 2-core machine, calls/s with 2 workers
// ≥ 1.7× that with 1.
// Run: node --import tsx bench/plugin_pool.ts   (or: deno run -A bench/plugin_pool.ts)
import { WasmSandboxRuntime } from "../mod.ts";
import { wat } from "../tests/_helpers/wat.ts";
import { compareCases, isQuick, reportGoal } from "./_harness.ts";

// About a millisecond of integer work per call (metered: the pool's instances carry fuel like any plugin).
const WORK = `(module
  (func (export "work") (param $n i32) (result i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31)) (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (i32.gt_s (local.get $n) (i32.const 0))))
    (local.get $acc)))`;
const ITERATIONS = 1_000_000;
const BATCH = isQuick() ? 8 : 32;

const runtime = new WasmSandboxRuntime({ fuel: 1n << 60n });
const bytes = await wat(WORK);
const one = await runtime.loadPool("one", bytes, {}, { size: 1 });
const two = await runtime.loadPool("two", bytes, {}, { size: 2 });
const expected = await one.call("work", ITERATIONS);
const batch = (pool: typeof one) => async () => {
  const results = await Promise.all(Array.from({ length: BATCH }, () => pool.call("work", ITERATIONS)));
  // A pool that dropped or mixed up calls would be fast for the wrong reason.
  if (results.some((r) => r !== expected)) throw new Error("a pool call returned a wrong result");
};
const ONE = "pool of 1 worker";
const TWO = "pool of 2 workers";
const results = await compareCases(`${BATCH} concurrent calls of a CPU-bound export (about 1 ms each)`, [
  { name: ONE, run: batch(one), opsPerRun: BATCH },
  { name: TWO, run: batch(two), opsPerRun: BATCH },
], { unit: "call" });
await one.close();
await two.close();

const ns = (name: string) => results.get(name)!.nsPerOp;
reportGoal("calls/s: 2 workers ÷ 1 worker", ns(ONE) / ns(TWO), { min: 1.7 });
