// `npm run demo`: builds the example plugins from guest/examples with the
// AssemblyScript compiler, then runs them through the wasm-sandbox CLI:
// a WASI command, a soch counter with capabilities and an audit log, a
// refused capability, and the audit chain verified.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "wasm-sandbox-demo-"));
const asc = join(root, "node_modules/assemblyscript/bin/asc.js");
const cli = join(root, "cli.ts");

function step(title: string): void {
  console.log(`\n\x1b[1m== ${title}\x1b[0m`);
}

function compile(example: string, extra: string[]): string {
  const out = join(work, example.replace(/\.ts$/, ".wasm"));
  const result = spawnSync(process.execPath, [asc, join(root, "guest/examples", example), "-O2", "-o", out, ...extra], {
    cwd: root,
    stdio: "inherit",
  });
  if (result.status !== 0) throw new Error(`asc failed for ${example}`);
  return out;
}

function sandbox(args: string[]): number {
  console.log(`$ wasm-sandbox ${args.map((a) => (a.startsWith(work) ? a.slice(work.length + 1) : a)).join(" ")}`);
  const result = spawnSync(process.execPath, ["--import", "tsx", cli, ...args], { cwd: root, stdio: "inherit" });
  console.log(`(exit code ${result.status})`);
  return result.status ?? 1;
}

step("building the example plugins with asc");
const hello = compile("hello_wasi.ts", ["--exportStart", "_start", "--use", "abort=guest/examples/hello_wasi/abortToExit"]);
const counter = compile("kv_counter.ts", ["--exportRuntime"]);

step("a WASI command: argv, stdout and the exit code pass through");
sandbox(["run", "--stats", hello, "--", "from", "the", "sandbox"]);

step("a soch counter: state in a JSON file, every host call in a hash-chained audit log");
const state = join(work, "soch.json");
const audit = join(work, "audit.jsonl");
writeFileSync(state, JSON.stringify({ values: { counter: "41" } }));
const grants = ["--allow", "soch:read,soch:write,sandbox:log", "--soch", state, "--audit", audit];
sandbox(["run", ...grants, "--invoke", "increment", counter]);
sandbox(["run", ...grants, "--invoke", "increment", counter]);

step("capabilities are explicit: without soch:write the plugin does not even load");
sandbox(["run", "--allow", "soch:read,sandbox:log", "--invoke", "increment", counter]);

step("the audit log verifies; any edit would be pinpointed");
sandbox(["audit", "verify", audit]);
