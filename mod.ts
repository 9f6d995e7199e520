/**
 * wasm-sandbox: run untrusted WebAssembly plugins safely on Deno and Node.
 *
 * @module
 */
export { defaultSandboxConfig } from "./lib/config.ts";
export type { SandboxConfig } from "./lib/config.ts";
export { isSandboxError, SandboxError, SandboxErrorCode } from "./lib/errors.ts";
export type { SandboxErrorDetails } from "./lib/errors.ts";
export { AbiCode } from "./lib/host/abi_codes.ts";
export type { HostCallRecord, HostCallRecorder } from "./lib/host/bridge.ts";
export { BUILTIN_CAPABILITIES, Capabilities, CapabilityToken, grant, isCapabilityToken } from "./lib/host/capabilities.ts";
export type { SochScope } from "./lib/host/capabilities.ts";
export { defineRegistrar } from "./lib/host/registrar.ts";
export type { HostCallContext, HostFunction, HostFunctionRegistrar, WasmValueType } from "./lib/host/registrar.ts";
export type { PluginSource } from "./lib/module_source.ts";
export { PluginSandbox } from "./lib/plugin_sandbox.ts";
export type { PluginMemory, RunResult } from "./lib/plugin_sandbox.ts";
export type { PluginInfo, SandboxRuntimeStats, SandboxStats } from "./lib/plugin_types.ts";
export { WasmSandboxRuntime } from "./lib/runtime.ts";
export type { PluginOptions } from "./lib/runtime.ts";
export { SandboxState } from "./lib/sandbox_state.ts";
export type { SandboxValue, TypedValue } from "./lib/values.ts";
