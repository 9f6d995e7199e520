// Runs every benchmark in bench/ (each *.ts except run.ts, report.ts and the
// _-prefixed helpers), one after the other, each in its own process on the
// runtime that runs this file — so one benchmark's JIT state and garbage
// cannot skew the next. Each bench records its figures into a JSON file named
// by BENCH_RESULTS; this file collects them, with the runtime, the machine,
// the date and the git commit, into bench/results/latest.json under the
// runtime's name (the other runtime's section is kept).
//
//   --all-runtimes  after this runtime's pass, run the same on the other runtime
//                   (Node first, then Deno from node_modules/.bin/deno), then the report
//   --quick         shorter measuring times and smaller inputs (marked quick in the JSON)
//   --no-report     do not regenerate the report (README, docs, charts) at the end
//   other words     run only the files whose name contains one of them
//
// Run: npm run bench [-- --quick] [-- host_call]   or   deno run -A bench/run.ts [host_call]
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { arch, cpus, loadavg, platform, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtimeLabel } from "./_harness.ts";
import { runtimeInfo } from "./_results.ts";
import type { BenchFileResult } from "./_results.ts";
import { emptyReport, parseReport } from "./_report_model.ts";
import type { BenchFileOutcome, RuntimeSection } from "./_report_model.ts";

const benchDir = fileURLToPath(new URL(".", import.meta.url));
const rootDir = fileURLToPath(new URL("..", import.meta.url));
const resultsDir = join(benchDir, "results");
const latestPath = join(resultsDir, "latest.json");
/** Files in bench/ that are not benchmarks. */
const NOT_BENCHES = new Set(["run.ts", "report.ts"]);

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const allRuntimes = args.includes("--all-runtimes");
const report = !args.includes("--no-report");
const filters = args.filter((a) => !a.startsWith("--"));
const runtime = runtimeInfo();

const selected = readdirSync(benchDir)
  .filter((name) => name.endsWith(".ts") && !name.startsWith("_") && !NOT_BENCHES.has(name))
  .filter((name) => filters.length === 0 || filters.some((f) => name.includes(f)))
  .sort();
// A file that records nothing (it imports neither recorder) is a tool to run
// by hand with its own arguments; it is listed as such, not run.
const records = (name: string) => /from "\.\/_(harness|results)\.ts"/.test(readFileSync(join(benchDir, name), "utf8"));
const files = selected.filter(records);
const manual = selected.filter((name) => !records(name));
for (const name of manual) console.log(`not running ${name}: it records no figures (a tool to run by hand)`);

if (files.length === 0) {
  console.error(`no benchmark in bench/ matches ${filters.join(", ")}`);
  process.exit(1);
}

/** The command that runs one TypeScript file on `on`. */
function commandFor(on: "node" | "deno", file: string): string[] {
  if (on === runtime.name) return on === "deno" ? [process.execPath, "run", "-A", file] : [process.execPath, "--import", "tsx", file];
  if (on === "deno") {
    const local = join(rootDir, "node_modules", ".bin", "deno");
    return [existsSync(local) ? local : "deno", "run", "-A", file];
  }
  return ["node", "--import", "tsx", file];
}

function git(...gitArgs: string[]): string | undefined {
  const out = spawnSync("git", gitArgs, { cwd: rootDir, encoding: "utf8" });
  return out.status === 0 ? out.stdout.trim() : undefined;
}

function machine(): RuntimeSection["machine"] {
  const cores = cpus();
  return {
    cpu: cores[0]?.model.trim() ?? "unknown",
    cores: cores.length,
    memoryBytes: totalmem(),
    os: `${platform()} ${release()} ${arch()}`,
  };
}

