/**
 * `wasm-sandbox/host`: for writing host namespaces and handling what the
 * built-in ones produce. `defineRegistrar`, `HostFunction` and
 * `HostFunctionRegistrar` are also in the root export; here are the context
 * a host function receives, the ABI's result codes (docs/ABI.md), the guest
 * logger's types, and capability helpers.
 *
 * @example
 * ```ts
 * import { AbiCode, defineRegistrar } from "wasm-sandbox/host";
 * import type { HostCallContext } from "wasm-sandbox/host";
 *
 * const kv = new Map<string, number>([["answer", 42]]);
 * const lookup = defineRegistrar("my_kv", {
 *   get: {
 *     params: ["i32", "i32"],
 *     results: ["i64"],
 *     capability: "my_kv:read",
 *     call: (ctx: HostCallContext, ptr: number, len: number) => {
 *       const key = new TextDecoder("utf-8", { fatal: true }).decode(ctx.memory.read(ptr, len)); // bounds-checked copy
 *       const value = kv.get(key);
 *       return value === undefined ? BigInt(AbiCode.NOT_FOUND) : BigInt(value);
 *     },
 *   },
 * });
 * ```
 *
 * @module
 */
export { AbiCode } from "./abi_codes.ts";
export { BUILTIN_CAPABILITIES, Capabilities, CapabilityToken, grant, isCapabilityToken } from "./capabilities.ts";
export type { SochScope } from "./capabilities.ts";
export { LOG_LEVELS, stderrLogger } from "./guest_logger.ts";
export type { GuestLogEntry, HostLogger, LogLevel } from "./guest_logger.ts";
export { defineRegistrar } from "./registrar.ts";
export type { HostCallContext, HostFunction, HostFunctionRegistrar, WasmValueType } from "./registrar.ts";
export type { HostCallRecord, HostCallRecorder } from "./bridge.ts";
