/**
 * The `sandbox` namespace, linked into every plugin and needing no
 * capability: `take_response` empties the response slot (docs/ABI.md).
 *
 * @module
 */
import { defineRegistrar } from "./registrar.ts";
import type { HostFunctionRegistrar } from "./registrar.ts";
import type { ResponseSlot } from "./response_slot.ts";

/** The `sandbox` registrar bound to one plugin's response slot. */
export function sandboxNamespace(slot: ResponseSlot): HostFunctionRegistrar {
  return defineRegistrar("sandbox", {
    take_response: {
      params: ["i32", "i32"],
      results: ["i64"],
      call: (ctx, outPtr: number, outCap: number) => slot.take(ctx.memory, outPtr, outCap),
    },
  });
}
