/**
 * A one-way message channel from an isolation worker to the host over a
 * SharedArrayBuffer: the worker writes a chunk and sleeps in `Atomics.wait`
 * until the host has taken it; the host, idle on its event loop, is woken by
 * `Atomics.waitAsync`. The worker adapter only carries host → worker
 * messages, so the way back lives here. Messages larger than the buffer go
 * in several chunks.
 *
 * Layout: Int32 `state` (0 empty, 1 full, 2 closed), Int32 `length`,
 * Int32 `final` (1 on a message's last chunk), Int32 reserved, then the data.
 *
 * @module
 */
import { concatBytes } from "../memory/concat_bytes.ts";
import { waitAsync } from "./wait_async.ts";

/** Bytes before the data in a mailbox buffer. */
export const MAILBOX_HEADER_BYTES = 16;

const STATE = 0, LENGTH = 1, FINAL = 2;
const EMPTY = 0, FULL = 1, CLOSED = 2;


/**
 * Allocates a mailbox buffer with `capacity` data bytes.
 *
 * @example
 * ```ts
 * const buffer = createMailbox(64 * 1024);
 * ```
 */
export function createMailbox(capacity: number): SharedArrayBuffer {
  return new SharedArrayBuffer(MAILBOX_HEADER_BYTES + capacity);
}

/**
 * Worker side: sends `message` (bytes), blocking while the host has not taken
 * the previous chunk. Returns false when the host closed the mailbox.
 *
 * @example
 * ```ts
 * sendToHost(buffer, new Uint8Array([1, 2, 3]));
 * ```
 */
export function sendToHost(buffer: SharedArrayBuffer, message: Uint8Array): boolean {
  const header = new Int32Array(buffer, 0, 4);
  const room = buffer.byteLength - MAILBOX_HEADER_BYTES;
  let offset = 0;
  do {
    for (;;) {
      const state = Atomics.load(header, STATE);
      if (state === EMPTY) break;
      if (state === CLOSED) return false;
      Atomics.wait(header, STATE, state);
    }
    const length = Math.min(room, message.byteLength - offset);
    new Uint8Array(buffer, MAILBOX_HEADER_BYTES, length).set(message.subarray(offset, offset + length));
    offset += length;
    Atomics.store(header, LENGTH, length);
    Atomics.store(header, FINAL, offset === message.byteLength ? 1 : 0);
    Atomics.store(header, STATE, FULL);
    Atomics.notify(header, STATE);
  } while (offset < message.byteLength);
  return true;
}

/**
 * Host side: receives whole messages from the worker and hands each to
 * `onMessage`, without blocking the host thread, until `close()`. A pending
 * receive does not keep the process alive.
 *
 * @example
 * ```ts
 * const receiver = new MailboxReceiver(buffer, (bytes) => console.log(bytes.byteLength));
 * receiver.close();
 * ```
 */
export class MailboxReceiver {
  readonly #header: Int32Array;
  readonly #buffer: SharedArrayBuffer;
  readonly #onMessage: (message: Uint8Array) => void;
  #parts: Uint8Array[] = [];
  #closed = false;

  constructor(buffer: SharedArrayBuffer, onMessage: (message: Uint8Array) => void) {
    this.#buffer = buffer;
    this.#header = new Int32Array(buffer, 0, 4);
    this.#onMessage = onMessage;
    void this.#pump();
  }

  async #pump(): Promise<void> {
    while (!this.#closed) {
      const state = Atomics.load(this.#header, STATE);
      if (state !== FULL) {
        const waited = waitAsync(this.#header, STATE, state);
        if (waited.async) await waited.value;
        continue;
      }
      const length = Atomics.load(this.#header, LENGTH);
      this.#parts.push(new Uint8Array(this.#buffer, MAILBOX_HEADER_BYTES, length).slice());
      const final = Atomics.load(this.#header, FINAL) === 1;
      Atomics.store(this.#header, STATE, EMPTY);
      Atomics.notify(this.#header, STATE);
      if (!final) continue;
      // The parts are copies already: a single one is the message as it is.
      const message = this.#parts.length === 1 ? this.#parts[0]! : concatBytes(this.#parts);
      this.#parts = [];
      // A throwing handler must not stop the channel.
      try {
        this.#onMessage(message);
      } catch {
        // The handler reports its own failures.
      }
    }
  }

  /** Stops receiving; a worker blocked in `sendToHost` is released. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    Atomics.store(this.#header, STATE, CLOSED);
    Atomics.notify(this.#header, STATE);
  }
}
