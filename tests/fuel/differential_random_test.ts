import { test } from "uvu";
import * as assert from "uvu/assert";
import { instrument } from "../../lib/fuel/instrument.ts";
import { exportParamTypes, fuelOfReturns, runExports } from "./_harness.ts";
import { randomModule } from "./_ttf.ts";

const MODULES = 200;
const FIRST_SEED = 1;

const AMPLE = 1n << 50n;

test(`instrumented random modules (${MODULES} from wasm-opt -ttf, fixed seeds) behave exactly like the originals`, async () => {
  const failures: string[] = [];
  let tested = 0;
  for (let seed = FIRST_SEED; tested < MODULES; seed++) {
    const original = await randomModule(seed);
    // binaryen sometimes emits an instruction this engine lacks (e.g. typed
    // function references on Node 20): such a seed says nothing here.
    if (!WebAssembly.validate(original as Uint8Array<ArrayBuffer>)) continue;
    tested++;
    let metered: Uint8Array;
    try {
      metered = instrument(original, {
        maxStackDepth: 100_000,
        maxMemoryPages: 65536,
        maxTableElements: 100_000,
        initialFuel: AMPLE,
      });
    } catch (err) {
      failures.push(`seed ${seed}: instrument threw ${(err as Error).message}`);
      continue;
    }
    const paramTypes = exportParamTypes(original);
    const expected = await runExports(original, { paramTypes });
    const actual = await runExports(metered, { fuel: AMPLE, paramTypes });
    if (JSON.stringify(expected.transcript) !== JSON.stringify(actual.transcript)) {
      failures.push(`seed ${seed}:\n  original:     ${expected.transcript.join(" | ")}\n  instrumented: ${actual.transcript.join(" | ")}`);
      continue;
    }
    // Same inputs, same fuel: a second fresh run consumes exactly as much,
    // and so does the layout with one charge per segment (merging charges
    // must never change a total).
    const again = await runExports(metered, { fuel: AMPLE, paramTypes });
    if (again.fuelUsed.join() !== actual.fuelUsed.join()) failures.push(`seed ${seed}: fuel differs between runs`);
    const unmerged = instrument(original, { maxStackDepth: 100_000, initialFuel: AMPLE, mergeSegments: false });
    const plain = await runExports(unmerged, { fuel: AMPLE, paramTypes });
    if (fuelOfReturns(plain) !== fuelOfReturns(actual)) {
      failures.push(`seed ${seed}: merged charges used ${fuelOfReturns(actual)}, one per segment ${fuelOfReturns(plain)}`);
    }
  }
  assert.equal(failures, []);
});

test.run();
