// The sandbox fuzzer, runnable by hand on either runtime:
//
//   node --import tsx tests/security/fuzz.ts --seconds 600 --seed 123
//   deno run -A tests/security/fuzz.ts --seconds 600 --seed 123
//
// Each case is either (a) a mutated module loaded and run through the public
// runtime with fuel, which must end in a result or a SandboxError with a
// known code, with the runtime still serving afterwards; or (b) a session of
// random WASI calls with hostile arguments against a WasiHost over a small
// tree, each answering an errno with the filesystem invariants intact.
// Prints one summary line; on a failure, the seed, the case and its input,
// and exits 1. `--case N` replays one case of a seed. See docs/SECURITY.md.
import process from "node:process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { baseModules, fuzzRuntime, loadControl, mutateModule, runMutant } from "../_helpers/fuzz_modules.ts";
import { runWasiSession } from "../_helpers/fuzz_wasi.ts";
import { caseSeed, rng } from "../_helpers/prng.ts";

/** What to run: a time budget or a case count (whichever ends first), from a seed. */
export interface FuzzOptions {
  seed: number;
  /** Stop after this many seconds (default: no limit). */
  seconds?: number;
  /** Stop after this many cases (default: no limit; one of the two must be set). */
  cases?: number;
  /** Run only this case of the seed (replay). */
  only?: number;
  /** WASI calls per session (default 200). */
  callsPerSession?: number;
}

/** One failed case, with what is needed to reproduce it. */
export interface FuzzFailure {
  index: number;
  kind: "module" | "wasi";
  problem: string;
  /** The mutated module's bytes (module cases). */
  input?: Uint8Array;
  steps?: string[];
}

export interface FuzzSummary {
  seed: number;
  cases: number;
  modules: number;
  /** Mutants that loaded (the rest were refused at load, as they should be when invalid). */
  loaded: number;
  sessions: number;
  failures: FuzzFailure[];
  seconds: number;
}

/** Case `index` is a WASI session every fourth case, a module otherwise. */
const kindOf = (index: number): "module" | "wasi" => (index % 4 === 3 ? "wasi" : "module");

/** Runs the fuzzer; stops at the first failure. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  if (options.seconds === undefined && options.cases === undefined && options.only === undefined) {
    throw new Error("give a time budget (seconds) or a case count (cases)");
  }
  const started = performance.now();
  const deadline = options.seconds === undefined ? Infinity : started + options.seconds * 1000;
  const bases = await baseModules();
  let runtime = fuzzRuntime();
  let control = await loadControl(runtime);
  const summary: FuzzSummary = { seed: options.seed, cases: 0, modules: 0, loaded: 0, sessions: 0, failures: [], seconds: 0 };
  const first = options.only ?? 0;
  const last = options.only !== undefined ? options.only + 1 : options.cases ?? Infinity;
  for (let index = first; index < last && performance.now() < deadline; index++) {
    const random = rng(caseSeed(options.seed, index));
    summary.cases++;
    if (kindOf(index) === "wasi") {
      summary.sessions++;
      const problem = await runWasiSession(random, options.callsPerSession ?? 200);
      if (problem !== undefined) summary.failures.push({ index, kind: "wasi", problem });
    } else {
      summary.modules++;
      const { bytes, steps } = mutateModule(random, bases);
      const { problem, loaded } = await runMutant(runtime, control, `m${index}`, bytes);
      if (loaded) summary.loaded++;
      if (problem !== undefined) summary.failures.push({ index, kind: "module", problem, input: bytes, steps });
      // A fresh runtime now and then keeps the module cache and audit ring small on long runs.
      if (index % 500 === 499) {
        runtime = fuzzRuntime();
        control = await loadControl(runtime);
      }
    }
    if (summary.failures.length > 0) break;
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

/** The one-line summary, and a reproduction of the failure if there was one. */
export function report(summary: FuzzSummary): string {
  const { seed, cases, modules, loaded, sessions, failures, seconds } = summary;
  const lines = [`fuzz: ${cases} cases (${modules} modules, ${loaded} of them loaded and run; ${sessions} WASI sessions), ${failures.length} failures, seed ${seed}, ${seconds.toFixed(1)} s`];
  for (const f of failures) {
    lines.push(`FAILED case ${f.index} (${f.kind}) of seed ${seed}: ${f.problem}`);
    if (f.steps !== undefined) lines.push(`  mutations: ${f.steps.join("; ")}`);
    if (f.input !== undefined) lines.push(`  module (${f.input.length} bytes, hex): ${Array.from(f.input, (b) => b.toString(16).padStart(2, "0")).join("")}`);
    lines.push(`  replay: --seed ${seed} --case ${f.index}`);
  }
  return lines.join("\n");
}

function parseArgs(argv: string[]): FuzzOptions {
  const options: FuzzOptions = { seed: Date.now() >>> 0 };
  for (let i = 0; i < argv.length; i++) {
    const value = Number(argv[i + 1]);
    const flag = argv[i];
    if (!["--seconds", "--seed", "--cases", "--case", "--calls"].includes(flag!) || !Number.isFinite(value) || value < 0) {
      throw new Error(`usage: fuzz.ts [--seconds N] [--cases N] [--seed N] [--case N] [--calls N] (at ${flag})`);
    }
    i++;
    if (flag === "--seconds") options.seconds = value;
    if (flag === "--seed") options.seed = value >>> 0;
    if (flag === "--cases") options.cases = value;
    if (flag === "--case") options.only = value;
    if (flag === "--calls") options.callsPerSession = value;
  }
  if (options.seconds === undefined && options.cases === undefined) options.seconds = 60;
  return options;
}

const isMain = (import.meta as { main?: boolean }).main ??
  (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url));

if (isMain) {
  const summary = await runFuzz(parseArgs(process.argv.slice(2)));
  console.log(report(summary));
  process.exit(summary.failures.length > 0 ? 1 : 0);
}
