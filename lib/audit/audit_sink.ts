/**
 * Where sealed audit records go on flush. A sink receives each batch once,
 * in order, both as records and as their JSON lines (so file sinks need not
 * serialize again). A sink that throws makes the flush reject; the log keeps
 * the batch for that sink and offers it again on the next flush.
 *
 * A sink that can also take a batch synchronously (`writeSync`) lets the log
 * make a guest wait while its records are written, instead of refusing the
 * guest's host calls, when the guest makes calls faster than the event loop
 * gets to flush them (see docs/AUDIT.md).
 *
 * @module
 */
import type { SealedAuditRecord } from "./audit_event.ts";

/** A destination for sealed audit records. */
export interface AuditSink {
  /** Accepts one batch: `records[i]` serializes to `lines[i]` (no newline). */
  write(records: readonly SealedAuditRecord[], lines: readonly string[]): Promise<void> | void;
  /**
   * Accepts one batch synchronously, like `write`. Returns false, having taken
   * nothing, when it cannot do so right now (a file not opened yet: see
   * `ready`). Throws like `write` when it fails.
   */
  writeSync?(records: readonly SealedAuditRecord[], lines: readonly string[]): boolean;
  /** Gets ready for `writeSync` (opens files). `AuditLog.ready()` awaits it; the runtime does so before any guest runs. */
  ready?(): Promise<void>;
  /** Releases resources; called once by `AuditLog.close()` after the last flush. */
  close?(): Promise<void> | void;
}

/**
 * A sink calling `callback` once per sealed record, oldest first. An
 * exception from the callback makes the flush reject. It takes records
 * synchronously.
 *
 * @example
 * ```ts
 * const seen: SealedAuditRecord[] = [];
 * const log = new AuditLog({ sinks: [callbackSink((r) => seen.push(r))] });
 * ```
 */
export function callbackSink(callback: (record: SealedAuditRecord) => void): AuditSink {
  const writeSync = (records: readonly SealedAuditRecord[]) => {
    for (const record of records) callback(record);
    return true;
  };
  return {
    write(records) {
      writeSync(records);
    },
    writeSync,
  };
}
