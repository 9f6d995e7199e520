/**
 * The audit log: one event per host call, WASI included, allowed or denied.
 *
 * {@linkcode AuditLog.record} runs on every host call, so it only numbers and
 * timestamps the event, stores it in the ring and queues it: no hashing, no
 * JSON, no I/O, one allocation (the event). The hash chain is computed when
 * records are flushed to sinks — by {@linkcode AuditLog.flush}, by a timer
 * armed on the first queued record, when the queue reaches a threshold, and by
 * {@linkcode AuditLog.close}. Nothing is lost silently: the ring counts what
 * it overwrites, a full queue writes a `dropped` record covering the lost
 * sequence numbers, and a failing sink makes the flush reject.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import type { AuditEvent, AuditEventInput, AuditGap, AuditRecord, SealedAuditRecord } from "./audit_event.ts";
import { AuditRing } from "./audit_ring.ts";
import type { AuditSnapshot } from "./audit_ring.ts";
import type { AuditSink } from "./audit_sink.ts";
import { GENESIS_HASH, sealRecords } from "./hash_chain.ts";
import type { AuditChainHead } from "./verify_audit.ts";

/** How an {@linkcode AuditLog} keeps and delivers records. */
export interface AuditLogOptions {
  /** Events the in-memory ring keeps (default 10 000); 0 disables the ring. */
  ringCapacity?: number;
  /** Where sealed records go on flush (files, callbacks). Without sinks nothing is hashed. */
  sinks?: readonly AuditSink[];
  /** Flush this long after the first queued record (default 1000 ms). */
  flushIntervalMs?: number;
  /** Flush as soon as this many records are queued (default 1024). */
  flushThreshold?: number;
  /** Records queued at most; beyond it they are dropped and a `dropped` record says so (default 100 000). */
  maxPending?: number;
  /** Continue an existing chain (see `readAuditTail`) instead of starting at seq 1 from the genesis hash. */
  resumeFrom?: AuditChainHead;
  /** Milliseconds since the epoch; `Date.now` unless a test fixes the clock. */
  now?: () => number;
}

/** A sink plus the sealed records it has not accepted yet. */
interface SinkState {
  sink: AuditSink;
  records: SealedAuditRecord[];
  lines: string[];
  /** Records discarded from this sink's backlog while it kept failing. */
  lost: number;
}

function positiveInteger(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new SandboxError("InvalidArgument", `audit log option ${name} must be an integer ≥ ${min}, got ${value}`);
  }
  return value;
}

/**
 * Records host calls and delivers them, hash-chained, to its sinks.
 * Structurally a bridge `HostCallRecorder`.
 *
 * @example
 * ```ts
 * const log = new AuditLog({ sinks: [jsonLinesFileSink("audit.jsonl")] });
 * log.record({ pluginId: "p", namespace: "soch", function: "soch_read", capability: "soch:read",
 *   decision: "allow", durationNs: 1200, bytesIn: 5, bytesOut: 12, result: 12n });
 * console.log(log.events().events.length); // 1
 * await log.close(); // seals and writes the line
 * ```
 */
export class AuditLog {
  readonly #ring: AuditRing | undefined;
  readonly #sinks: SinkState[];
  readonly #flushIntervalMs: number;
  readonly #flushThreshold: number;
  readonly #maxPending: number;
  readonly #now: () => number;
  #seq: number;
  #head: string;
  #pending: AuditRecord[] = [];
  #dropRunStart = 0;
  #dropRunCount = 0;
  #dropTime = 0;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  #timerIsImmediate = false;
  #flushChain: Promise<void> = Promise.resolve();
  #backgroundError: unknown = undefined;
  #closed = false;

  constructor(options: AuditLogOptions = {}) {
    const ringCapacity = positiveInteger("ringCapacity", options.ringCapacity, 10_000, 0);
    this.#ring = ringCapacity > 0 ? new AuditRing(ringCapacity) : undefined;
    this.#sinks = (options.sinks ?? []).map((sink) => ({ sink, records: [], lines: [], lost: 0 }));
    this.#flushIntervalMs = positiveInteger("flushIntervalMs", options.flushIntervalMs, 1000, 0);
    this.#flushThreshold = positiveInteger("flushThreshold", options.flushThreshold, 1024);
    this.#maxPending = positiveInteger("maxPending", options.maxPending, 100_000);
    this.#now = options.now ?? Date.now;
    const resume = options.resumeFrom;
    if (resume !== undefined && (!Number.isSafeInteger(resume.seq) || resume.seq < 0 || !/^[0-9a-f]{64}$/.test(resume.hash))) {
      throw new SandboxError("InvalidArgument", "resumeFrom must be { seq, hash } as readAuditTail() returns it");
    }
    this.#seq = resume?.seq ?? 0;
    this.#head = resume?.hash ?? GENESIS_HASH;
  }

