/**
 * `wasm-sandbox/audit`: the audit log, its sinks and its verification.
 * Every host call of every plugin, WASI included, allowed or denied, is a
 * record; with a file sink the records form a SHA-256 hash chain
 * (docs/AUDIT.md). `AuditLog` itself is also in the root export.
 *
 * @example
 * ```ts
 * import { WasmSandboxRuntime } from "wasm-sandbox";
 * import { AuditLog, jsonLinesFileSink, readAuditTail, verifyAuditFile } from "wasm-sandbox/audit";
 *
 * const audit = new AuditLog({ sinks: [jsonLinesFileSink("audit.jsonl")], resumeFrom: await readAuditTail("audit.jsonl") });
 * const runtime = new WasmSandboxRuntime({ audit });
 * // ... load and run plugins ...
 * await audit.close();
 * const { ok, records } = await verifyAuditFile("audit.jsonl"); // ok: every line chains to the one before
 * ```
 *
 * @module
 */
export { AuditLog } from "./audit_log.ts";
export type { AuditLogOptions } from "./audit_log.ts";
export type { AuditEvent, AuditEventInput, SealedAuditRecord } from "./audit_event.ts";
export { callbackSink } from "./audit_sink.ts";
export type { AuditSink } from "./audit_sink.ts";
export { jsonLinesFileSink } from "./jsonl_file_sink.ts";
export { readAuditTail, verifyAuditFile } from "./verify_audit.ts";
export type { AuditVerification } from "./verify_audit.ts";
// What a per-plugin `recorder` (PluginOptions) receives and implements.
export type { HostCallRecord, HostCallRecorder } from "../host/bridge.ts";
