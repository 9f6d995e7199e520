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
  const err = new SandboxError(
    "InvalidModule",
    `the module uses ${feature}, which the rewriter does not support (at byte ${offset}); build the plugin without it`,
    { offset },
  );
  featureErrors.add(err);
  return err;
}

const featureErrors = new WeakSet<object>();

/**
 * True for an error made by {@linkcode unsupportedFeature}: when the engine
 * rejects a module too, naming the feature says more than the engine does.
 *
 * @example
 * ```ts
 * isUnsupportedFeature(unsupportedFeature("memory64", 8)); // true
 * ```
 */
export function isUnsupportedFeature(err: unknown): boolean {
  return typeof err === "object" && err !== null && featureErrors.has(err);
}
