/**
 * Per-sandbox filesystem bookkeeping: the byte quota shared by every preopen,
 * inode numbers, and the clock used for timestamps.
 *
 * @module
 */
import { defs } from "./_defs.ts";
import { WasiErrno } from "./_errno.ts";
import type { VirtualNode } from "./vfs.ts";
import type { WasiClock } from "./clocks.ts";

/** Quota, inode numbering and time for one sandbox's virtual filesystem. */
export class FsContext {
  /** Upper bound on bytes held by the virtual filesystem. */
  readonly quotaBytes: number;
  /** Bytes currently charged. */
  usedBytes = 0;
  readonly clock: WasiClock;
  readonly #inodes = new WeakMap<VirtualNode, bigint>();
  #nextIno = 1n;

  constructor(quotaBytes: number, clock: WasiClock) {
    this.quotaBytes = quotaBytes;
    this.clock = clock;
  }

  /** Reserves `bytes` of quota, or fails with NOSPC and reserves nothing. */
  charge(bytes: number): void {
    if (bytes <= 0) return;
    if (this.usedBytes + bytes > this.quotaBytes) {
      throw new WasiErrno(defs.ERRNO_NOSPC, "virtual filesystem quota exhausted");
    }
    this.usedBytes += bytes;
  }

  /** Returns `bytes` of quota. */
  refund(bytes: number): void {
    this.usedBytes = Math.max(0, this.usedBytes - Math.max(0, bytes));
  }

  /** The node's inode number, assigned on first use in a stable order. */
  ino(node: VirtualNode): bigint {
    let ino = this.#inodes.get(node);
    if (ino === undefined) {
      ino = this.#nextIno++;
      this.#inodes.set(node, ino);
    }
    return ino;
  }

  /** Current wall-clock time for timestamps, in ns. */
  now(): bigint {
    return this.clock.realtimeNs();
  }
}
