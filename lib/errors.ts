/**
 * The one error type users of wasm-sandbox catch. Every failure that reaches
 * the host is a `SandboxError` with a stable `code`; messages say what failed
 * and what to do about it.
 *
 * @module
 */

/**
 * Stable error codes. Match on these, never on messages.
 *
 * @example
 * ```ts
 * import { SandboxError, SandboxErrorCode } from "wasm-sandbox";
 *
 * try {
 *   await plugin.call("run");
 * } catch (err) {
 *   if (err instanceof SandboxError && err.code === SandboxErrorCode.OutOfFuel) plugin.addFuel(1_000_000n);
 * }
 * ```
 */
export const SandboxErrorCode = {
  /** The bytes are not a valid WebAssembly module, or use an unsupported feature. */
  InvalidModule: "InvalidModule",
  /** The plugin needs a capability the host did not grant. */
  CapabilityDenied: "CapabilityDenied",
  /** The guest trapped (unreachable, out-of-bounds access, division by zero...). */
  Trap: "Trap",
  /** The plugin used up its fuel budget. */
  OutOfFuel: "OutOfFuel",
  /** The plugin exceeded its call-depth limit. */
  StackOverflow: "StackOverflow",
  /** A memory or table limit was exceeded. */
  MemoryLimit: "MemoryLimit",
  /** A wall-clock deadline passed. */
  Timeout: "Timeout",
  /** The operation is not allowed in the sandbox's current state. */
  InvalidState: "InvalidState",
  /** A host command could not be executed. */
  ExecFailed: "ExecFailed",
  /** An argument from the host was malformed (bad value, missing export, bad path). */
  InvalidArgument: "InvalidArgument",
  /** A plugin, file or export does not exist. */
  NotFound: "NotFound",
  /** A host-side I/O failure (reading a plugin, a mount, a cache). */
  IoError: "IoError",
} as const;

/** One of the values of {@linkcode SandboxErrorCode}. */
export type SandboxErrorCode = typeof SandboxErrorCode[keyof typeof SandboxErrorCode];

/** Extra facts attached to an error. */
export interface SandboxErrorDetails {
  /** Byte offset in the module where parsing failed. */
  offset?: number;
  /** The plugin the error concerns. */
  pluginId?: string;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * An error raised by the sandbox.
 *
 * @example
 * ```ts
 * try {
 *   await runtime.loadPlugin("p", new Uint8Array([1, 2, 3]));
 * } catch (err) {
 *   if (err instanceof SandboxError && err.code === "InvalidModule") console.log(err.message);
 * }
 * ```
 */
export class SandboxError extends Error {
  /** The stable error code. */
  readonly code: SandboxErrorCode;
  /** Byte offset in the module, for parse errors. */
  readonly offset?: number;
  /** The plugin concerned, when known. */
  readonly pluginId?: string;

  constructor(code: SandboxErrorCode, message: string, details: SandboxErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "SandboxError";
    this.code = code;
    if (details.offset !== undefined) this.offset = details.offset;
    if (details.pluginId !== undefined) this.pluginId = details.pluginId;
  }
}

/**
 * True when `err` is a {@linkcode SandboxError}, optionally with the given code.
 *
 * @example
 * ```ts
 * import { isSandboxError } from "wasm-sandbox";
 *
 * const err = await runtime.loadPlugin("p", bytes).catch((e) => e);
 * if (isSandboxError(err, "CapabilityDenied")) console.log(err.message); // lists every missing capability
 * ```
 */
export function isSandboxError(err: unknown, code?: SandboxErrorCode): err is SandboxError {
  return err instanceof SandboxError && (code === undefined || err.code === code);
}
