/**
 * The worker side of {@linkcode SyncWorkerClient}: answers each call by
 * writing into the caller's SharedArrayBuffer and waking it.
 *
 * @module
 */
import { workers } from "../platform/workers.ts";
import { SYNC_HEADER_BYTES, SyncSlot, SyncState } from "./sync_bridge.ts";
import type { SyncCallMessage, SyncInitMessage } from "./sync_bridge.ts";

/**
 * Serves synchronous calls in this worker with `handler`. The handler must
 * not throw; if it does, the call is answered with `onError(err)`.
 *
 * @example
 * ```ts
 * serveSyncCalls(async (payload) => new TextEncoder().encode(JSON.stringify(payload)), () => new Uint8Array());
 * ```
 */
export function serveSyncCalls(
  handler: (payload: unknown) => Promise<Uint8Array>,
  onError: (err: unknown) => Uint8Array,
): void {
  workers.onParentMessage(async (message) => {
    const msg = message as SyncInitMessage | SyncCallMessage;
    if (msg.kind === "init") {
      const ready = new Int32Array(msg.ready);
      Atomics.store(ready, 0, 1);
      Atomics.notify(ready, 0);
      return;
    }
    if (msg.kind !== "call") return;
    let answer: Uint8Array;
    try {
      answer = await handler(msg.payload);
    } catch (err) {
      answer = onError(err);
    }
    const header = new Int32Array(msg.buffer, 0, 4);
    const room = msg.buffer.byteLength - SYNC_HEADER_BYTES;
    let state: number = SyncState.answered;
    if (answer.byteLength > room) {
      state = SyncState.tooLarge;
    } else {
      new Uint8Array(msg.buffer, SYNC_HEADER_BYTES, answer.byteLength).set(answer);
      Atomics.store(header, SyncSlot.length, answer.byteLength);
    }
    Atomics.store(header, SyncSlot.seq, msg.seq);
    Atomics.store(header, SyncSlot.state, state);
    Atomics.notify(header, SyncSlot.state);
  });
}
