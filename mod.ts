/**
 * wasm-sandbox: run untrusted WebAssembly plugins safely on Deno and Node.
 *
 * The root export is what the README's API table uses: the runtime, a
 * plugin and its results, capabilities, errors, configuration, host
 * namespaces of your own, the soch store, the audit log and WASI
 * directories. The rest is behind subpath exports, each with its entry
 * file: `wasm-sandbox/wasi` (lib/wasi/mod.ts), `/audit` (lib/audit/mod.ts),
 * `/exec` (lib/exec/mod.ts), `/fuel` (lib/fuel/mod.ts), `/host`
 * (lib/host/mod.ts), `/soch` (lib/host/soch_mod.ts) and `/inspect`
 * (lib/module/inspect_mod.ts).
 *
 * @example
 * ```ts
 * import { grant, WasmSandboxRuntime } from "wasm-sandbox";
 *
 * const runtime = new WasmSandboxRuntime({ maxMemoryPages: 64 });
 * const plugin = await runtime.loadPlugin("adder", "./adder.wasm", {
 *   capabilities: [grant("soch:read", { keyPrefix: "public/" })],
 * });
 * console.log(await plugin.call("add", 2, 3)); // 5
 * runtime.unloadPlugin("adder");
 * ```
 *
 * @module
 */
// The runtime and a plugin's options.
export { WasmSandboxRuntime } from "./lib/runtime.ts";
export type { IsolationOptions, PluginOptions, WasiOptions } from "./lib/plugin_options.ts";
export type { PluginSource } from "./lib/module/source.ts";
// One plugin, or a pool of instances of one.
export { PluginSandbox } from "./lib/sandbox/plugin_sandbox.ts";
export { PluginPool } from "./lib/sandbox/plugin_pool.ts";
export type { PoolOptions } from "./lib/sandbox/plugin_pool.ts";
export type { CallOptions, PluginMemory, RunResult } from "./lib/sandbox/plugin_sandbox.ts";
export type { PluginInfo, SandboxRuntimeStats, SandboxStats } from "./lib/sandbox/types.ts";
export { SandboxState } from "./lib/sandbox/state.ts";
export type { SandboxValue } from "./lib/sandbox/values.ts";
// Capabilities.
export { Capabilities, CapabilityToken, grant } from "./lib/host/capabilities.ts";
// Errors.
export { isSandboxError, SandboxError, SandboxErrorCode } from "./lib/errors.ts";
// Configuration.
export { defaultSandboxConfig } from "./lib/config.ts";
export type { SandboxConfig } from "./lib/config.ts";
// Host namespaces of your own.
export { defineRegistrar } from "./lib/host/registrar.ts";
export type { HostFunction, HostFunctionRegistrar } from "./lib/host/registrar.ts";
// The data behind the soch namespace.
export type { HostContextProvider } from "./lib/host/soch_namespace.ts";
export { DefaultHostContextProvider } from "./lib/host/soch_provider.ts";
// The audit log.
export { AuditLog } from "./lib/audit/audit_log.ts";
// WASI directories.
export { memoryTree, mountHostDirectory } from "./lib/wasi/mod.ts";
