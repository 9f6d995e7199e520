/**
 * The one typed slice of the `Deno` global: exactly the members the Deno
 * adapters in this folder use, typed here so that `tsc` needs no Deno type
 * declarations. Nothing outside `lib/platform/deno/` reads `globalThis.Deno`
 * (`lib/platform/host_platform.ts` only tests whether it exists), and this
 * module is only evaluated on Deno.
 *
 * @module
 */

/** What `Deno.lstat` reports. */
export interface DenoFileInfo {
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
  size: number;
  mtime: Date | null;
  ctime: Date | null;
  dev: number;
  ino: number | null;
  mode: number | null;
}

/** One entry of `Deno.readDir`. */
export interface DenoDirEntry {
  name: string;
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
}

/** A child started by `Deno.Command#spawn`. */
export interface DenoChildProcess {
  readonly pid: number;
  readonly stdin: WritableStream<Uint8Array>;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly status: Promise<{ code: number; signal: string | null }>;
  kill(signal?: string): void;
}

/** The `Deno.Command` options the command adapter passes. */
export interface DenoCommandOptions {
  args: string[];
  cwd: string;
  env: Record<string, string>;
  clearEnv: boolean;
  stdin: "piped";
  stdout: "piped";
  stderr: "piped";
}

/** `Deno.stdout` / `Deno.stderr`: a write may be partial and says how much it took. */
export interface DenoWriter {
  write(data: Uint8Array): Promise<number>;
}

/** The members of `Deno` this project uses. */
export interface DenoGlobal {
  // file system
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array, options?: { createNew?: boolean }): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  readDir(path: string): AsyncIterable<DenoDirEntry>;
  lstat(path: string): Promise<DenoFileInfo>;
  stat(path: string): Promise<DenoFileInfo>;
  realPath(path: string): Promise<string>;
  readLink(path: string): Promise<string>;
  mkdir(path: string, options?: { recursive?: boolean }): Promise<void>;
  remove(path: string, options?: { recursive?: boolean }): Promise<void>;
  symlink(target: string, path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  cwd(): string;
  errors: { NotFound: new (...args: never[]) => Error };
  // processes
  Command: new (path: string, options: DenoCommandOptions) => { spawn(): DenoChildProcess };
  kill(pid: number, signal: string): void;
  env: { toObject(): Record<string, string> };
  // the CLI's own process
  args: string[];
  stdout: DenoWriter;
  stderr: DenoWriter;
  exit(code: number): never;
}

/** The `Deno` namespace. */
export const deno: DenoGlobal = (globalThis as unknown as { Deno: DenoGlobal }).Deno;
