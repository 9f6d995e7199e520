// Runs a WASI command under Node's own `node:wasi` (libuv's uvwasi): the
// reference the sandbox is compared with byte for byte. Only on Node: Deno's
// `node:wasi` is not a full implementation.
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../_helpers/temp.ts";

/** True when running on Node (where `node:wasi` is the real uvwasi). */
export const hasNodeWasi = !("Deno" in globalThis);

/** What to run: the same inputs the sandbox gets. */
export interface ReferenceRun {
  args: string[];
  env: Record<string, string>;
  stdin: Uint8Array;
  /** Guest path → host directory. */
  preopens: Record<string, string>;
}

/** The outcome, shaped like the sandbox's `RunResult`. */
export interface ReferenceResult {
  exitCode: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

interface NodeWasi {
  getImportObject(): WebAssembly.Imports;
  start(instance: WebAssembly.Instance): number;
}
type NodeWasiConstructor = new (options: Record<string, unknown>) => NodeWasi;

let silenced = false;

/** Node warns once that WASI is experimental; that line is noise in test output. */
function silenceExperimentalWarning(): void {
  if (silenced) return;
  silenced = true;
  const emit = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === "string" ? warning : warning.message;
    if (/WASI is an experimental feature/.test(text)) return;
    (emit as (...a: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}

/** Runs `module`'s `_start` under `node:wasi`, with stdio redirected through temporary files. */
export async function runWithNodeWasi(module: WebAssembly.Module, run: ReferenceRun): Promise<ReferenceResult> {
  if (!hasNodeWasi) throw new Error("node:wasi is only used as a reference on Node");
  silenceExperimentalWarning();
  const { WASI } = (await import("node:wasi")) as unknown as { WASI: NodeWasiConstructor };
  const scratch = await tempDir("wasm-sandbox-reference-");
  const paths = { stdin: join(scratch, "stdin"), stdout: join(scratch, "stdout"), stderr: join(scratch, "stderr") };
  writeFileSync(paths.stdin, run.stdin);
  const fds = { stdin: openSync(paths.stdin, "r"), stdout: openSync(paths.stdout, "w"), stderr: openSync(paths.stderr, "w") };
  try {
    const wasi = new WASI({
      version: "preview1",
      args: run.args,
      env: run.env,
      preopens: run.preopens,
      returnOnExit: true,
      ...fds,
    });
    const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
    const exitCode = wasi.start(instance);
    return { exitCode, stdout: new Uint8Array(readFileSync(paths.stdout)), stderr: new Uint8Array(readFileSync(paths.stderr)) };
  } finally {
    for (const fd of Object.values(fds)) closeSync(fd);
    rmSync(scratch, { recursive: true, force: true });
  }
}
