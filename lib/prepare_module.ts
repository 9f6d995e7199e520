/**
 * Turns plugin bytes into a {@linkcode PreparedModule}: validated, limits
 * applied, compiled. The result depends only on the bytes and the options, so
 * the runtime caches it by their hash.
 *
 * @module
 */
import { SandboxError } from "./errors.ts";
import type { PreparedModule } from "./plugin_sandbox.ts";

/** What changes the compiled result: part of the cache key. */
export interface PrepareOptions {
  maxMemoryPages: number;
  maxTableElements: number;
  maxStackDepth: number | undefined;
  metered: boolean;
  allowSharedMemory: boolean;
}

/** A stable string of the options, for cache keys. */
export function prepareOptionsKey(options: PrepareOptions): string {
  return JSON.stringify([
    options.maxMemoryPages,
    options.maxTableElements,
    options.maxStackDepth ?? null,
    options.metered,
    options.allowSharedMemory,
  ]);
}

/** Validates and compiles `bytes`. */
export async function prepareModule(bytes: Uint8Array, hash: string, options: PrepareOptions): Promise<PreparedModule> {
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (err) {
    throw new SandboxError("InvalidModule", `not a valid WebAssembly module: ${(err as Error).message}`, { cause: err });
  }
  return describeCompiled(module, hash, false);
}

/** Describes an already compiled module. */
export function describeCompiled(module: WebAssembly.Module, hash: string, metered: boolean): PreparedModule {
  return {
    module,
    hash,
    imports: WebAssembly.Module.imports(module),
    exports: WebAssembly.Module.exports(module),
    importedMemories: [],
    metered,
  };
}
