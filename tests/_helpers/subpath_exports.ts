// What each export path must offer at run time: a few names per entry point
// that the README and docs/ import from it. Shared by tests/export_maps_test.ts
// (the sources, on Node and Deno) and tests/package_test.ts (the packed package).
export const SUBPATH_RUNTIME_NAMES: Record<string, readonly string[]> = {
  ".": ["WasmSandboxRuntime", "PluginSandbox", "grant", "SandboxError", "defineRegistrar", "AuditLog", "memoryTree"],
  "./wasi": ["memoryTree", "mountHostDirectory", "VirtualDirectory", "deterministicClock", "seededRandom"],
  "./audit": ["AuditLog", "jsonLinesFileSink", "callbackSink", "readAuditTail", "verifyAuditFile"],
  "./exec": ["exec", "execSync", "closeExecWorker", "createExecState", "defaultSandboxPolicy", "parseExecRequest", "encodeExecResponse"],
  "./fuel": ["instrument", "FUEL_GLOBAL_EXPORT", "DEPTH_GLOBAL_EXPORT", "TRAP_REASON_GLOBAL_EXPORT"],
  "./host": ["AbiCode", "defineRegistrar", "grant", "isCapabilityToken", "LOG_LEVELS", "stderrLogger"],
  "./soch": ["DefaultHostContextProvider", "PgliteHostContextProvider", "SochProviderError"],
  "./net": ["defaultNetworkPolicy", "validateNetworkPolicy"],
  "./inspect": ["reportModule"],
};