/** Runs one bench file and returns what it recorded, with its time and status. */
function runFile(name: string, scratch: string): BenchFileOutcome {
  const path = join(scratch, `${name}.json`);
  const [command, ...commandArgs] = commandFor(runtime.name, join(benchDir, name));
  console.log(`\n=== ${name} ===`);
  const loadBefore = loadavg()[0]!;
  const started = performance.now();
  const child = spawnSync(command, commandArgs, {
    stdio: "inherit",
    cwd: rootDir,
    env: { ...process.env, BENCH_RESULTS: path, BENCH_FILE: name, BENCH_QUICK: quick ? "1" : "0" },
  });
  const seconds = (performance.now() - started) / 1000;
  const error = child.error?.message ?? (child.status !== 0 ? `exit ${child.status ?? child.signal}` : undefined);
  console.log(`=== ${name} ${error === undefined ? "done" : `failed (${error})`} in ${seconds.toFixed(1)} s`);
  const recorded = existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) as BenchFileResult : undefined;
  return {
    file: name,
    status: error === undefined ? "ok" : "failed",
    ...(error === undefined ? {} : { error }),
    seconds,
    // Other processes' load disturbs every figure; the report shows it.
    load1m: [loadBefore, loadavg()[0]!],
    tables: recorded?.tables ?? [],
    ratios: recorded?.ratios ?? [],
    values: recorded?.values ?? [],
    skipped: recorded?.skipped ?? [],
  };
}

/** Writes this runtime's section into latest.json, keeping the other runtime's. */
function saveSection(section: RuntimeSection): void {
  mkdirSync(resultsDir, { recursive: true });
  let merged = emptyReport();
  if (existsSync(latestPath)) {
    try {
      merged = parseReport(readFileSync(latestPath, "utf8"));
    } catch (err) {
      console.log(`${latestPath} is not a results file this version reads (${(err as Error).message}); starting a new one`);
    }
  }
  merged.runtimes[section.runtime.name] = section;
  writeFileSync(latestPath, JSON.stringify(merged, null, 2) + "\n");
}

function otherPass(): number {
  const other = runtime.name === "node" ? "deno" : "node";
  const passArgs = args.filter((a) => a !== "--all-runtimes" && a !== "--no-report").concat("--no-report");
  const [command, ...commandArgs] = commandFor(other, join(benchDir, "run.ts"));
  const env = { ...process.env, BENCH_COMMAND: commandLine() };
  const child = spawnSync(command, [...commandArgs, ...passArgs], { stdio: "inherit", cwd: rootDir, env });
  return child.status ?? 1;
}

/** The command the user ran (the first pass tells the second through BENCH_COMMAND). */
function commandLine(): string {
  if (process.env.BENCH_COMMAND) return process.env.BENCH_COMMAND;
  const extra = args.filter((a) => a !== "--all-runtimes" && a !== "--no-report");
  if (allRuntimes) return `npm run bench${extra.length > 0 ? ` -- ${extra.join(" ")}` : ""}`;
  const base = runtime.name === "deno" ? "deno run -A bench/run.ts" : "node --import tsx bench/run.ts";
  return [base, ...extra].join(" ");
}

console.log(`running ${files.length} benchmark(s) on ${runtimeLabel()}${quick ? " (quick)" : ""}: ${files.join(", ")}`);
const scratch = mkdtempSync(join(tmpdir(), "bench-results-"));
const started = performance.now();
const outcomes: Record<string, BenchFileOutcome> = {};
try {
  for (const name of files) {
    outcomes[name] = runFile(name, scratch);
    // Saved after every file, so an interrupted run keeps what it measured.
    saveSection({
      runtime,
      machine: machine(),
      date: new Date().toISOString(),
      commit: git("rev-parse", "HEAD") ?? "unknown",
      dirty: (git("status", "--porcelain", "--untracked-files=no") ?? "") !== "",
      command: commandLine(),
      quick,
      filters,
      manual,
      complete: Object.keys(outcomes).length === files.length,
      seconds: (performance.now() - started) / 1000,
      files: outcomes,
    });
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const failed = Object.values(outcomes).filter((o) => o.status === "failed").map((o) => o.file);
console.log(`\n${runtime.name}: ${files.length - failed.length} of ${files.length} benchmark(s) ran in ${((performance.now() - started) / 1000).toFixed(0)} s; figures in ${latestPath}`);
if (failed.length > 0) console.error(`${failed.length} benchmark(s) failed on ${runtime.name}: ${failed.join(", ")}`);

let status = failed.length > 0 ? 1 : 0;
if (allRuntimes && otherPass() !== 0) status = 1;
if (report) {
  const [command, ...commandArgs] = commandFor(runtime.name, join(benchDir, "report.ts"));
  if ((spawnSync(command, commandArgs, { stdio: "inherit", cwd: rootDir }).status ?? 1) !== 0) status = 1;
}
if (allRuntimes) console.log(`\nall runtimes done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
process.exit(status);
