// Runs the official WASI test suite (WebAssembly/wasi-testsuite, preview1
// binaries) and prints pass/fail per test and a total. By default each test
// runs through WasiHost; with --cli it runs through `wasm-sandbox run` on the
// same runtime as this script, with no flags beyond what the test's spec asks
// for (args, env, a mounted root), as a user would run it.
// Local only: the suite's prebuilt binaries are not part of this repository.
// See docs/WASI.md for how to get them.
//
//   node --import tsx tests/conformance/wasi_testsuite.ts [--cli] <dir-with-X.wasm> [more dirs...] [--filter substr]
//   deno run -A tests/conformance/wasi_testsuite.ts [--cli] <dir> ...
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { hostPlatform } from "../../lib/platform/host_platform.ts";
import { mountHostDirectory, WasiHost } from "../../lib/wasi/mod.ts";

interface TestSpec {
  args?: string[];
  env?: Record<string, string>;
  root?: string;
  exit_code?: number;
  stdout?: string;
  stderr?: string;
}

const argv = process.argv.slice(2).filter((a) => a !== "--cli");
const viaCli = process.argv.includes("--cli");
const filterAt = argv.indexOf("--filter");
const filter = filterAt >= 0 ? argv[filterAt + 1] ?? "" : "";
const dirs = filterAt < 0 ? argv : argv.filter((_, i) => i !== filterAt && i !== filterAt + 1);
if (dirs.length === 0) {
  console.error("usage: wasi_testsuite.ts <dir with X.wasm [X.json]> [...] [--filter substr]");
  process.exit(2);
}

const decoder = new TextDecoder();

function readSpec(dir: string, file: string): TestSpec {
  const specPath = join(dir, `${basename(file, ".wasm")}.json`);
  return existsSync(specPath) ? JSON.parse(readFileSync(specPath, "utf8")) : {};
}

/** Compares a finished run with the test's expectations; undefined when it passed. */
function verdict(spec: TestSpec, code: number, stdout: string, stderr: string): string | undefined {
  const expectedCode = spec.exit_code ?? 0;
  if (code !== expectedCode) return `exit code ${code}, expected ${expectedCode}\n${stderr}`;
  if (spec.stdout !== undefined && stdout !== spec.stdout) {
    return `stdout ${JSON.stringify(stdout)}, expected ${JSON.stringify(spec.stdout)}`;
  }
  if (spec.stderr !== undefined && stderr !== spec.stderr) {
    return `stderr ${JSON.stringify(stderr)}, expected ${JSON.stringify(spec.stderr)}`;
  }
  return undefined;
}

const cliPath = fileURLToPath(new URL("../../cli.ts", import.meta.url));
const isDeno = "Deno" in globalThis;

/** One test through `wasm-sandbox run`: only the flags the spec itself implies. */
function runOneViaCli(dir: string, file: string): string | undefined {
  const spec = readSpec(dir, file);
  let scratch: string | undefined;
  try {
    const flags: string[] = [];
    if (spec.root !== undefined) {
      scratch = mkdtempSync(join(tmpdir(), "wasi-testsuite-"));
      cpSync(join(dir, spec.root), scratch, { recursive: true });
      flags.push("--dir", `${scratch}::/`);
    }
    for (const [name, value] of Object.entries(spec.env ?? {})) flags.push("--env", `${name}=${value}`);
    const runtime = isDeno ? ["deno", ["run", "-A", cliPath]] as const : [process.execPath, ["--import", "tsx", cliPath]] as const;
    const child = spawnSync(runtime[0], [...runtime[1], "run", ...flags, join(dir, file), "--", ...(spec.args ?? [])], {
      input: new Uint8Array(0),
      maxBuffer: 64 << 20,
    });
    if (child.error) return `could not start the CLI: ${child.error.message}`;
    return verdict(spec, child.status ?? -1, decoder.decode(child.stdout), decoder.decode(child.stderr));
  } finally {
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  }
}

async function runOne(dir: string, file: string): Promise<string | undefined> {
  const spec = readSpec(dir, file);
  let scratch: string | undefined;
  try {
    const preopens = [];
    let mount;
    if (spec.root !== undefined) {
      scratch = mkdtempSync(join(tmpdir(), "wasi-testsuite-"));
      cpSync(join(dir, spec.root), scratch, { recursive: true });
      mount = await mountHostDirectory(scratch, { fs: (await hostPlatform()).fs, readOnly: false, quotaBytes: 64 << 20 });
      preopens.push({ guestPath: "/", dir: mount.dir });
    }
    const wasi = new WasiHost({
      args: [file, ...(spec.args ?? [])],
      env: spec.env ?? {},
      stdin: new Uint8Array(0),
      stdout: { maxBytes: 1 << 20 },
      stderr: { maxBytes: 1 << 20 },
      preopens,
      maxSleepMs: 10_000,
    });
    const module = await WebAssembly.compile(readFileSync(join(dir, file)));
    const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.imports });
    wasi.bindMemory(() => instance.exports.memory as WebAssembly.Memory);
    let code: number;
    try {
      code = wasi.runStart(instance);
    } catch (err) {
      return `trap: ${(err as Error).message}\n${decoder.decode(wasi.stderrBytes())}`;
    }
    await mount?.writeBack();
    return verdict(spec, code, decoder.decode(wasi.stdoutBytes()), decoder.decode(wasi.stderrBytes()));
  } catch (err) {
    return `host error: ${(err as Error).stack ?? err}`;
  } finally {
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  }
}

let passed = 0;
const failures: string[] = [];
for (const dir of dirs) {
  const files = readdirSync(dir).filter((f) => f.endsWith(".wasm") && f.includes(filter)).sort();
  for (const file of files) {
    const failure = viaCli ? runOneViaCli(dir, file) : await runOne(dir, file);
    const label = `${basename(join(dir, "../.."))}/${file}`;
    if (failure === undefined) {
      passed++;
      console.log(`PASS ${label}`);
    } else {
      failures.push(label);
      console.log(`FAIL ${label}: ${failure.trim().split("\n").slice(0, 6).join("\n    ")}`);
    }
  }
}
console.log(`\n${passed} of ${passed + failures.length} passed`);
if (failures.length > 0) console.log(`failed: ${failures.join(", ")}`);
process.exit(failures.length === 0 ? 0 : 1);
