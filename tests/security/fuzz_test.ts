// Runs the fuzzer (tests/security/fuzz.ts) briefly with a fixed seed, so CI
// exercises it on both runtimes; long runs are by hand (docs/SECURITY.md).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { report, runFuzz } from "./fuzz.ts";
import { baseModules, fuzzRuntime, loadControl, runMutant } from "../_helpers/fuzz_modules.ts";

test("a short fixed-seed fuzz run finds no failure and exercises both halves", async () => {
  const summary = await runFuzz({ seed: 123, cases: 160, callsPerSession: 150 });
  assert.equal(summary.failures, [], report(summary));
  assert.is(summary.cases, 160);
  assert.is(summary.sessions, 40);
  assert.ok(summary.loaded > 0 && summary.loaded < summary.modules, `${summary.loaded} of ${summary.modules} mutants loaded`);
  assert.match(report(summary), /^fuzz: 160 cases \(120 modules, \d+ of them loaded and run; 40 WASI sessions\), 0 failures, seed 123, /);
});

test("--case replays exactly one case of a seed", async () => {
  const one = await runFuzz({ seed: 123, only: 7 });
  assert.is(one.cases, 1);
  assert.is(one.sessions, 1, "case 7 is a WASI session");
});

test("the unmutated base modules load and run cleanly", async () => {
  const runtime = fuzzRuntime();
  const control = await loadControl(runtime);
  for (const [i, bytes] of (await baseModules()).entries()) {
    assert.equal(await runMutant(runtime, control, `base${i}`, bytes), { loaded: true }, `base ${i}`);
  }
});

test("a host that stops serving is reported as a failure, with seed, case and input", async () => {
  const runtime = fuzzRuntime();
  const control = await loadControl(runtime);
  runtime.unloadPlugin("control");
  const [bytes] = await baseModules();
  const { problem } = await runMutant(runtime, control, "m", bytes!);
  assert.ok(problem !== undefined && problem.includes("control plugin"), String(problem));
  const text = report({
    seed: 9,
    cases: 1,
    modules: 1,
    loaded: 1,
    sessions: 0,
    seconds: 0,
    failures: [{ index: 0, kind: "module", problem: problem!, input: new Uint8Array([0, 0x61]), steps: ["base 0"] }],
  });
  assert.match(text, /1 failures, seed 9/);
  assert.match(text, /FAILED case 0 \(module\) of seed 9/);
  assert.match(text, /hex\): 0061/);
  assert.match(text, /replay: --seed 9 --case 0/);
});

test.run();
