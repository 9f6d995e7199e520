/**
 * The one bounds-checked way to reach a guest's linear memory. Every pointer
 * and length is treated as hostile: taken unsigned, `ptr + len` checked
 * against the current size (no overflow: JS numbers are exact to 2^53), and
 * the view re-derived whenever the buffer changed (after `memory.grow`,
 * including a grow caused by a reentrant call into the guest).
 *
 * It also counts the traffic: every byte the host reads from guest memory
 * (`bytesIn`) and writes into it (`bytesOut`), through whichever accessor.
 * The host-function bridge resets the counts around each call and records
 * them, so no host function counts by hand (docs/AUDIT.md).
 *
 * @module
 */
import { SandboxError } from "../errors.ts";

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new TextEncoder();

/** Bounds-checked access to one guest memory. */
export class GuestMemory {
  readonly #resolve: () => WebAssembly.Memory | undefined;
  #bytes: Uint8Array = new Uint8Array(0);
  #data: DataView = new DataView(this.#bytes.buffer);
  /** Bytes the host read from guest memory since the bridge last reset the count. */
  bytesIn = 0;
  /** Bytes the host wrote into guest memory since the bridge last reset the count. */
  bytesOut = 0;

  /** @param resolve returns the guest's memory (it may not exist before instantiation). */
  constructor(resolve: () => WebAssembly.Memory | undefined) {
    this.#resolve = resolve;
  }

  /** The guest's memory object itself, for layers that keep their own checked views (WASI). */
  get memoryObject(): WebAssembly.Memory | undefined {
    return this.#resolve();
  }

  /** The memory's current size in bytes (0 when the guest has no memory). */
  get byteLength(): number {
    return this.#current().byteLength;
  }

  /** Throws `InvalidArgument` unless `[ptr, ptr + len)` lies inside memory; returns the start offset. */
  check(ptr: number, len: number): number {
    const start = ptr >>> 0;
    const length = len >>> 0;
    if (start + length > this.#current().byteLength) {
      throw new SandboxError(
        "InvalidArgument",
        `guest range [${start}, ${start + length}) is outside memory of ${this.#bytes.byteLength} bytes`,
      );
    }
    return start;
  }

  /** A copy of `len` bytes at `ptr`. */
  read(ptr: number, len: number): Uint8Array {
    const start = this.check(ptr, len);
    this.bytesIn += len >>> 0;
    return this.#bytes.slice(start, start + (len >>> 0));
  }

  /**
   * A live view of `len` bytes at `ptr` for the host to read, without
   * copying (counted as read). Valid only until the guest runs again (a grow
   * detaches it); copy anything you keep.
   */
  view(ptr: number, len: number): Uint8Array {
    const start = this.check(ptr, len);
    this.bytesIn += len >>> 0;
    return this.#bytes.subarray(start, start + (len >>> 0));
  }

  /** A live view of `len` bytes at `ptr` for the host to fill (counted as written). */
  writableView(ptr: number, len: number): Uint8Array {
    const start = this.check(ptr, len);
    this.bytesOut += len >>> 0;
    return this.#bytes.subarray(start, start + (len >>> 0));
  }

  /** Writes all of `data` at `ptr`, or nothing when it does not fit. */
  write(ptr: number, data: Uint8Array): void {
    const start = this.check(ptr, data.byteLength);
    this.bytesOut += data.byteLength;
    this.#bytes.set(data, start);
  }

  /** Decodes `len` bytes at `ptr` as strict UTF-8; invalid UTF-8 is `InvalidArgument`. */
  readUtf8(ptr: number, len: number): string {
    try {
      return utf8Decoder.decode(this.view(ptr, len));
    } catch (err) {
      if (err instanceof SandboxError) throw err;
      throw new SandboxError("InvalidArgument", `guest string at ${ptr >>> 0} is not valid UTF-8`);
    }
  }

  /** Encodes `text` as UTF-8 at `ptr`; all or nothing. Returns the byte count. */
  writeUtf8(ptr: number, text: string): number {
    const bytes = utf8Encoder.encode(text);
    this.write(ptr, bytes);
    return bytes.byteLength;
  }

  // Each accessor checks first: check() may re-derive #data after a grow.
  readU32(ptr: number): number {
    const offset = this.check(ptr, 4);
    this.bytesIn += 4;
    return this.#data.getUint32(offset, true);
  }

  writeU32(ptr: number, value: number): void {
    const offset = this.check(ptr, 4);
    this.bytesOut += 4;
    this.#data.setUint32(offset, value >>> 0, true);
  }

  readF32Array(ptr: number, count: number): Float32Array {
    const bytes = this.read(ptr, (count >>> 0) * 4);
    const view = new DataView(bytes.buffer);
    const out = new Float32Array(count >>> 0);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }

  /** The current bytes, re-derived when the guest's buffer changed (grow or detach). */
  #current(): Uint8Array {
    const memory = this.#resolve();
    if (memory === undefined) {
      if (this.#bytes.byteLength !== 0) this.#setView(new Uint8Array(0));
      return this.#bytes;
    }
    const buffer = memory.buffer;
    if (this.#bytes.buffer !== buffer || this.#bytes.byteLength !== buffer.byteLength) {
      this.#setView(new Uint8Array(buffer));
    }
    return this.#bytes;
  }

  #setView(bytes: Uint8Array): void {
    this.#bytes = bytes;
    this.#data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
}
