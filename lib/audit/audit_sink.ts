/**
 * Where sealed audit records go on flush. A sink receives each batch once,
 * in order, both as records and as their JSON lines (so file sinks need not
 * serialize again). A sink that throws makes the flush reject; the log keeps
 * the batch for that sink and offers it again on the next flush.
 *
 * @module
 */
import type { SealedAuditRecord } from "./audit_event.ts";

/** A destination for sealed audit records. */
export interface AuditSink {
  /** Accepts one batch: `records[i]` serializes to `lines[i]` (no newline). */
  write(records: readonly SealedAuditRecord[], lines: readonly string[]): Promise<void> | void;
  /** Releases resources; called once by `AuditLog.close()` after the last flush. */
  close?(): Promise<void> | void;
}

/**
 * A sink calling `callback` once per sealed record, oldest first. An
 * exception from the callback makes the flush reject.
 *
 * @example
 * ```ts
 * const seen: SealedAuditRecord[] = [];
 * const log = new AuditLog({ sinks: [callbackSink((r) => seen.push(r))] });
 * ```
 */
export function callbackSink(callback: (record: SealedAuditRecord) => void): AuditSink {
  return {
    write(records) {
      for (const record of records) callback(record);
    },
  };
}
