// Fuel metering overhead on compute kernels: each AssemblyScript kernel
// (compiled at bench time with asc -O3) runs as compiled ("original") and
// instrumented with the default cost model ("fuel"), side by side in one
// tinybench run. Prints per kernel ours, baseline and the ratio, then the
// geometric mean and the worst ratio against the goals (≤ 1.10x, ≤ 1.30x).
// Run: node --import tsx bench/fuel_overhead.ts   (or: deno run -A bench/fuel_overhead.ts)
import { FUEL_GLOBAL_EXPORT, instrument } from "../lib/fuel/instrument.ts";
import { compileKernel, KERNELS } from "../tests/fuel/_kernels.ts";
import { compareCases, reportGoal } from "./_harness.ts";

/** Work per kernel call: sized so one call takes a few milliseconds. */
const SIZES: Record<string, number> = {
  fib: 25,
  nested_loops: 1000,
  sieve: 1_000_000,
  matmul: 100,
  hash: 2_000_000,
  sort: 100_000,
};

const BUDGET = 1n << 60n;
const quick = (globalThis as { process?: { argv: string[] } }).process?.argv.includes("--quick") ?? false;

async function load(bytes: Uint8Array): Promise<{ work: (n: number) => number; refill: () => void }> {
  const { instance } = await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>);
  const fuel = instance.exports[FUEL_GLOBAL_EXPORT] as WebAssembly.Global | undefined;
  return {
    work: instance.exports.work as (n: number) => number,
    refill: () => {
      if (fuel !== undefined) fuel.value = BUDGET;
    },
  };
}

const ratios: number[] = [];
for (const [name, source] of Object.entries(KERNELS)) {
  const n = SIZES[name]!;
  const original = await compileKernel(source);
  const metered = instrument(original);
  const plain = await load(original);
  const fueled = await load(metered);
  fueled.refill();
  if (plain.work(n) !== fueled.work(n)) throw new Error(`${name}: instrumented result differs`);
  const results = await compareCases(`fuel overhead: ${name}(${n})`, [
    { name: "original", run: () => plain.work(n) },
    { name: "fuel", run: () => (fueled.refill(), fueled.work(n)) },
  ], { unit: "call", timeMs: quick ? 300 : 1000, warmupMs: quick ? 100 : 250, rounds: quick ? 1 : 3 });
  ratios.push(results.get("fuel")!.nsPerOp / results.get("original")!.nsPerOp);
}

const geomean = Math.exp(ratios.reduce((sum, r) => sum + Math.log(r), 0) / ratios.length);
console.log("\nfuel overhead summary");
reportGoal("geometric mean fuel/original", geomean, { max: 1.1 });
reportGoal("worst kernel fuel/original", Math.max(...ratios), { max: 1.3 });
