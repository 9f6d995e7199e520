/**
 * The audit log: one event per host call, WASI included, allowed or denied.
 *
 * {@linkcode AuditLog.record} runs on every host call, so it only numbers and
 * timestamps the event, stores it in the ring and queues it: no hashing, no
 * JSON, no I/O, one allocation (the event). The hash chain is computed when
 * records are flushed to sinks — by {@linkcode AuditLog.flush}, by a timer
 * armed on the first queued record, when the queue reaches a threshold, and by
 * {@linkcode AuditLog.close}.
 *
 * Nothing is lost: a guest running synchronously never lets the timer fire,
 * so before each host call the bridge asks {@linkcode AuditLog.admit}. When
 * `maxPending` records are waiting, the log writes them synchronously to
 * every sink that can take them so (the guest waits); a backlog it cannot
 * write that way gets host calls refused (denied and recorded), and past
 * twice `maxPending` the guest is stopped. After `close()` every call is
 * stopped before it runs. The ring counts what it overwrites, and a failing
 * sink makes the flush reject.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import type { AuditEvent, AuditEventInput, AuditRecord, SealedAuditRecord } from "./audit_event.ts";
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
  /**
   * Records waiting for a sink before host calls wait for a synchronous write
   * (default 100 000). A sink that cannot take them synchronously gets further
   * host calls refused, and past twice this many the guest is stopped (`IoError`).
   */
  maxPending?: number;
  /** Continue an existing chain (see `readAuditTail`) instead of starting at seq 1 from the genesis hash. */
  resumeFrom?: AuditChainHead;
  /** Milliseconds since the epoch; `Date.now` unless a test fixes the clock. */
  now?: () => number;
}

/**
 * The answer to {@linkcode AuditLog.admit}: undefined lets a host call run;
 * `"refuse"` answers it as denied (and records that); an error stops the
 * guest without running it (see lib/host/guest_control.ts).
 */
export type AuditAdmission = undefined | "refuse" | SandboxError;

/** A sink plus the sealed records it has not accepted yet. */
interface SinkState {
  sink: AuditSink;
  records: SealedAuditRecord[];
  lines: string[];
  /** An asynchronous write to this sink is in flight: nothing else may be written to it meanwhile. */
  busy: boolean;
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
  #lastSealedSeq = 0;
  #pending: AuditRecord[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  #timerIsImmediate = false;
  #flushChain: Promise<void> = Promise.resolve();
  #backgroundError: unknown = undefined;
  #closed = false;

  constructor(options: AuditLogOptions = {}) {
    const ringCapacity = positiveInteger("ringCapacity", options.ringCapacity, 10_000, 0);
    this.#ring = ringCapacity > 0 ? new AuditRing(ringCapacity) : undefined;
    this.#sinks = (options.sinks ?? []).map((sink) => ({ sink, records: [], lines: [], busy: false }));
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
    this.#lastSealedSeq = this.#seq;
  }

