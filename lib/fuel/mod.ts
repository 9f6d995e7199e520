/**
 * `wasm-sandbox/fuel`: the rewriter the runtime runs on every module, for
 * hosts that instantiate metered modules themselves (docs/FUEL.md). The
 * `*_GLOBAL_EXPORT` names are the exports it adds: the remaining fuel, the
 * call depth and why the guest trapped.
 *
 * @example
 * ```ts
 * import { FUEL_GLOBAL_EXPORT, instrument } from "wasm-sandbox/fuel";
 *
 * const metered = instrument(bytes, { maxStackDepth: 10_000, maxMemoryPages: 256 });
 * const { instance } = await WebAssembly.instantiate(metered, {});
 * const fuel = instance.exports[FUEL_GLOBAL_EXPORT] as WebAssembly.Global;
 * fuel.value = 1_000_000n;
 * (instance.exports.run as () => void)();
 * const used = 1_000_000n - (fuel.value as bigint);
 * ```
 *
 * @module
 */
export { DEPTH_GLOBAL_EXPORT, FUEL_GLOBAL_EXPORT, instrument, TRAP_REASON_GLOBAL_EXPORT } from "./instrument.ts";
export type { CostTable, InstrumentOptions } from "./instrument.ts";
