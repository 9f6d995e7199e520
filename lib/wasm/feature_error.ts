/**
 * The one error for modules that use a WebAssembly feature wasm-sandbox
 * cannot inspect or rewrite safely: it names the feature, so users know what
 * to turn off in their toolchain.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";

/**
 * `SandboxError("InvalidModule")` saying the module uses `feature`.
 *
 * @example
 * ```ts
 * throw unsupportedFeature("memory64", 42);
 * ```
 */
export function unsupportedFeature(feature: string, offset: number): SandboxError {
  return new SandboxError(
    "InvalidModule",
    `the module uses ${feature}, which the rewriter does not support (at byte ${offset}); build the plugin without it`,
    { offset },
  );
}
