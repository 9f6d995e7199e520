// Runs every benchmark in bench/ (each *.ts except run.ts and _-prefixed
// helpers), one after the other, each in its own process on the runtime that
// runs this file — so one benchmark's JIT state and garbage cannot skew the
// next. Arguments filter the files by substring.
// Run: npm run bench [-- host_call]   or   deno run -A bench/run.ts [host_call]
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtimeLabel } from "./_harness.ts";

const benchDir = fileURLToPath(new URL(".", import.meta.url));
const filters = process.argv.slice(2);
const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";

const files = readdirSync(benchDir)
  .filter((name) => name.endsWith(".ts") && !name.startsWith("_") && name !== "run.ts")
  .filter((name) => filters.length === 0 || filters.some((f) => name.includes(f)))
  .sort();

if (files.length === 0) {
  console.error(`no benchmark in bench/ matches ${filters.join(", ")}`);
  process.exit(1);
}

/** The command that runs one TypeScript file on this same runtime. */
function commandFor(file: string): string[] {
  return isDeno ? [process.execPath, "run", "-A", file] : [process.execPath, "--import", "tsx", file];
}

console.log(`running ${files.length} benchmark(s) on ${runtimeLabel()}: ${files.join(", ")}`);
const failed: string[] = [];
for (const name of files) {
  const [command, ...args] = commandFor(join(benchDir, name));
  console.log(`\n=== ${name} ===`);
  const started = performance.now();
  const result = spawnSync(command, args, { stdio: "inherit" });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (result.error !== undefined || result.status !== 0) {
    failed.push(name);
    console.log(`=== ${name} failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`}) after ${seconds} s`);
  } else {
    console.log(`=== ${name} done in ${seconds} s`);
  }
}

if (failed.length > 0) {
  console.error(`\n${failed.length} of ${files.length} benchmark(s) failed: ${failed.join(", ")}`);
  process.exit(1);
}
