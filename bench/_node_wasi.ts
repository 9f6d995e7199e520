// Runs a WASI command under the runtime's own `node:wasi` — the peer of the
// whole-program benchmark. Node's is libuv's uvwasi; Deno 2 ships its own.
// tests/compat uses Node's only (Deno's was not complete enough for its
// byte-for-byte file checks); the benchmark runs programs without preopens
// and checks the output of every peer against ours before measuring, so a
// runtime whose node:wasi cannot run a program is reported, not measured.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

interface NodeWasi {
  getImportObject(): WebAssembly.Imports;
  start(instance: WebAssembly.Instance): number;
}
type NodeWasiConstructor = new (options: Record<string, unknown>) => NodeWasi;

/** What a run printed and returned. */
export interface NodeWasiResult {
  exitCode: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

let WASI: NodeWasiConstructor | undefined;

/** Both runtimes warn once that WASI is experimental; that line is noise in bench output. */
function silenceExperimentalWarning(): void {
  const emit = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === "string" ? warning : warning.message;
    if (/WASI is an experimental feature/.test(text)) return;
    (emit as (...a: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}

/**
 * Runs `module`'s `_start` under node:wasi with `args` and `stdin`, no
 * environment and no preopens; stdio goes through temporary files (the only
 * way node:wasi captures it), created and removed on every run.
 */
export async function runWithNodeWasi(module: WebAssembly.Module, args: string[], stdin: Uint8Array): Promise<NodeWasiResult> {
  if (WASI === undefined) {
    silenceExperimentalWarning();
    WASI = ((await import("node:wasi")) as unknown as { WASI: NodeWasiConstructor }).WASI;
  }
  const scratch = mkdtempSync(join(tmpdir(), "bench-node-wasi-"));
  const paths = { stdin: join(scratch, "stdin"), stdout: join(scratch, "stdout"), stderr: join(scratch, "stderr") };
  writeFileSync(paths.stdin, stdin);
  const fds = { stdin: openSync(paths.stdin, "r"), stdout: openSync(paths.stdout, "w"), stderr: openSync(paths.stderr, "w") };
  try {
    const wasi = new WASI({ version: "preview1", args, env: {}, preopens: {}, returnOnExit: true, ...fds });
    const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
    const exitCode = wasi.start(instance);
    return { exitCode, stdout: new Uint8Array(readFileSync(paths.stdout)), stderr: new Uint8Array(readFileSync(paths.stderr)) };
  } finally {
    for (const fd of Object.values(fds)) closeSync(fd);
    rmSync(scratch, { recursive: true, force: true });
  }
}
