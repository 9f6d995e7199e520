/**
 * Guest-memory access for WASI host functions, on top of the project's one
 * bounds-checked helper ({@linkcode GuestMemory}). Every pointer and length is
 * hostile: an out-of-bounds range becomes errno FAULT, a malformed string
 * errno INVAL/ILSEQ, and nothing here throws anything but a `WasiErrno`.
 *
 * @module
 */
import { GuestMemory } from "../memory/guest_memory.ts";
import { defs } from "./_defs.ts";
import { WasiErrno } from "./_errno.ts";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The longest path (in bytes) the guest may pass; longer is NAMETOOLONG. */
export const MAX_PATH_BYTES = 4096;

/** Little-endian scalar and byte access to guest memory, failing with FAULT. */
export class AbiMemory {
  readonly #memory: GuestMemory;

  constructor(resolve: () => WebAssembly.Memory | undefined) {
    this.#memory = new GuestMemory(resolve);
  }

  /** A DataView over `[ptr, ptr + len)`, valid until the guest runs again. */
  dataView(ptr: number, len: number): DataView {
    const bytes = this.bytes(ptr, len);
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** A live view of `[ptr, ptr + len)`; FAULT when outside memory. */
  bytes(ptr: number, len: number): Uint8Array {
    try {
      return this.#memory.view(ptr >>> 0, len >>> 0);
    } catch {
      throw new WasiErrno(defs.ERRNO_FAULT, `range at ${ptr >>> 0} (+${len >>> 0}) is outside guest memory`);
    }
  }

  /** Copies `data` to `ptr`, all or nothing. */
  write(ptr: number, data: Uint8Array): void {
    this.bytes(ptr, data.byteLength).set(data);
  }

  u8(ptr: number): number {
    return this.dataView(ptr, 1).getUint8(0);
  }
  u16(ptr: number): number {
    return this.dataView(ptr, 2).getUint16(0, true);
  }
  u32(ptr: number): number {
    return this.dataView(ptr, 4).getUint32(0, true);
  }
  u64(ptr: number): bigint {
    return this.dataView(ptr, 8).getBigUint64(0, true);
  }
  setU32(ptr: number, value: number): void {
    this.dataView(ptr, 4).setUint32(0, value >>> 0, true);
  }
  setU64(ptr: number, value: bigint): void {
    this.dataView(ptr, 8).setBigUint64(0, BigInt.asUintN(64, value), true);
  }

  /**
   * Reads a path argument: strict UTF-8, no NUL byte, at most
   * {@linkcode MAX_PATH_BYTES}. Invalid UTF-8 is ILSEQ, NUL is INVAL.
   */
  path(ptr: number, len: number): string {
    const length = len >>> 0;
    if (length > MAX_PATH_BYTES) throw new WasiErrno(defs.ERRNO_NAMETOOLONG);
    const raw = this.bytes(ptr, length);
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
    const table = this.dataView(ptr, n * 8);
    const out: Array<[number, number]> = [];
    for (let i = 0; i < n; i++) {
      const buf = table.getUint32(i * 8, true);
      const len = table.getUint32(i * 8 + 4, true);
      this.bytes(buf, len); // bounds check now so a bad iovec fails before any side effect
      out.push([buf, len]);
    }
    return out;
  }
}
