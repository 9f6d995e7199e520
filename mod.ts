/**
 * wasm-sandbox: run untrusted WebAssembly plugins safely on Deno and Node.
 *
 * @module
 */
export { isSandboxError, SandboxError, SandboxErrorCode } from "./lib/errors.ts";
export type { SandboxErrorDetails } from "./lib/errors.ts";
