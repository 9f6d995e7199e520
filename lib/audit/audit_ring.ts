/**
 * The bounded in-memory ring that keeps the most recent audit events. Adding
 * is one array store; when full, the oldest event is overwritten and counted
 * as dropped, so a reader always learns that history is missing.
 *
 * @module
 */
import type { AuditEvent } from "./audit_event.ts";

/** Retained events (oldest first) and how many were pushed out of the ring. */
export interface AuditSnapshot {
  events: AuditEvent[];
  dropped: number;
}

/** A fixed-capacity ring of {@linkcode AuditEvent}s. */
export class AuditRing {
  readonly #slots: (AuditEvent | undefined)[];
  #next = 0;
  #size = 0;
  #dropped = 0;

  /** @param capacity how many events to keep; at least 1. */
  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`audit ring capacity must be a positive integer, got ${capacity}`);
    }
    this.#slots = new Array(capacity).fill(undefined);
  }

  /** How many events the ring keeps at most. */
  get capacity(): number {
    return this.#slots.length;
  }

  /** Stores `event`, overwriting (and counting) the oldest when full. */
  push(event: AuditEvent): void {
    this.#slots[this.#next] = event;
    this.#next = this.#next + 1 === this.#slots.length ? 0 : this.#next + 1;
    if (this.#size === this.#slots.length) this.#dropped++;
    else this.#size++;
  }

  /** The retained events, oldest first, and the count of those overwritten. */
  snapshot(): AuditSnapshot {
    const events: AuditEvent[] = [];
    const start = (this.#next - this.#size + this.#slots.length) % this.#slots.length;
    for (let i = 0; i < this.#size; i++) events.push(this.#slots[(start + i) % this.#slots.length]!);
    return { events, dropped: this.#dropped };
  }
}
