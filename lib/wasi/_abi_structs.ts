/**
 * Encoders for the preview1 structs the host writes into guest memory, with
 * the layouts from the witx definitions (all little-endian).
 *
 * @module
 */
import type { AbiMemory } from "./_abi_memory.ts";
import type { FileStat } from "./fs_ops.ts";

/** `filestat`: 64 bytes. */
export function writeFilestat(mem: AbiMemory, ptr: number, stat: FileStat): void {
  const view = mem.outputView(ptr, 64);
  view.setBigUint64(0, stat.dev, true);
  view.setBigUint64(8, stat.ino, true);
  view.setUint8(16, stat.filetype);
  for (let i = 17; i < 24; i++) view.setUint8(i, 0);
  view.setBigUint64(24, stat.nlink, true);
  view.setBigUint64(32, stat.size, true);
  view.setBigUint64(40, BigInt.asUintN(64, stat.atim), true);
  view.setBigUint64(48, BigInt.asUintN(64, stat.mtim), true);
  view.setBigUint64(56, BigInt.asUintN(64, stat.ctim), true);
}

/** `fdstat`: 24 bytes. */
export function writeFdstat(
  mem: AbiMemory,
  ptr: number,
  fdstat: { filetype: number; flags: number; rightsBase: bigint; rightsInheriting: bigint },
): void {
  const view = mem.outputView(ptr, 24);
  view.setUint8(0, fdstat.filetype);
  view.setUint8(1, 0);
  view.setUint16(2, fdstat.flags, true);
  view.setUint32(4, 0, true);
  view.setBigUint64(8, fdstat.rightsBase, true);
  view.setBigUint64(16, fdstat.rightsInheriting, true);
}

/** One `subscription` (48 bytes) as read from the guest. */
export interface Subscription {
  userdata: bigint;
  tag: number;
  /** Clock subscriptions. */
  clockId: number;
  timeout: bigint;
  flags: number;
  /** fd_read / fd_write subscriptions. */
  fd: number;
}

/** Size of one `subscription`. */
export const SUBSCRIPTION_BYTES = 48;
/** Size of one `event`. */
export const EVENT_BYTES = 32;

/** Reads the `index`-th subscription of the array at `ptr`. */
export function readSubscription(mem: AbiMemory, ptr: number, index: number): Subscription {
  const view = mem.inputView(ptr + index * SUBSCRIPTION_BYTES, SUBSCRIPTION_BYTES);
  return {
    userdata: view.getBigUint64(0, true),
    tag: view.getUint8(8),
    clockId: view.getUint32(16, true),
    timeout: view.getBigUint64(24, true),
    flags: view.getUint16(40, true),
    fd: view.getUint32(16, true),
  };
}

/** One `event` to report. */
export interface PollEvent {
  userdata: bigint;
  error: number;
  type: number;
  nbytes: bigint;
  flags: number;
}

/** Writes `event` as the `index`-th entry of the array at `ptr`. */
export function writeEvent(mem: AbiMemory, ptr: number, index: number, event: PollEvent): void {
  const view = mem.outputView(ptr + index * EVENT_BYTES, EVENT_BYTES);
  view.setBigUint64(0, event.userdata, true);
  view.setUint16(8, event.error, true);
  view.setUint8(10, event.type);
  for (let i = 11; i < 16; i++) view.setUint8(i, 0);
  view.setBigUint64(16, event.nbytes, true);
  view.setUint16(24, event.flags, true);
  for (let i = 26; i < 32; i++) view.setUint8(i, 0);
}
