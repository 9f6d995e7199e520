/**
 * The shape of audit records: what the host-call bridge reports
 * ({@linkcode AuditEventInput}) and what the log keeps and writes
 * ({@linkcode AuditEvent}). The JSON-lines format is described in docs/AUDIT.md.
 *
 * @module
 */

/** Whether a host call was let through or refused for lack of capability. */
export type AuditDecision = "allow" | "deny";

/**
 * One host call as the bridge reports it (WASI included, allowed or denied).
 * Structurally identical to the bridge's `HostCallRecord`, so an
 * {@linkcode AuditLog} can be passed wherever a recorder is expected.
 */
export interface AuditEventInput {
  /** The calling plugin. */
  pluginId: string;
  /** The import namespace, e.g. `"soch"` or `"wasi_snapshot_preview1"`. */
  namespace: string;
  /** The imported function, e.g. `"soch_read"`. */
  function: string;
  /** The capability the function needs; undefined for capability-free functions. */
  capability: string | undefined;
  decision: AuditDecision;
  /**
   * Milliseconds since the Unix epoch when the call ended; the log takes its
   * own clock reading when absent. The bridge passes the reading it already
   * took for the duration, saving a clock read per call.
   */
  time?: number;
  /** Wall time spent in the host function, in nanoseconds. */
  durationNs: number;
  /** Bytes the host read from guest memory. */
  bytesIn: number;
  /** Bytes the host wrote into guest memory. */
  bytesOut: number;
  /** What the host function returned (an ABI code, a size, an errno); undefined for void functions. */
  result: number | bigint | undefined;
  /**
   * Why the call was refused or failed, in the host's words (e.g. "ls is not
   * on the policy's allow list"), when the host function said; the guest only
   * ever sees the ABI code.
   */
  reason?: string;
  /**
   * Structured facts about the call that the host function added
   * (`ctx.annotate`), e.g. an HTTP request's method, host, status and byte
   * counts. Never bodies or secrets: host functions put only what may be
   * kept in a log here.
   */
  detail?: AuditDetail;
}

/** A value in {@linkcode AuditEventInput.detail}: plain JSON scalars, or a list of strings. */
export type AuditDetailValue = string | number | boolean | null | readonly string[];

/** Structured facts about one host call, flat: names to {@linkcode AuditDetailValue}s. */
export type AuditDetail = Readonly<Record<string, AuditDetailValue>>;

/** A recorded host call: the input plus the sequence number and time the log assigned. */
export interface AuditEvent extends AuditEventInput {
  readonly kind: "call";
  /** 1-based, gap-free within one log: records are never dropped. */
  readonly seq: number;
  /** Milliseconds since the Unix epoch, when the call was recorded. */
  readonly time: number;
  /** The previous record's hash; set when the record is sealed by a flush to a sink. */
  prev: string | undefined;
  /** This record's hash; set when the record is sealed by a flush to a sink. */
  hash: string | undefined;
}

/** Anything written to a sink. */
export type AuditRecord = AuditEvent;

/** An {@linkcode AuditRecord} after sealing: `prev` and `hash` are set. */
export type SealedAuditRecord = AuditRecord & { prev: string; hash: string };
