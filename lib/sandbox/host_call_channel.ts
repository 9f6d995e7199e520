/**
 * Host calls of a worker-isolated guest, over one SharedArrayBuffer: the
 * worker writes the import's index and arguments and sleeps in
 * `Atomics.wait`; the host, idle on its event loop, is woken by
 * `Atomics.waitAsync`, runs the host function (which may be async) against
 * the guest's shared memory, writes the result and wakes the worker.
 *
 * The host never waits for the worker: it only answers. A worker that stops
 * answering (a spinning guest) is terminated by the executor's deadline.
 *
 * Layout (bytes): Int32 `state` at 0, Int32 `index` at 4, Int32 `outcome` at
 * 8, Int32 reserved at 12, BigInt64 `fuelCharged` at 16, then one 8-byte
 * slot per argument (Float64 for i32/f32/f64, BigInt64 for i64); the result
 * goes in slot 0.
 *
 * @module
 */
import type { ValType } from "../wasm/module_summary.ts";
import { waitAsync } from "./wait_async.ts";

const STATE = 0, INDEX = 1, OUTCOME = 2;
const FUEL_SLOT = 2; // BigInt64 index of byte 16
const SLOTS_AT = 24;
/** Most parameters a forwarded import may have (WASI's path_open has 9). */
export const MAX_HOST_CALL_PARAMS = 16;
const CHANNEL_BYTES = SLOTS_AT + 8 * MAX_HOST_CALL_PARAMS;

const IDLE = 0, REQUEST = 1, RESPONSE = 2;

/** How a host call ended, as the worker must act on it. */
export const HostCallOutcome = {
  /** The result is in slot 0 (or there is none). */
  Value: 0,
  /** The host imposed a stop (exit, timeout, audit closed...): trap, uncatchably. */
  Stop: 1,
} as const;

/** The numeric wasm types a forwarded import may use. */
export type NumericType = "i32" | "i64" | "f32" | "f64";

/** An import's signature as the channel encodes it. */
export interface ChannelSignature {
  params: readonly NumericType[];
  results: readonly NumericType[];
}

/** Checks that `type` can cross the channel; returns it narrowed, or undefined. */
export function channelSignature(type: { params: readonly ValType[]; results: readonly ValType[] }): ChannelSignature | undefined {
  const numeric = (t: ValType): t is NumericType => t === "i32" || t === "i64" || t === "f32" || t === "f64";
  if (type.params.length > MAX_HOST_CALL_PARAMS || type.results.length > 1) return undefined;
  if (!type.params.every(numeric) || !type.results.every(numeric)) return undefined;
  return type as ChannelSignature;
}

/** A new channel buffer. */
export function createHostCallChannel(): SharedArrayBuffer {
  return new SharedArrayBuffer(CHANNEL_BYTES);
}

/** Views over one channel buffer. */
class ChannelViews {
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly i64: BigInt64Array;
  constructor(buffer: SharedArrayBuffer) {
    this.i32 = new Int32Array(buffer, 0, SLOTS_AT / 4);
    this.f64 = new Float64Array(buffer, SLOTS_AT, MAX_HOST_CALL_PARAMS);
    this.i64 = new BigInt64Array(buffer, 0, CHANNEL_BYTES / 8);
  }
  put(slot: number, type: NumericType, value: unknown): void {
    if (type === "i64") this.i64[SLOTS_AT / 8 + slot] = BigInt.asIntN(64, value as bigint);
    else this.f64[slot] = value as number;
  }
  take(slot: number, type: NumericType): number | bigint {
    return type === "i64" ? this.i64[SLOTS_AT / 8 + slot] : this.f64[slot];
  }
}

/** What the worker learns from one host call. */
export interface HostCallReply {
  outcome: number;
  value: number | bigint | undefined;
  /** Fuel the host function charged for its own work. */
  fuelCharged: bigint;
}

/**
 * Worker side: calls import `index` on the host with `args` and blocks until
 * the host answers.
 */
export class HostCallClient {
  readonly #views: ChannelViews;
  constructor(buffer: SharedArrayBuffer) {
    this.#views = new ChannelViews(buffer);
  }

  call(index: number, signature: ChannelSignature, args: ArrayLike<unknown>): HostCallReply {
    const views = this.#views;
    const { i32 } = views;
    for (let i = 0; i < signature.params.length; i++) views.put(i, signature.params[i], args[i]);
    Atomics.store(i32, INDEX, index);
    Atomics.store(i32, STATE, REQUEST);
    Atomics.notify(i32, STATE);
    while (Atomics.load(i32, STATE) === REQUEST) Atomics.wait(i32, STATE, REQUEST);
    const outcome = Atomics.load(i32, OUTCOME);
    const result = signature.results[0];
    const value = outcome === HostCallOutcome.Value && result !== undefined ? views.take(0, result) : undefined;
    const fuelCharged = views.i64[FUEL_SLOT];
    Atomics.store(i32, STATE, IDLE);
    return { outcome, value, fuelCharged };
  }
}

/** The host's answer to one call. */
export interface HostCallAnswer {
  outcome: number;
  value?: unknown;
  fuelCharged?: bigint;
}

/** Runs import `index` with `args`; may answer later (an async host function). */
export type HostCallHandler = (index: number, args: unknown[]) => HostCallAnswer | Promise<HostCallAnswer>;


/**
 * Host side: answers the worker's host calls, one at a time, without ever
 * blocking the host thread, until `close()`. A pending wait does not keep the
 * process alive.
 */
export class HostCallServer {
  readonly #views: ChannelViews;
  readonly #signatures: readonly ChannelSignature[];
  readonly #handle: HostCallHandler;
  #closed = false;

  constructor(buffer: SharedArrayBuffer, signatures: readonly ChannelSignature[], handle: HostCallHandler) {
    this.#views = new ChannelViews(buffer);
    this.#signatures = signatures;
    this.#handle = handle;
    void this.#serve();
  }

  async #serve(): Promise<void> {
    const views = this.#views;
    const { i32 } = views;
    while (!this.#closed) {
      const state = Atomics.load(i32, STATE);
      if (state !== REQUEST) {
        // Sleeps until the worker's next notify (its next request); a wait that
        // returns at once means the state moved meanwhile, so it is read again.
        const waited = waitAsync(i32, STATE, state);
        if (waited.async) await waited.value;
        continue;
      }
      const index = Atomics.load(i32, INDEX);
      const signature = this.#signatures[index];
      const args: unknown[] = new Array(signature.params.length);
      for (let i = 0; i < args.length; i++) args[i] = views.take(i, signature.params[i]);
      let answer: HostCallAnswer;
      try {
        const pending = this.#handle(index, args);
        answer = pending instanceof Promise ? await pending : pending;
      } catch {
        // The handler contains its own failures; anything left is a stop.
        answer = { outcome: HostCallOutcome.Stop };
      }
      if (this.#closed) return;
      const result = signature.results[0];
      if (answer.outcome === HostCallOutcome.Value && result !== undefined) views.put(0, result, answer.value);
      views.i64[FUEL_SLOT] = answer.fuelCharged ?? 0n;
      Atomics.store(i32, OUTCOME, answer.outcome);
      Atomics.store(i32, STATE, RESPONSE);
      Atomics.notify(i32, STATE);
    }
  }

  /** Stops answering. */
  close(): void {
    this.#closed = true;
    Atomics.notify(this.#views.i32, STATE); // ends a pending wait, so the serving loop returns
  }
}
