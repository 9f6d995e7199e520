/**
 * Guest-memory access for WASI host functions, on top of the project's one
 * bounds-checked helper ({@linkcode GuestMemory}). Every pointer and length is
 * hostile: an out-of-bounds range becomes errno FAULT, a malformed string
 * errno INVAL/ILSEQ, and nothing here throws anything but a `WasiErrno`.
 *
 * @module
 */
import type { GuestMemory } from "../memory/guest_memory.ts";
import { defs } from "./_defs.ts";
import { WasiErrno } from "./_errno.ts";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The longest path (in bytes) the guest may pass; longer is NAMETOOLONG. */
export const MAX_PATH_BYTES = 4096;

/**
 * Little-endian scalar and byte access to guest memory, failing with FAULT.
 * Reads and writes go through the sandbox's {@linkcode GuestMemory}, which
 * counts them for the audit record and the per-byte fuel charge; `check`
 * only tests a range and counts nothing.
 */
export class AbiMemory {
  #memory: GuestMemory;

  constructor(memory: GuestMemory) {
    this.#memory = memory;
  }

  /** Reaches the guest through `memory` from now on (the sandbox's own, whose counts the bridge records). */
  use(memory: GuestMemory): void {
    this.#memory = memory;
  }

  /** FAULT unless `[ptr, ptr + len)` lies inside memory (a check before any side effect). */
  check(ptr: number, len: number): void {
    this.#guard(ptr, len, () => this.#memory.check(ptr >>> 0, len >>> 0));
  }

  /** A live view of `[ptr, ptr + len)` the host reads from; valid until the guest runs again. */
  input(ptr: number, len: number): Uint8Array {
    return this.#guard(ptr, len, () => this.#memory.view(ptr >>> 0, len >>> 0));
  }

  /** A live view of `[ptr, ptr + len)` the host fills; valid until the guest runs again. */
  output(ptr: number, len: number): Uint8Array {
    return this.#guard(ptr, len, () => this.#memory.writableView(ptr >>> 0, len >>> 0));
  }

  /** Copies `data` to `ptr`, all or nothing. */
  write(ptr: number, data: Uint8Array): void {
    this.output(ptr, data.byteLength).set(data);
  }

  u8(ptr: number): number {
    return this.inputView(ptr, 1).getUint8(0);
  }
  u16(ptr: number): number {
    return this.inputView(ptr, 2).getUint16(0, true);
  }
  u32(ptr: number): number {
    return this.inputView(ptr, 4).getUint32(0, true);
  }
  u64(ptr: number): bigint {
    return this.inputView(ptr, 8).getBigUint64(0, true);
  }
  setU32(ptr: number, value: number): void {
    this.outputView(ptr, 4).setUint32(0, value >>> 0, true);
  }
  setU64(ptr: number, value: bigint): void {
    this.outputView(ptr, 8).setBigUint64(0, BigInt.asUintN(64, value), true);
  }

  /** A DataView of `[ptr, ptr + len)` the host reads from. */
  inputView(ptr: number, len: number): DataView {
    const bytes = this.input(ptr, len);
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** A DataView of `[ptr, ptr + len)` the host fills. */
  outputView(ptr: number, len: number): DataView {
    const bytes = this.output(ptr, len);
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  #guard<T>(ptr: number, len: number, access: () => T): T {
    try {
      return access();
    } catch {
      throw new WasiErrno(defs.ERRNO_FAULT, `range at ${ptr >>> 0} (+${len >>> 0}) is outside guest memory`);
    }
  }

  /**
   * Reads a path argument: strict UTF-8, no NUL byte, at most
   * {@linkcode MAX_PATH_BYTES}. Invalid UTF-8 is ILSEQ, NUL is INVAL.
   */
  path(ptr: number, len: number): string {
    const length = len >>> 0;
    if (length > MAX_PATH_BYTES) throw new WasiErrno(defs.ERRNO_NAMETOOLONG);
    const raw = this.input(ptr, length);
    if (raw.includes(0)) throw new WasiErrno(defs.ERRNO_INVAL, "path contains a NUL byte");
    try {
      return strictUtf8.decode(raw);
    } catch {
      throw new WasiErrno(defs.ERRNO_ILSEQ, "path is not valid UTF-8");
    }
  }

  /**
   * Reads an iovec array (`{buf: u32, buf_len: u32}[count]`) into
   * `[ptr, len]` pairs, checking each buffer lies inside memory.
   */
  iovecs(ptr: number, count: number): Array<[number, number]> {
    const n = count >>> 0;
    if (n > 1024) throw new WasiErrno(defs.ERRNO_INVAL, "more than IOV_MAX iovecs");
    const table = this.inputView(ptr, n * 8);
    const out: Array<[number, number]> = [];
    for (let i = 0; i < n; i++) {
      const buf = table.getUint32(i * 8, true);
      const len = table.getUint32(i * 8 + 4, true);
      this.check(buf, len); // now, so a bad iovec fails before any side effect
      out.push([buf, len]);
    }
    return out;
  }
}
