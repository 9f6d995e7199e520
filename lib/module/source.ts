/**
 * Turns a plugin source — bytes, a file path, a URL or a compiled module — into
 * bytes (or the module), enforcing the size limit before reading everything.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { concatBytes } from "../memory/concat_bytes.ts";
import { HostNotFoundError } from "../platform/types.ts";
import type { HostFileSystem } from "../platform/types.ts";

/**
 * Where a plugin comes from. A string is a file path unless it parses as a `file:`, `http:` or `https:` URL.
 * A compiled `WebAssembly.Module` is refused unless `allowPrecompiledModules` is set (its limits cannot be enforced).
 *
 * @example
 * ```ts
 * import { readFileSync } from "node:fs";
 * import { WasmSandboxRuntime } from "wasm-sandbox";
 *
 * const runtime = new WasmSandboxRuntime();
 * await runtime.loadPlugin("from-path", "./plugin.wasm");
 * await runtime.loadPlugin("from-url", new URL("./plugin.wasm", import.meta.url));
 * await runtime.loadPlugin("from-bytes", readFileSync("./plugin.wasm"));
 * ```
 */
export type PluginSource = Uint8Array | ArrayBuffer | string | URL | WebAssembly.Module;

/** The loaded source: bytes when we have them, the module when the host passed one. */
export type LoadedSource =
  | { kind: "bytes"; bytes: Uint8Array; origin: string }
  | { kind: "module"; module: WebAssembly.Module; origin: string };

/** How {@linkcode loadSource} reads. */
export interface LoadSourceOptions {
  /** Refuse anything larger (before reading it all, where the size is known). */
  maxBytes: number;
  /** Reads file paths and `file:` URLs (the facade passes the host's). */
  fs: HostFileSystem;
}

/** Reads `source`, refusing anything larger than `options.maxBytes`. */
export async function loadSource(source: PluginSource, options: LoadSourceOptions): Promise<LoadedSource> {
  const { maxBytes, fs } = options;
  if (source instanceof WebAssembly.Module) return { kind: "module", module: source, origin: "<module>" };
  if (source instanceof Uint8Array) return { kind: "bytes", bytes: checkSize(source, maxBytes, "<bytes>"), origin: "<bytes>" };
  if (source instanceof ArrayBuffer) {
    return { kind: "bytes", bytes: checkSize(new Uint8Array(source), maxBytes, "<bytes>"), origin: "<bytes>" };
  }
  const url = asUrl(source);
  if (url === undefined) return { kind: "bytes", bytes: await readPath(fs, source as string, maxBytes), origin: source as string };
  if (url.protocol === "file:") {
    const path = decodeURIComponent(url.pathname);
    return { kind: "bytes", bytes: await readPath(fs, path, maxBytes), origin: url.href };
  }
  if (url.protocol === "http:" || url.protocol === "https:") {
    return { kind: "bytes", bytes: await fetchUrl(url, maxBytes), origin: url.href };
  }
  throw new SandboxError("InvalidArgument", `unsupported plugin URL scheme "${url.protocol}": use file:, http: or https:`);
}

function asUrl(source: string | URL): URL | undefined {
  if (source instanceof URL) return source;
  if (!/^(file|https?):/i.test(source)) return undefined;
  try {
    return new URL(source);
  } catch {
    return undefined;
  }
}

function tooLarge(origin: string, size: number, maxBytes: number): SandboxError {
  return new SandboxError(
    "InvalidModule",
    `module ${origin} is ${size} bytes, over the maxModuleBytes limit of ${maxBytes}`,
  );
}

function checkSize(bytes: Uint8Array, maxBytes: number, origin: string): Uint8Array {
  if (bytes.byteLength > maxBytes) throw tooLarge(origin, bytes.byteLength, maxBytes);
  return bytes;
}

/** Runs a host file operation, turning its failure into a SandboxError about `path`. */
async function hostFile<T>(path: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof HostNotFoundError) {
      throw new SandboxError("NotFound", `plugin file ${path} does not exist`, { cause: err });
    }
    throw new SandboxError("IoError", `cannot read plugin file ${path}: ${(err as Error).message}`, { cause: err });
  }
}

async function readPath(fs: HostFileSystem, path: string, maxBytes: number): Promise<Uint8Array> {
  const info = await hostFile(path, () => fs.lstat(path));
  if (info.kind === "dir") throw new SandboxError("InvalidArgument", `plugin path ${path} is a directory, not a .wasm file`);
  // Refuse an oversized file before reading it (a symlink's own size says nothing, so it is checked after).
  if (info.kind === "file" && info.size > maxBytes) throw tooLarge(path, info.size, maxBytes);
  return checkSize(await hostFile(path, () => fs.readFile(path)), maxBytes, path);
}

async function fetchUrl(url: URL, maxBytes: number): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new SandboxError("IoError", `cannot fetch plugin ${url.href}: ${(err as Error).message}`, { cause: err });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new SandboxError(response.status === 404 ? "NotFound" : "IoError", `fetching ${url.href} answered HTTP ${response.status}`);
  }
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge(url.href, total, maxBytes);
    }
    chunks.push(value);
  }
  return concatBytes(chunks);
}
