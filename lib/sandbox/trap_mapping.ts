/**
 * Turns whatever a guest call threw into a {@linkcode SandboxError} with the
 * right code. The fuel rewriter records why it trapped in an exported global,
 * so out-of-fuel and stack overflow are told apart from the guest's own
 * `unreachable`.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";

/** Why injected code trapped, as stored in the rewriter's trap-reason global. */
export const TrapReason = { None: 0, OutOfFuel: 1, StackOverflow: 2 } as const;

/** Maps an error thrown during a guest call to a SandboxError. */
export function mapGuestError(err: unknown, pluginId: string, trapReason: number): SandboxError {
  if (err instanceof SandboxError) return err;
  if (trapReason === TrapReason.OutOfFuel) {
    return new SandboxError("OutOfFuel", `plugin "${pluginId}" ran out of fuel; give it more with addFuel() or a larger budget`, { pluginId, cause: err });
  }
  if (trapReason === TrapReason.StackOverflow) {
    return new SandboxError("StackOverflow", `plugin "${pluginId}" exceeded its call-depth limit (maxStackDepth)`, { pluginId, cause: err });
  }
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    return new SandboxError("StackOverflow", `plugin "${pluginId}" overflowed the host stack (unbounded recursion)`, { pluginId, cause: err });
  }
  if (err instanceof WebAssembly.RuntimeError) {
    return new SandboxError("Trap", `plugin "${pluginId}" trapped: ${err.message}`, { pluginId, cause: err });
  }
  if (err instanceof RangeError && /memory|allocat/i.test(err.message)) {
    return new SandboxError("MemoryLimit", `plugin "${pluginId}" could not get memory: ${err.message}`, { pluginId, cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new SandboxError("Trap", `plugin "${pluginId}" failed: ${message}`, { pluginId, cause: err });
}
