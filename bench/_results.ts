// Structured results of one benchmark process. Every figure a bench prints is
// also recorded here and written, as JSON, to the file bench/run.ts names
// (environment variable BENCH_RESULTS or argument --results=PATH), so the
// report (bench/report.ts) is built from the figures of the run, never typed
// by hand. The file is rewritten after every record: a bench that fails half
// way still leaves what it measured. Run alone, a bench records nothing.
import { writeFileSync } from "node:fs";

/** A goal on a ratio: at most `max` (a slowdown) or at least `min` (a speed-up). */
export interface Goal {
  max?: number;
  min?: number;
}

/** One contender of a comparison. */
export interface CaseFigure {
  name: string;
  /** Median time per operation, in nanoseconds (or `value` in `unit` for non-time figures). */
  value: number;
  /** What `value` counts: "ns/call", "ns/run", "bytes", "MB/s"… */
  unit: string;
  /** Relative margin of error of the mean, in percent, when measured by tinybench. */
  rme?: number;
  /** Samples taken, over all rounds. */
  samples?: number;
  /** `value` divided by the baseline's `value`. */
  ratio?: number;
}

/** Contenders measured side by side in one run, with the ratio of each to a baseline. */
export interface ComparisonTable {
  title: string;
  /** Name of the case the ratios are taken against. */
  baseline: string;
  cases: CaseFigure[];
  /** How the figures were taken (e.g. "fastest median of 3 rounds"). */
  method?: string;
}

/** A headline ratio (ours against a baseline or a peer), with its goal if the bench has one. */
export interface RatioFigure {
  label: string;
  ratio: number;
  goal?: Goal;
  /** Whether the goal was met; absent when there is no goal. */
  met?: boolean;
}

/** A single measured figure that is not a ratio (throughput, a size, a count). */
export interface ValueFigure {
  label: string;
  value: number;
  unit: string;
}

/** Something a bench could not measure here, and why (shown in the report, never dropped). */
export interface Skip {
  what: string;
  reason: string;
}

/** The runtime that measured the figures. */
export interface RuntimeInfo {
  name: "node" | "deno";
  version: string;
  v8: string;
}

/** Everything one bench file recorded. */
export interface BenchFileResult {
  file: string;
  runtime: RuntimeInfo;
  /** Shorter measuring times and smaller inputs (`--quick`). */
  quick: boolean;
  tables: ComparisonTable[];
  ratios: RatioFigure[];
  values: ValueFigure[];
  skipped: Skip[];
}

/** The runtime running this process, from inside it. */
export function runtimeInfo(): RuntimeInfo {
  const deno = (globalThis as { Deno?: { version: { deno: string; v8: string } } }).Deno;
  if (deno !== undefined) return { name: "deno", version: deno.version.deno, v8: deno.version.v8 };
  const process = (globalThis as { process?: { version: string; versions: { v8: string } } }).process;
  return { name: "node", version: process?.version.replace(/^v/, "") ?? "unknown", v8: process?.versions.v8 ?? "unknown" };
}

function argv(): string[] {
  return (globalThis as { process?: { argv: string[] } }).process?.argv.slice(2) ?? [];
}

function env(name: string): string | undefined {
  return (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env[name];
}

/** Whether this run is a quick one (`--quick` or BENCH_QUICK=1): shorter times, smaller inputs. */
export function isQuick(): boolean {
  return argv().includes("--quick") || env("BENCH_QUICK") === "1";
}

/** The JSON file to record into, or undefined when the bench runs alone. */
function resultsPath(): string | undefined {
  const arg = argv().find((a) => a.startsWith("--results="));
  return arg !== undefined ? arg.slice("--results=".length) : env("BENCH_RESULTS") || undefined;
}

function benchFileName(): string {
  const main = (globalThis as { process?: { argv: string[] } }).process?.argv[1];
  return main?.split(/[\\/]/).pop() ?? "unknown";
}

let current: BenchFileResult | undefined;

function result(): BenchFileResult {
  current ??= {
    file: env("BENCH_FILE") ?? benchFileName(),
    runtime: runtimeInfo(),
    quick: isQuick(),
    tables: [],
    ratios: [],
    values: [],
    skipped: [],
  };
  return current;
}

function save(): void {
  const path = resultsPath();
  if (path !== undefined) writeFileSync(path, JSON.stringify(result(), null, 2) + "\n");
}

/** Records a side-by-side comparison. */
export function recordTable(table: ComparisonTable): void {
  result().tables.push(table);
  save();
}

/** Records a headline ratio and its goal. */
export function recordRatio(figure: RatioFigure): void {
  result().ratios.push(figure);
  save();
}

/** Records a figure that is not a ratio (throughput, size, count). */
export function recordValue(figure: ValueFigure): void {
  result().values.push(figure);
  save();
}

/** Records what could not be measured on this runtime or machine, and why; also prints it. */
export function recordSkip(skip: Skip): void {
  console.log(`  skipped: ${skip.what}: ${skip.reason}`);
  result().skipped.push(skip);
  save();
}

/** Whether `ratio` meets `goal`. */
export function goalMet(ratio: number, goal: Goal): boolean {
  return (goal.max === undefined || ratio <= goal.max) && (goal.min === undefined || ratio >= goal.min);
}
