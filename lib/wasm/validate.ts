/**
 * The engine's own verdict on a module. The fuel rewriter appends its globals
 * and locals after the module's own, so an invalid module that names those
 * indices would become valid once rewritten and control its own fuel: every
 * input is checked with `WebAssembly.validate` before anything else, and the
 * feature set accepted is exactly the engine's.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";

/**
 * Throws `SandboxError("InvalidModule")`, with the engine's reason, unless
 * the engine accepts `bytes` as a module.
 *
 * @example
 * ```ts
 * assertValidModule(bytes); // throws InvalidModule for anything the engine rejects
 * ```
 */
export function assertValidModule(bytes: Uint8Array): void {
  const plain = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) as Uint8Array<ArrayBuffer>;
  if (WebAssembly.validate(plain)) return;
  const reason = engineReason(plain);
  throw new SandboxError("InvalidModule", `not a valid WebAssembly module: ${reason}`, { cause: reason });
}

/** `validate()` only says no; compiling says why (this runs only for rejected modules). */
function engineReason(bytes: Uint8Array<ArrayBuffer>): string {
  try {
    new WebAssembly.Module(bytes);
  } catch (err) {
    return String((err as Error)?.message ?? err).replace(/^WebAssembly\.Module\(\): /, "");
  }
  return "the engine rejects it";
}
