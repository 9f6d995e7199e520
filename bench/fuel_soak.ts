// Soak test for the rewriter: thousands of random modules from binaryen's
// translate-to-fuzz (wasm-opt -ttf, seeded, so any failure reproduces with
// its seed). For each module that this engine can run:
//   1. with ample fuel, every export behaves exactly as in the original;
//   2. a second fresh run uses exactly the same fuel, and so does the layout
//      with one charge per segment (mergeSegments: false), call for call;
//   3. with small budgets, a run either finishes like the original or stops
//      with trap reason 1 (out of fuel), never anything else.
// Run: node --import tsx bench/fuel_soak.ts [count=2000] [first-seed=1000]
import { instrument } from "../lib/fuel/instrument.ts";
import { exportParamTypes, fuelOfReturns, runExports } from "../tests/fuel/_harness.ts";
import { randomModule } from "../tests/fuel/_ttf.ts";
import { isQuick, recordValue } from "./_harness.ts";

const args = ((globalThis as { process?: { argv: string[] } }).process?.argv.slice(2) ??
  (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? []).filter((a) => !a.startsWith("--"));
const count = Number(args[0] ?? (isQuick() ? 100 : 2000));
const first = Number(args[1] ?? 1000);
const AMPLE = 1n << 50n;

let tested = 0;
let skipped = 0;
const failures: string[] = [];
const started = Date.now();
for (let seed = first; tested < count; seed++) {
  let original: Uint8Array;
  try {
    original = await randomModule(seed, 1024 + (seed % 4) * 1024);
  } catch (err) {
    console.log(`  seed ${seed}: generator failed (${(err as Error).message.split("\n")[0]}), skipped`);
    skipped++;
    continue;
  }
  if (!WebAssembly.validate(original as Uint8Array<ArrayBuffer>)) {
    skipped++;
    continue;
  }
  tested++;
  try {
    const metered = instrument(original, { maxStackDepth: 50_000, initialFuel: AMPLE, maxMemoryPages: 65536 });
    const paramTypes = exportParamTypes(original);
    const expected = await runExports(original, { paramTypes });
    const actual = await runExports(metered, { fuel: AMPLE, paramTypes });
    if (JSON.stringify(actual.transcript) !== JSON.stringify(expected.transcript)) {
      failures.push(`seed ${seed}: behaviour differs`);
      continue;
    }
    const again = await runExports(metered, { fuel: AMPLE, paramTypes });
    if (again.fuelUsed.join() !== actual.fuelUsed.join()) failures.push(`seed ${seed}: fuel not deterministic`);
    const plain = await runExports(
      instrument(original, { maxStackDepth: 50_000, initialFuel: AMPLE, maxMemoryPages: 65536, mergeSegments: false }),
      { fuel: AMPLE, paramTypes },
    );
    if (fuelOfReturns(plain) !== fuelOfReturns(actual)) failures.push(`seed ${seed}: merged and plain charges differ`);
    // Small budgets: the transcript may stop early, but only with reason 1.
    for (const budget of [0n, 10n, 1000n]) {
      const starved = await runExports(metered, { fuel: budget, paramTypes });
      const reasons = starved.transcript.filter((line) => line.startsWith("reason ") && line !== "reason 1");
      if (reasons.length > 0) failures.push(`seed ${seed}: budget ${budget} gave ${reasons.join(", ")}`);
    }
  } catch (err) {
    failures.push(`seed ${seed}: ${(err as Error).message}`);
  }
  if (tested % 100 === 0) console.log(`${tested} modules, ${failures.length} failures, ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
console.log(`soak: ${tested} modules tested (${skipped} seeds skipped: not runnable on this engine), ${failures.length} failures`);
for (const failure of failures.slice(0, 50)) console.log(`  ${failure}`);
recordValue({ label: "random modules tested (wasm-opt -ttf)", value: tested, unit: "modules" });
recordValue({ label: "failures (behaviour, determinism, budget)", value: failures.length, unit: "failures" });
if (failures.length > 0) (globalThis as { process?: { exitCode?: number } }).process!.exitCode = 1;