  /**
   * Gets every sink ready to take records synchronously (opens files).
   * The runtime awaits it before running a guest; rejects with the sink's error.
   */
  async ready(): Promise<void> {
    await Promise.all(this.#sinks.map((state) => state.sink.ready?.()));
  }

  /**
   * Asked by the bridge before each host call runs (so it must be cheap).
   * Undefined: go ahead. When `maxPending` records wait, they are first
   * written synchronously to every sink that can take them (the guest waits).
   * `"refuse"`: a sink cannot keep up; answer the call as denied. An error:
   * stop the guest without running the call — `InvalidState` after
   * {@linkcode close}, `IoError` when the backlog reaches twice `maxPending`.
   */
  admit(): AuditAdmission {
    if (this.#closed) return closedError();
    if (this.#backlog() < this.#maxPending) return undefined;
    this.#deliverSync();
    const backlog = this.#backlog();
    if (backlog < this.#maxPending) return undefined;
    if (backlog < 2 * this.#maxPending) return "refuse";
    const cause = this.#backgroundError;
    const why = cause === undefined ? "a sink cannot take records synchronously" : `a sink failed: ${(cause as Error).message}`;
    return new SandboxError(
      "IoError",
      `${backlog} audit records are waiting for a sink (${why}); host calls cannot be audited, so the guest was stopped`,
      { cause },
    );
  }

  /**
   * Records one host call and returns the stored event. Cheap enough for
   * every host call. Throws `InvalidState` after {@linkcode close}: a call
   * that cannot be audited must not pass unnoticed.
   */
  record(input: AuditEventInput): AuditEvent {
    if (this.#closed) throw closedError();
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
      ...(input.reason === undefined ? {} : { reason: input.reason }),
      ...(input.detail === undefined ? {} : { detail: input.detail }),
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

  /** Records not yet accepted by every sink: queued (unsealed) plus the largest sink backlog. */
  get pending(): number {
    return this.#backlog();
  }

  /** The chain head: the last sealed record's seq and hash (the genesis hash before any). */
  get head(): AuditChainHead {
    return { seq: this.#lastSealedSeq, hash: this.#head };
  }

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
    this.#pending.push(event);
    const size = this.#pending.length;
    if (size >= this.#flushThreshold) this.#schedule(true);
    else if (size === 1) this.#schedule(false);
  }

  /** Records some sink has not accepted yet (a plain loop: it runs before every host call). */
  #backlog(): number {
    let most = 0;
    for (let i = 0; i < this.#sinks.length; i++) most = Math.max(most, this.#sinks[i].records.length);
    return this.#pending.length + most;
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

  /** Seals the queue into the chain and hands the records to every sink's backlog. */
  #seal(): void {
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    const { lines, head } = sealRecords(batch, this.#head);
    this.#head = head;
    this.#lastSealedSeq = batch[batch.length - 1].seq;
    for (const state of this.#sinks) {
      for (let i = 0; i < batch.length; i++) {
        state.records.push(batch[i] as SealedAuditRecord);
        state.lines.push(lines[i]);
      }
    }
  }

  /**
   * Writes the backlog of `state` synchronously when its sink can take it now.
   * Returns false when it cannot (no `writeSync`, not ready, an asynchronous
   * write in flight); a failure is kept for the next flush() and also leaves
   * the records for a retry.
   */
  #writeSync(state: SinkState): boolean {
    if (state.records.length === 0) return true;
    if (state.busy || state.sink.writeSync === undefined) return false;
    try {
      if (!state.sink.writeSync(state.records, state.lines)) return false;
    } catch (err) {
      this.#backgroundError ??= err;
      return false;
    }
    state.records = [];
    state.lines = [];
    return true;
  }

  /** Seals and writes synchronously to every sink that can take records so (see {@linkcode admit}). */
  #deliverSync(): void {
    this.#seal();
    for (const state of this.#sinks) this.#writeSync(state);
  }

  async #flushNow(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#seal();
    const failures: string[] = [];
    let cause: unknown = this.#backgroundError;
    this.#backgroundError = undefined;
    if (cause !== undefined) failures.push(`an earlier write failed: ${(cause as Error).message}`);
    for (const state of this.#sinks) {
      if (this.#writeSync(state)) continue;
      // A synchronous attempt that failed has just set #backgroundError: report it here instead.
      if (this.#backgroundError !== undefined) {
        const err = this.#backgroundError;
        this.#backgroundError = undefined;
        cause ??= err;
        failures.push(`${(err as Error).message} (${state.records.length} records held for retry)`);
        continue;
      }
      // Taken out while in flight: a synchronous flush meanwhile queues behind it and never overtakes it.
      const records = state.records, lines = state.lines;
      state.records = [];
      state.lines = [];
      state.busy = true;
      try {
        await state.sink.write(records, lines);
      } catch (err) {
        state.records = records.concat(state.records);
        state.lines = lines.concat(state.lines);
        cause ??= err;
        failures.push(`${(err as Error).message} (${state.records.length} records held for retry)`);
      } finally {
        state.busy = false;
      }
    }
    if (failures.length > 0) {
      throw new SandboxError("IoError", `audit sink failed: ${failures.join("; ")}`, { cause });
    }
  }
}

function closedError(): SandboxError {
  return new SandboxError("InvalidState", "the audit log is closed; host calls can no longer be recorded");
}
