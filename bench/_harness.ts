// Shared helper for the benchmarks: runs contenders side by side in one
// tinybench run and prints each one's time per operation and its ratio to a
// baseline, so every figure is compared within the same process and moment.
import { Bench } from "tinybench";

/** One contender. `run` does `opsPerRun` operations (e.g. a wasm loop of N host calls). */
export interface BenchCase {
  name: string;
  run: () => unknown;
  /** Operations one `run` performs; figures are reported per operation. Default 1. */
  opsPerRun?: number;
}

/** Options of {@linkcode compareCases}. */
export interface CompareOptions {
  /** Name of the case the ratios are taken against (default: the first case). */
  baseline?: string;
  /** Measuring time per case, ms (default 1000). */
  timeMs?: number;
  /** Warm-up time per case, ms (default 250). */
  warmupMs?: number;
  /** What one operation is, for the column header (default "op"). */
  unit?: string;
  /**
   * Runs of the whole set, interleaved (default 3). Each case keeps its
   * fastest median: on a shared machine, load from other processes only ever
   * adds time, so the minimum is the figure least disturbed by it.
   */
  rounds?: number;
}

/** The figures of one case. */
export interface CaseResult {
  name: string;
  /** Median nanoseconds per operation. */
  nsPerOp: number;
  /** Relative margin of error of the mean, in percent. */
  rme: number;
  /** Samples taken (each one `run`), over all rounds. */
  samples: number;
}

/** "node v20.x" or "deno 2.x": where the figures come from. */
export function runtimeLabel(): string {
  const deno = (globalThis as { Deno?: { version: { deno: string } } }).Deno;
  if (deno !== undefined) return `deno ${deno.version.deno}`;
  const process = (globalThis as { process?: { version: string } }).process;
  return `node ${process?.version ?? "unknown"}`;
}

/**
 * Runs every case in one tinybench run, prints a table with ns per operation
 * and the ratio to the baseline, and returns the figures by name.
 */
export async function compareCases(
  title: string,
  cases: readonly BenchCase[],
  options: CompareOptions = {},
): Promise<Map<string, CaseResult>> {
  const results = new Map<string, CaseResult>();
  const rounds = options.rounds ?? 3;
  for (let round = 0; round < rounds; round++) {
    const bench = new Bench({ time: options.timeMs ?? 1000, warmupTime: options.warmupMs ?? 250, throws: true });
    for (const c of cases) bench.add(c.name, c.run);
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result;
      if (result.state !== "completed") throw new Error(`benchmark "${task.name}" did not complete (${result.state})`);
      const ops = cases.find((c) => c.name === task.name)?.opsPerRun ?? 1;
      const nsPerOp = (result.latency.p50 * 1e6) / ops;
      const best = results.get(task.name);
      const samples = (best?.samples ?? 0) + result.latency.samplesCount;
      if (best === undefined || nsPerOp < best.nsPerOp) {
        results.set(task.name, { name: task.name, nsPerOp, rme: result.latency.rme, samples });
      } else {
        best.samples = samples;
      }
    }
  }

  const baseline = results.get(options.baseline ?? cases[0].name);
  if (baseline === undefined) throw new Error(`no baseline case named "${options.baseline}"`);
  const width = Math.max(...cases.map((c) => c.name.length));
  console.log(`\n${title}  (${runtimeLabel()}, fastest median of ${rounds} rounds, ratios to "${baseline.name}")`);
  console.log(`  ${"case".padEnd(width)}  ${`ns/${options.unit ?? "op"}`.padStart(12)}  ${"±rme".padStart(7)}  ${"ratio".padStart(8)}`);
  for (const r of results.values()) {
    const ratio = r === baseline ? "1.00x" : `${(r.nsPerOp / baseline.nsPerOp).toFixed(2)}x`;
    console.log(
      `  ${r.name.padEnd(width)}  ${formatNs(r.nsPerOp).padStart(12)}  ${`${r.rme.toFixed(1)}%`.padStart(7)}  ${ratio.padStart(8)}`,
    );
  }
  return results;
}

/**
 * Prints `numerator / denominator` against a goal: at most `max`, or at
 * least `min` (for speed-ups). Returns whether the goal was met.
 */
export function reportGoal(label: string, ratio: number, goal: { max?: number; min?: number }): boolean {
  const met = (goal.max === undefined || ratio <= goal.max) && (goal.min === undefined || ratio >= goal.min);
  const target = goal.max !== undefined ? `≤ ${goal.max}x` : `≥ ${goal.min}x`;
  console.log(`  ${label}: ${ratio.toFixed(2)}x (goal ${target}: ${met ? "met" : "NOT met"})`);
  return met;
}

function formatNs(ns: number): string {
  return ns >= 100 ? ns.toFixed(0) : ns.toFixed(1);
}
