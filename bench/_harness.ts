// Shared helper for the benchmarks: runs contenders side by side in one
// tinybench run and prints each one's time per operation and its ratio to a
// baseline, so every figure is compared within the same process and moment.
// Every table and ratio printed here is also recorded (bench/_results.ts) for
// the generated report. With --quick, measuring times and rounds shrink.
import { Bench } from "tinybench";
import { goalMet, isQuick, recordRatio, recordTable, runtimeInfo } from "./_results.ts";
import type { Goal } from "./_results.ts";

export { isQuick, recordSkip, recordTable, recordValue } from "./_results.ts";

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
  /** Minimum samples per case and round (tinybench's `iterations`, default 64). */
  iterations?: number;
}

/** Settings of a quick run: enough to see the ratios, not to publish them. */
const QUICK = { timeMs: 150, warmupMs: 50, rounds: 1, iterations: 6, warmupIterations: 2 };

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
  const runtime = runtimeInfo();
  return `${runtime.name} ${runtime.name === "node" ? "v" : ""}${runtime.version}`;
}

/**
 * Runs every case in one tinybench run, prints a table with ns per operation
 * and the ratio to the baseline, records it for the report, and returns the
 * figures by name.
 */
export async function compareCases(
  title: string,
  cases: readonly BenchCase[],
  options: CompareOptions = {},
): Promise<Map<string, CaseResult>> {
  const results = new Map<string, CaseResult>();
  const quick = isQuick();
  const rounds = quick ? QUICK.rounds : options.rounds ?? 3;
  const settings = quick
    ? {
      time: Math.min(options.timeMs ?? 1000, QUICK.timeMs),
      warmupTime: Math.min(options.warmupMs ?? 250, QUICK.warmupMs),
      iterations: Math.min(options.iterations ?? 64, QUICK.iterations),
      warmupIterations: QUICK.warmupIterations,
    }
    : { time: options.timeMs ?? 1000, warmupTime: options.warmupMs ?? 250, iterations: options.iterations ?? 64 };
  for (let round = 0; round < rounds; round++) {
    const bench = new Bench({ ...settings, throws: true });
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
  const method = `fastest median of ${rounds} round${rounds === 1 ? "" : "s"}${quick ? ", quick" : ""}`;
  console.log(`\n${title}  (${runtimeLabel()}, ${method}, ratios to "${baseline.name}")`);
  console.log(`  ${"case".padEnd(width)}  ${`ns/${options.unit ?? "op"}`.padStart(12)}  ${"±rme".padStart(7)}  ${"ratio".padStart(8)}`);
  for (const r of results.values()) {
    const ratio = r === baseline ? "1.00x" : `${(r.nsPerOp / baseline.nsPerOp).toFixed(2)}x`;
    console.log(
      `  ${r.name.padEnd(width)}  ${formatNs(r.nsPerOp).padStart(12)}  ${`${r.rme.toFixed(1)}%`.padStart(7)}  ${ratio.padStart(8)}`,
    );
  }
  const unit = `ns/${options.unit ?? "op"}`;
  recordTable({
    title,
    baseline: baseline.name,
    method,
    cases: [...results.values()].map((r) => ({
      name: r.name,
      value: r.nsPerOp,
      unit,
      rme: r.rme,
      samples: r.samples,
      ratio: r.nsPerOp / baseline.nsPerOp,
    })),
  });
  return results;
}

/**
 * Prints `numerator / denominator` against a goal: at most `max`, or at
 * least `min` (for speed-ups), and records it as a headline figure. Returns
 * whether the goal was met.
 */
export function reportGoal(label: string, ratio: number, goal: Goal): boolean {
  const met = goalMet(ratio, goal);
  const target = goal.max !== undefined ? `≤ ${goal.max}x` : `≥ ${goal.min}x`;
  console.log(`  ${label}: ${ratio.toFixed(2)}x (goal ${target}: ${met ? "met" : "NOT met"})`);
  recordRatio({ label, ratio, goal, met });
  return met;
}

/** Prints and records a headline ratio that has no goal (e.g. ours against a peer). */
export function reportRatio(label: string, ratio: number): void {
  console.log(`  ${label}: ${ratio.toFixed(2)}x`);
  recordRatio({ label, ratio });
}

function formatNs(ns: number): string {
  return ns >= 100 ? ns.toFixed(0) : ns.toFixed(1);
}