  /**
   * Records one host call and returns the stored event. Cheap enough for
   * every host call. Throws `InvalidState` after {@linkcode close}: a call
   * that cannot be audited must not pass unnoticed.
   */
  record(input: AuditEventInput): AuditEvent {
    if (this.#closed) throw new SandboxError("InvalidState", "the audit log is closed; host calls can no longer be recorded");
    const event: AuditEvent = {
      kind: "call",
      seq: ++this.#seq,
      time: input.time ?? this.#now(),
      pluginId: input.pluginId,
      namespace: input.namespace,
      function: input.function,
      capability: input.capability,
      decision: input.decision,
      durationNs: input.durationNs,
      bytesIn: input.bytesIn,
      bytesOut: input.bytesOut,
      result: input.result,
      prev: undefined,
      hash: undefined,
    };
    this.#ring?.push(event);
    if (this.#sinks.length !== 0) this.#enqueue(event);
    return event;
  }

  /** The events the ring retains, oldest first, and how many it overwrote. */
  events(): AuditSnapshot {
    return this.#ring?.snapshot() ?? { events: [], dropped: 0 };
  }

  /** Records queued for the sinks and not yet sealed. */
  get pending(): number {
    return this.#pending.length;
  }

  /** The chain head: the last sealed record's seq and hash (the genesis hash before any). */
  get head(): AuditChainHead {
    return { seq: this.#lastSealedSeq, hash: this.#head };
  }

  #lastSealedSeq = 0;

  /**
   * Seals every queued record into the chain and delivers it to every sink.
   * Rejects with `IoError` when a sink failed (now or in a background flush);
   * the records it did not accept are offered to it again next time.
   */
  flush(): Promise<void> {
    const run = this.#flushChain.then(() => this.#flushNow());
    this.#flushChain = run.catch(() => {});
    return run;
  }

  /** Flushes, closes every sink and refuses further records. Rejects like {@linkcode flush}. */
  async close(): Promise<void> {
    if (this.#closed) return this.#flushChain;
    this.#closed = true;
    let failure: unknown;
    try {
      await this.flush();
    } catch (err) {
      failure = err;
    }
    for (const state of this.#sinks) {
      try {
        await state.sink.close?.();
      } catch (err) {
        failure ??= new SandboxError("IoError", `closing an audit sink failed: ${(err as Error).message}`, { cause: err });
      }
    }
    if (failure !== undefined) throw failure;
  }

  #enqueue(event: AuditEvent): void {
    if (this.#pending.length >= this.#maxPending) {
      if (this.#dropRunCount === 0) {
        this.#dropRunStart = event.seq;
        this.#dropTime = event.time;
      }
      this.#dropRunCount++;
      return;
    }
    this.#closeDropRun();
    this.#pending.push(event);
    const size = this.#pending.length;
    if (size >= this.#flushThreshold) this.#schedule(true);
    else if (size === 1) this.#schedule(false);
  }

  /** Queues the `dropped` record for the current run of dropped events, if any. */
  #closeDropRun(): void {
    if (this.#dropRunCount === 0) return;
    const gap: AuditGap = {
      kind: "dropped",
      seq: this.#dropRunStart,
      time: this.#dropTime,
      count: this.#dropRunCount,
      prev: undefined,
      hash: undefined,
    };
    this.#dropRunCount = 0;
    this.#pending.push(gap);
  }

  #schedule(immediate: boolean): void {
    if (this.#timer !== undefined) {
      if (!immediate || this.#timerIsImmediate) return;
      clearTimeout(this.#timer);
    }
    this.#timerIsImmediate = immediate;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // A background failure is kept and rethrown by the next flush() or close().
      this.flush().catch((err) => this.#backgroundError ??= err);
    }, immediate ? 0 : this.#flushIntervalMs);
  }

  async #flushNow(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#closeDropRun();
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length > 0) {
      const { lines, head } = sealRecords(batch, this.#head);
      this.#head = head;
      const last = batch[batch.length - 1];
      this.#lastSealedSeq = last.kind === "dropped" ? last.seq + last.count - 1 : last.seq;
      for (const state of this.#sinks) {
        for (let i = 0; i < batch.length; i++) {
          state.records.push(batch[i] as SealedAuditRecord);
          state.lines.push(lines[i]);
        }
      }
    }

    const failures: string[] = [];
    let cause: unknown = this.#backgroundError;
    this.#backgroundError = undefined;
    if (cause !== undefined) failures.push(`an earlier background flush failed: ${(cause as Error).message}`);
    for (const state of this.#sinks) {
      if (state.records.length === 0) continue;
      try {
        await state.sink.write(state.records, state.lines);
        state.records = [];
        state.lines = [];
      } catch (err) {
        cause ??= err;
        // Bounded memory: past maxPending the oldest undelivered records go (and the file's chain shows the gap).
        const excess = state.records.length - this.#maxPending;
        if (excess > 0) {
          state.records.splice(0, excess);
          state.lines.splice(0, excess);
          state.lost += excess;
        }
        const lost = state.lost > 0 ? `; ${state.lost} records could not be kept for it` : "";
        failures.push(`${(err as Error).message} (${state.records.length} records held for retry${lost})`);
      }
    }
    if (failures.length > 0) {
      throw new SandboxError("IoError", `audit sink failed: ${failures.join("; ")}`, { cause });
    }
  }
}
