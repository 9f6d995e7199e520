// Runs the official WASI test suite (WebAssembly/wasi-testsuite, preview1
// binaries) through WasiHost and prints pass/fail per test and a total.
// Local only: the suite's prebuilt binaries are not part of this repository.
// See docs/WASI.md for how to get them.
//
//   node --import tsx tests/conformance/wasi_testsuite.ts <dir-with-X.wasm> [more dirs...] [--filter substr]
//   deno run -A tests/conformance/wasi_testsuite.ts <dir> ...
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { mountHostDirectory, WasiHost } from "../../lib/wasi/mod.ts";

interface TestSpec {
  args?: string[];
  env?: Record<string, string>;
  root?: string;
  exit_code?: number;
  stdout?: string;
  stderr?: string;
}

const argv = process.argv.slice(2);
const filterAt = argv.indexOf("--filter");
const filter = filterAt >= 0 ? argv[filterAt + 1] ?? "" : "";
const dirs = filterAt < 0 ? argv : argv.filter((_, i) => i !== filterAt && i !== filterAt + 1);
if (dirs.length === 0) {
  console.error("usage: wasi_testsuite.ts <dir with X.wasm [X.json]> [...] [--filter substr]");
  process.exit(2);
}

const decoder = new TextDecoder();

async function runOne(dir: string, file: string): Promise<string | undefined> {
  const name = basename(file, ".wasm");
  const specPath = join(dir, `${name}.json`);
  const spec: TestSpec = existsSync(specPath) ? JSON.parse(readFileSync(specPath, "utf8")) : {};
  let scratch: string | undefined;
  try {
    const preopens = [];
    let mount;
    if (spec.root !== undefined) {
      scratch = mkdtempSync(join(tmpdir(), "wasi-testsuite-"));
      cpSync(join(dir, spec.root), scratch, { recursive: true });
      mount = await mountHostDirectory(scratch, { readOnly: false, quotaBytes: 64 << 20 });
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
    const stdout = decoder.decode(wasi.stdoutBytes());
    const stderr = decoder.decode(wasi.stderrBytes());
    const expectedCode = spec.exit_code ?? 0;
    if (code !== expectedCode) return `exit code ${code}, expected ${expectedCode}\n${stderr}`;
    if (spec.stdout !== undefined && stdout !== spec.stdout) {
      return `stdout ${JSON.stringify(stdout)}, expected ${JSON.stringify(spec.stdout)}`;
    }
    if (spec.stderr !== undefined && stderr !== spec.stderr) {
      return `stderr ${JSON.stringify(stderr)}, expected ${JSON.stringify(spec.stderr)}`;
    }
    return undefined;
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
    const failure = await runOne(dir, file);
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
