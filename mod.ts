/**
 * wasm-sandbox: run untrusted WebAssembly plugins safely on Deno and Node.
 *
 * @module
 */
export { AuditLog } from "./lib/audit/audit_log.ts";
export type { AuditLogOptions } from "./lib/audit/audit_log.ts";
export type { AuditEvent, AuditEventInput, SealedAuditRecord } from "./lib/audit/audit_event.ts";
export { callbackSink } from "./lib/audit/audit_sink.ts";
export type { AuditSink } from "./lib/audit/audit_sink.ts";
export { jsonLinesFileSink } from "./lib/audit/jsonl_file_sink.ts";
export { readAuditTail, verifyAuditFile } from "./lib/audit/verify_audit.ts";
export { defaultSandboxConfig } from "./lib/config.ts";
export type { SandboxConfig } from "./lib/config.ts";
export { isSandboxError, SandboxError, SandboxErrorCode } from "./lib/errors.ts";
export type { SandboxErrorDetails } from "./lib/errors.ts";
export { exec } from "./lib/exec/exec.ts";
export { closeExecWorker, execSync } from "./lib/exec/exec_sync.ts";
export { encodeExecResponse } from "./lib/exec/outcome.ts";
export type { ExecOutcome, ExecResponse } from "./lib/exec/outcome.ts";
export type { IsolationLevel } from "./lib/exec/isolation.ts";
export type { ExecEvent, ExecObserver } from "./lib/host/sandbox_exec.ts";
export { defaultSandboxPolicy, validateSandboxPolicy } from "./lib/exec/policy.ts";
export type { FilesystemView, NetworkIsolation, ProcessIsolation, ResourceLimits, SandboxPolicy } from "./lib/exec/policy.ts";
export { parseExecRequest } from "./lib/exec/request.ts";
export type { ExecRequest } from "./lib/exec/request.ts";
export { createExecState } from "./lib/exec/state.ts";
export type { ExecState } from "./lib/exec/state.ts";
export {
  DEPTH_GLOBAL_EXPORT,
  FUEL_GLOBAL_EXPORT,
  instrument,
  TRAP_REASON_GLOBAL_EXPORT,
} from "./lib/fuel/instrument.ts";
export type { CostTable, InstrumentOptions } from "./lib/fuel/instrument.ts";
export { AbiCode } from "./lib/host/abi_codes.ts";
export type { HostCallRecord, HostCallRecorder } from "./lib/host/bridge.ts";
export { BUILTIN_CAPABILITIES, Capabilities, CapabilityToken, grant, isCapabilityToken } from "./lib/host/capabilities.ts";
export type { SochScope } from "./lib/host/capabilities.ts";
export { LOG_LEVELS, stderrLogger } from "./lib/host/guest_logger.ts";
export type { GuestLogEntry, HostLogger, LogLevel } from "./lib/host/guest_logger.ts";
export { defineRegistrar } from "./lib/host/registrar.ts";
export type { HostCallContext, HostFunction, HostFunctionRegistrar, WasmValueType } from "./lib/host/registrar.ts";
export { SochProviderError } from "./lib/host/soch_namespace.ts";
export type { HostContextProvider } from "./lib/host/soch_namespace.ts";
export { DefaultHostContextProvider } from "./lib/host/soch_provider.ts";
export { reportModule } from "./lib/module/report.ts";
export type { ImportReport, ModuleReport } from "./lib/module/report.ts";
export type { PluginSource } from "./lib/module/source.ts";
export type { IsolatedPluginSandbox } from "./lib/isolation/isolated_sandbox.ts";
export { PluginSandbox } from "./lib/sandbox/plugin_sandbox.ts";
export type { CallOptions, PluginMemory, RunResult } from "./lib/sandbox/plugin_sandbox.ts";
export type { PluginInfo, SandboxRuntimeStats, SandboxStats } from "./lib/sandbox/types.ts";
export { WasmSandboxRuntime } from "./lib/runtime.ts";
export type { PluginOptions } from "./lib/runtime.ts";
export { SandboxState } from "./lib/sandbox/state.ts";
export type { SandboxValue, TypedValue } from "./lib/sandbox/values.ts";
export {
  deterministicClock,
  memoryTree,
  mountHostDirectory,
  seededRandom,
  systemClock,
  systemRandom,
  VirtualDirectory,
  VirtualFile,
  VirtualSymlink,
} from "./lib/wasi/mod.ts";
export type { HostMount, MountOptions, Preopen, RandomSource, TreeSpec, WasiClock, WriteBackReport } from "./lib/wasi/mod.ts";
