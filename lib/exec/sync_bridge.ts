/**
 * Synchronous calls into a helper worker. The calling thread posts a
 * request and sleeps in `Atomics.wait` (no busy-wait) on a SharedArrayBuffer
 * until the worker has written its answer there, or a hard deadline passes.
 * One code path on Node and Deno. The worker is unref'd, so an idle one
 * never keeps the process alive and is simply kept for the next call.
 *
 * Buffer layout: Int32 `state` (0 pending, 1 answered, 2 answer too large),
 * Int32 `seq`, Int32 `length`, Int32 reserved, then `length` answer bytes.
 *
 * @module
 */
import { workers } from "../platform/workers.ts";
import type { HostWorker, WorkerAdapter } from "../platform/types.ts";

/** Bytes before the answer in a call buffer. */
export const SYNC_HEADER_BYTES = 16;
/** Header slots. */
export const SyncSlot = { state: 0, seq: 1, length: 2 } as const;
/** Values of the state slot. */
export const SyncState = { pending: 0, answered: 1, tooLarge: 2 } as const;

/** The message a sync worker receives. */
export interface SyncCallMessage {
  kind: "call";
  seq: number;
  buffer: SharedArrayBuffer;
  payload: unknown;
}

/** The first message a sync worker receives: it sets `ready[0]` to 1. */
export interface SyncInitMessage {
  kind: "init";
  ready: SharedArrayBuffer;
}

/** The answer to a synchronous call. */
export type SyncCallResult =
  | { ok: true; bytes: Uint8Array }
  | { ok: false; reason: "deadline" | "too-large" | "failed"; message: string };

/** Tuning for {@linkcode SyncWorkerClient}. */
export interface SyncWorkerOptions {
  /** Extra time allowed while the worker has not started yet (module loading). */
  startupAllowanceMs?: number;
  /** The adapter to start workers with (tests may pass their own). */
  adapter?: WorkerAdapter;
}

interface LiveWorker {
  worker: HostWorker;
  ready: Int32Array;
  failure: string | undefined;
  buffer: SharedArrayBuffer | undefined;
}

/**
 * A lazily started, reused worker answering synchronous calls.
 *
 * @example
 * ```ts
 * const client = new SyncWorkerClient(new URL("./job_worker.js", import.meta.url));
 * const result = client.call({ n: 1 }, 1024, 1000);
 * ```
 */
export class SyncWorkerClient {
  readonly #url: URL;
  readonly #startupAllowanceMs: number;
  readonly #adapter: WorkerAdapter;
  #live: LiveWorker | undefined;
  #seq = 0;

  constructor(url: URL, options: SyncWorkerOptions = {}) {
    this.#url = url;
    this.#startupAllowanceMs = options.startupAllowanceMs ?? 30_000;
    this.#adapter = options.adapter ?? workers;
  }

  #start(): LiveWorker {
    const ready = new Int32Array(new SharedArrayBuffer(4));
    const live: LiveWorker = { worker: undefined as unknown as HostWorker, ready, failure: undefined, buffer: undefined };
    live.worker = this.#adapter.start(this.#url, (reason) => {
      live.failure ??= reason;
    });
    const init: SyncInitMessage = { kind: "init", ready: ready.buffer as SharedArrayBuffer };
    live.worker.postMessage(init);
    return live;
  }

  #discard(): void {
    this.#live?.worker.terminate();
    this.#live = undefined;
  }

  /**
   * Posts `payload` and blocks until the worker answers with at most
   * `capacity` bytes, or until `timeoutMs` (plus a start-up allowance while
   * the worker is still loading) has passed. Never throws for worker
   * trouble: a dead or late worker is discarded and reported in the result.
   */
  call(payload: unknown, capacity: number, timeoutMs: number): SyncCallResult {
    if (this.#live?.failure !== undefined) this.#discard();
    const live = (this.#live ??= this.#start());
    const needed = SYNC_HEADER_BYTES + capacity;
    if (live.buffer === undefined || live.buffer.byteLength < needed) live.buffer = new SharedArrayBuffer(needed);
    const header = new Int32Array(live.buffer, 0, 4);
    Atomics.store(header, SyncSlot.state, SyncState.pending);
    const seq = (this.#seq = (this.#seq + 1) | 0);
    const message: SyncCallMessage = { kind: "call", seq, buffer: live.buffer, payload };
    live.worker.postMessage(message);

    const allowance = Atomics.load(live.ready, 0) === 1 ? 0 : this.#startupAllowanceMs;
    const deadline = performance.now() + timeoutMs + allowance;
    for (;;) {
      const state = Atomics.load(header, SyncSlot.state);
      if (state !== SyncState.pending && Atomics.load(header, SyncSlot.seq) === seq) {
        if (state === SyncState.tooLarge) return { ok: false, reason: "too-large", message: "the worker's answer did not fit" };
        const length = Atomics.load(header, SyncSlot.length);
        return { ok: true, bytes: new Uint8Array(live.buffer, SYNC_HEADER_BYTES, length).slice() };
      }
      const remaining = deadline - performance.now();
      if (remaining <= 0) break;
      Atomics.wait(header, SyncSlot.state, state, remaining);
    }
    // Late or dead: never wait on it again.
    const failure = live.failure;
    this.#discard();
    return failure === undefined
      ? { ok: false, reason: "deadline", message: `the worker did not answer within ${timeoutMs + allowance} ms` }
      : { ok: false, reason: "failed", message: failure };
  }

  /** Terminates the worker now; the next call starts a new one. */
  close(): void {
    this.#discard();
  }
}
