/**
 * `Atomics.waitAsync` (ES2024; Node 16+, Deno), typed: it is not in this
 * project's ES2023 lib typings. The host side of the worker's mailbox and
 * host-call channel waits with it, so the host thread never blocks.
 *
 * @module
 */
type WaitAsync = (
  view: Int32Array,
  index: number,
  value: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };

export const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
