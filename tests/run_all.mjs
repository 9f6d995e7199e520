// Runs the whole uvu suite on Node (the one running this: 20, our floor), on
// Node 24 LTS (JSPI on by default) and on Deno, then prints one combined
// "N passed, N failed" line. Exits non-zero when anything failed.
// Run through `npm test`, which puts node_modules/.bin (and so `deno`) on PATH.
// Node 24 is installed from the npm registry (the `node` package) into
// .cache/node24 on first use.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
const filters = process.argv.slice(2);
const TIME_LIMIT_MS = 25 * 60_000;
const NODE24_VERSION = "24.21.0";
const NODE24_PREFIX = ".cache/node24";
const NODE24 = `${NODE24_PREFIX}/node_modules/.bin/node`;

/** The Node 24 binary, installed on first use; undefined (and said) when the registry cannot be reached. */
function node24() {
  if (!existsSync(NODE24)) {
    process.stdout.write(`installing node@${NODE24_VERSION} into ${NODE24_PREFIX} for the Node 24 run\n`);
    const install = spawnSync("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", NODE24_PREFIX, `node@${NODE24_VERSION}`], {
      stdio: ["ignore", "inherit", "inherit"],
    });
    if (install.status !== 0 || !existsSync(NODE24)) return undefined;
  }
  return NODE24;
}

const node24Binary = node24();
const runtimes = [
  { name: "node", cmd: process.execPath, args: ["--import", "tsx", "tests/run.ts", ...filters] },
  // Missing, it counts as a failed run: the JSPI path must not go untested silently.
  { name: `node ${NODE24_VERSION}`, cmd: node24Binary ?? "node24-could-not-be-installed", args: ["--import", "tsx", "tests/run.ts", ...filters] },
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
      const plain = out.replace(new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g"), ""); // colour codes
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
