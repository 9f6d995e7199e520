// Runs the whole uvu suite on Node and on Deno, then prints one combined
// "N passed, N failed" line. Exits non-zero when anything failed.
// Run through `npm test`, which puts node_modules/.bin (and so `deno`) on PATH.
import { spawn } from "node:child_process";
const filters = process.argv.slice(2);
const TIME_LIMIT_MS = 25 * 60_000;

const runtimes = [
  { name: "node", cmd: process.execPath, args: ["--import", "tsx", "tests/run.ts", ...filters] },
  { name: "deno", cmd: "deno", args: ["run", "-A", "tests/run.ts", ...filters] },
];


function runOne({ name, cmd, args }) {
  return new Promise((resolve) => {
    process.stdout.write(`\n=== tests on ${name} ===\n`);
    const child = spawn(cmd, args, {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    });
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      process.stdout.write(chunk);
    });
    const timer = setTimeout(() => {
      process.stdout.write(`\n${name}: test run exceeded ${TIME_LIMIT_MS} ms, killed\n`);
      child.kill("SIGKILL");
    }, TIME_LIMIT_MS);
    child.on("error", (err) => {
      clearTimeout(timer);
      process.stdout.write(`\n${name}: could not start: ${err.message}\n`);
      resolve({ passed: 0, failed: 1 });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const plain = out.replace(/\x1b\[[0-9;]*m/g, "");
      const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
      const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
      if (Number.isNaN(total) || Number.isNaN(passed)) {
        process.stdout.write(`\n${name}: runner ended (code ${code}, signal ${signal}) without a summary\n`);
        resolve({ passed: 0, failed: 1 });
        return;
      }
      const failed = total - passed + (code === 0 || total - passed > 0 ? 0 : 1);
      resolve({ passed, failed });
    });
  });
}

let passed = 0;
let failed = 0;
for (const runtime of runtimes) {
  const result = await runOne(runtime);
  passed += result.passed;
  failed += result.failed;
}
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
