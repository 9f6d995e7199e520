// Random valid modules from binaryen's translate-to-fuzz (`wasm-opt -ttf`),
// generated in this process: the wasm-opt CLI (an Emscripten build shipped
// in the binaryen npm package) is loaded once and its main() called per seed,
// instead of paying a process start per module. Same seed, same module.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { tempDir } from "../_helpers/temp.ts";

/** Features both Node 20 and Deno 2 run, so every generated module instantiates on both. */
export const TTF_FEATURES = [
  "--enable-sign-ext",
  "--enable-nontrapping-float-to-int",
  "--enable-mutable-globals",
  "--enable-bulk-memory",
  "--enable-multivalue",
  "--enable-reference-types",
  "--enable-simd",
  "--enable-tail-call",
];

type CallMain = (args: string[]) => number;
let loaded: Promise<CallMain> | undefined;

function loadWasmOpt(): Promise<CallMain> {
  const require = createRequire(import.meta.url);
  const path = join(dirname(require.resolve("binaryen/package.json")), "bin", "wasm-opt");
  let source = readFileSync(path, "utf8");
  if (source.startsWith("#!")) source = source.slice(source.indexOf("\n") + 1);
  // The wasm binary is embedded as a string literal: decode it once and
  // compile it once, and drop it from the script so instantiation reuses it.
  const marker = "function findWasmBinary(){return binaryDecode('";
  const literalStart = source.indexOf(marker) + marker.length - 1;
  let literalEnd = literalStart + 1;
  while (!(source[literalEnd] === "'" && source[literalEnd - 1] !== "\\")) literalEnd++;
  const literal = (0, eval)(source.slice(literalStart, literalEnd + 1)) as string;
  const binary = new Uint8Array(literal.length);
  for (let i = 0; i < literal.length; i++) {
    const c = literal.charCodeAt(i);
    binary[i] = ~c >> 8 & c;
  }
  source = source.slice(0, literalStart) + "''" + source.slice(literalEnd + 1);
  const compiled = new WebAssembly.Module(binary);
  const run = new Function("Module", "require", "process", "__filename", "__dirname", `${source}\nModule.callMain = callMain;`);
  return new Promise((resolve, reject) => {
    const Module: Record<string, unknown> = {
      noInitialRun: true,
      noExitRuntime: true,
      instantiateWasm(imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance) => void) {
        done(new WebAssembly.Instance(compiled, imports));
        return {};
      },
      onRuntimeInitialized: () => resolve(Module.callMain as CallMain),
      onAbort: reject,
      print: () => {},
      printErr: () => {},
    };
    // A child of `process`, so the script's exit-code writes stay local.
    run(Module, require, Object.create(process), path, dirname(path));
  });
}

let dir: string | undefined;

/** Deterministic pseudo-random bytes (xorshift32) for a seed. */
export function seededBytes(seed: number, length: number): Uint8Array {
  let x = (seed * 2654435761) >>> 0 || 1;
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** The module `wasm-opt -ttf` makes from `size` seeded random bytes. */
export async function randomModule(seed: number, size = 2048, features = TTF_FEATURES): Promise<Uint8Array> {
  loaded ??= loadWasmOpt();
  const callMain = await loaded;
  dir ??= await tempDir("wasm-sandbox-ttf-");
  const input = join(dir, `seed-${seed}.dat`);
  const output = join(dir, `seed-${seed}.wasm`);
  writeFileSync(input, seededBytes(seed, size));
  let status: number;
  try {
    status = callMain([input, "-ttf", "-q", ...features, "-o", output]);
  } catch (err) {
    // wasm-opt itself crashed (a binaryen bug on this input, or state left by
    // earlier runs): start from a fresh instance next time.
    loaded = undefined;
    throw new Error(`wasm-opt -ttf crashed on seed ${seed}: ${(err as Error).message}`, { cause: err });
  }
  if (status !== 0) throw new Error(`wasm-opt -ttf failed for seed ${seed} (status ${status})`);
  return new Uint8Array(readFileSync(output));
}
