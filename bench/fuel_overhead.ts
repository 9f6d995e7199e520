// Fuel metering overhead on compute kernels: each AssemblyScript kernel
// (compiled at bench time with asc -O3) runs as compiled ("original"),
// instrumented by us with the default cost model ("fuel"), and instrumented
// by the peer wasm-metering (ewasm's metering injector, "wasm-metering"),
// side by side in one tinybench run. Prints per kernel the time and the
// instrumented size of each, then the geometric mean and the worst ratio
// against the goals (≤ 1.10x, ≤ 1.30x), and the peer's figures on the
// kernels it can instrument (those it cannot are reported with its error).
//
// wasm-metering inserts `i32.const cost; call $usegas` at the start of each
// block, calling an imported JS function that keeps the count — its design
// (the embedder counts); ours keeps the count in a wasm global. Both runs
// check the budget on every charge.
// Run: node --import tsx bench/fuel_overhead.ts   (or: deno run -A bench/fuel_overhead.ts)
import { createRequire } from "node:module";
import { FUEL_GLOBAL_EXPORT, instrument } from "../lib/fuel/mod.ts";
import { compileKernel, KERNELS } from "../tests/fuel/_kernels.ts";
import { compareCases, isQuick, recordSkip, reportGoal, reportRatio } from "./_harness.ts";
import { recordTable } from "./_results.ts";

/** Work per kernel call: sized so one call takes a few milliseconds (a tenth of that with --quick). */
const SIZES: Record<string, [full: number, quick: number]> = {
  fib: [25, 20],
  nested_loops: [1000, 300],
  sieve: [1_000_000, 100_000],
  matmul: [100, 40],
  hash: [2_000_000, 200_000],
  sort: [100_000, 10_000],
};

const BUDGET = 1n << 60n;
const quick = isQuick();

/** wasm-metering's API (CommonJS, no types): returns the metered module's bytes. */
type MeterWasm = (bytes: Uint8Array, options: { meterType?: "i32" | "i64" }) => Uint8Array;
const meterWASM = (createRequire(import.meta.url)("wasm-metering") as { meterWASM: MeterWasm }).meterWASM;

interface Loaded {
  work: (n: number) => number;
  refill: () => void;
}

async function load(bytes: Uint8Array): Promise<Loaded> {
  const { instance } = await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>);
  const fuel = instance.exports[FUEL_GLOBAL_EXPORT] as WebAssembly.Global | undefined;
  return {
    work: instance.exports.work as (n: number) => number,
    refill: () => {
      if (fuel !== undefined) fuel.value = BUDGET;
    },
  };
}

/** A wasm-metering module, with the gas counter its `metering.usegas` import keeps. */
async function loadPeer(bytes: Uint8Array): Promise<Loaded> {
  let gas = Number.MAX_SAFE_INTEGER;
  const usegas = (cost: number) => {
    gas -= cost;
    if (gas < 0) throw new Error("out of gas");
  };
  const { instance } = await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>, { metering: { usegas } });
  return { work: instance.exports.work as (n: number) => number, refill: () => void (gas = Number.MAX_SAFE_INTEGER) };
}

const geomean = (values: number[]) => Math.exp(values.reduce((sum, r) => sum + Math.log(r), 0) / values.length);

const ours: number[] = [];
/** Over the kernels wasm-metering instruments: [ours, peer] time ratios and size ratios. */
const paired = { oursTime: [] as number[], peerTime: [] as number[], oursSize: [] as number[], peerSize: [] as number[] };
for (const [name, source] of Object.entries(KERNELS)) {
  const n = SIZES[name]![quick ? 1 : 0];
  const original = await compileKernel(source);
  const metered = instrument(original);
  const plain = await load(original);
  const fueled = await load(metered);
  fueled.refill();
  const expected = plain.work(n);
  if (expected !== fueled.work(n)) throw new Error(`${name}: instrumented result differs`);

  let peer: Loaded | undefined;
  let peerBytes: Uint8Array | undefined;
  try {
    peerBytes = meterWASM(original, { meterType: "i32" });
    peer = await loadPeer(peerBytes);
    if (peer.work(n) !== expected) throw new Error("its module computes a different result");
  } catch (err) {
    peer = undefined;
    recordSkip({ what: `wasm-metering on ${name}`, reason: `it cannot instrument this kernel: ${(err as Error).message}` });
  }

  const results = await compareCases(`fuel overhead: ${name}(${n})`, [
    { name: "original", run: () => plain.work(n) },
    { name: "fuel", run: () => (fueled.refill(), fueled.work(n)) },
    ...(peer === undefined ? [] : [{ name: "wasm-metering", run: () => (peer.refill(), peer.work(n)) }]),
  ], { unit: "call" });
  const ratio = (caseName: string) => results.get(caseName)!.nsPerOp / results.get("original")!.nsPerOp;
  ours.push(ratio("fuel"));

  const sizes = [{ name: "original", bytes: original.length }, { name: "fuel", bytes: metered.length }];
  if (peerBytes !== undefined && peer !== undefined) sizes.push({ name: "wasm-metering", bytes: peerBytes.length });
  console.log(`  size: ${sizes.map((s) => `${s.name} ${s.bytes} B (${(s.bytes / original.length).toFixed(2)}x)`).join(", ")}`);
  recordTable({
    title: `instrumented size: ${name}`,
    baseline: "original",
    cases: sizes.map((s) => ({ name: s.name, value: s.bytes, unit: "bytes", ratio: s.bytes / original.length })),
  });
  if (peer !== undefined) {
    paired.oursTime.push(ratio("fuel"));
    paired.peerTime.push(ratio("wasm-metering"));
    paired.oursSize.push(metered.length / original.length);
    paired.peerSize.push(peerBytes!.length / original.length);
  }
}

console.log("\nfuel overhead summary");
reportGoal("fuel ÷ original, geometric mean", geomean(ours), { max: 1.1 });
reportGoal("fuel ÷ original, worst kernel", Math.max(...ours), { max: 1.3 });
if (paired.peerTime.length > 0) {
  const over = `(the ${paired.peerTime.length} kernels it instruments)`;
  reportRatio(`wasm-metering ÷ original, geomean ${over}`, geomean(paired.peerTime));
  reportRatio(`wasm-metering ÷ ours, geomean ${over}`, geomean(paired.peerTime) / geomean(paired.oursTime));
  reportRatio(`size: fuel ÷ original, geomean ${over}`, geomean(paired.oursSize));
  reportRatio(`size: wasm-metering ÷ original, geomean ${over}`, geomean(paired.peerSize));
}
