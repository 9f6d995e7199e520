/**
 * A growable byte buffer for emitting WebAssembly binaries. It doubles its
 * storage when full, so appending is amortised O(1) and nothing is allocated
 * per instruction; unchanged byte ranges are copied in with one `set()`.
 *
 * @module
 */
import { sizeU32, writeS32, writeS64, writeU32, writeU32Padded, writeU64 } from "./leb128.ts";

const utf8 = new TextEncoder();

/**
 * Appends bytes, LEB128 integers and names.
 *
 * @example
 * ```ts
 * const writer = new WasmWriter();
 * writer.writeU8(0x41);
 * writer.writeS32(-1);
 * writer.toBytes(); // Uint8Array [0x41, 0x7f]
 * ```
 */
export class WasmWriter {
  #buffer: Uint8Array;
  /** Bytes written so far. */
  length = 0;

  constructor(initialCapacity = 1024) {
    this.#buffer = new Uint8Array(Math.max(16, initialCapacity));
  }

  /** The backing storage (valid up to `length`; replaced when it grows). */
  get buffer(): Uint8Array {
    return this.#buffer;
  }

  /** Makes room for `extra` more bytes. */
  reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.#buffer.length) return;
    let capacity = this.#buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.#buffer.subarray(0, this.length));
    this.#buffer = grown;
  }

  /** Appends one byte. */
  writeU8(byte: number): void {
    if (this.length >= this.#buffer.length) this.reserve(1);
    this.#buffer[this.length++] = byte;
  }

  /** Appends an unsigned 32-bit LEB128 integer. */
  writeU32(value: number): void {
    this.reserve(5);
    this.length = writeU32(this.#buffer, this.length, value);
  }

  /** Appends a signed 32-bit LEB128 integer. */
  writeS32(value: number): void {
    this.reserve(5);
    this.length = writeS32(this.#buffer, this.length, value);
  }

  /** Appends a signed 64-bit LEB128 integer (a safe-integer number or a bigint). */
  writeS64(value: number | bigint): void {
    this.reserve(10);
    this.length = writeS64(this.#buffer, this.length, value);
  }

  /** Appends an unsigned 64-bit LEB128 integer. */
  writeU64(value: bigint): void {
    this.reserve(10);
    this.length = writeU64(this.#buffer, this.length, value);
  }

  /** Appends raw bytes. */
  writeBytes(bytes: Uint8Array): void {
    const size = bytes.length;
    if (this.length + size > this.#buffer.length) this.reserve(size);
    const buffer = this.#buffer;
    if (size <= 32) {
      // Short snippets: a loop beats set(), which has a fixed native-call cost.
      let at = this.length;
      for (let i = 0; i < size; i++) buffer[at++] = bytes[i]!;
    } else {
      buffer.set(bytes, this.length);
    }
    this.length += size;
  }

  /** Appends `source[start, end)` (an unchanged range of the input). */
  copyRange(source: Uint8Array, start: number, end: number): void {
    const size = end - start;
    if (size <= 0) return;
    if (this.length + size > this.#buffer.length) this.reserve(size);
    const buffer = this.#buffer;
    if (size <= 64) {
      // Most ranges between injections are short: a loop beats set()+subarray().
      let at = this.length;
      for (let i = start; i < end; i++) buffer[at++] = source[i]!;
    } else {
      buffer.set(source.subarray(start, end), this.length);
    }
    this.length += size;
  }

  /** Appends a length-prefixed UTF-8 name. */
  writeName(name: string): void {
    const encoded = utf8.encode(name);
    this.writeU32(encoded.length);
    this.writeBytes(encoded);
  }

  /**
   * Turns the bytes written since `start` into a size-prefixed block: inserts
   * the LEB128 size of `[start, length)` at `start`, shifting the content.
   * Lets a section or function body be written before its size is known.
   */
  prefixSize(start: number): void {
    const size = this.length - start;
    const sizeBytes = sizeU32(size);
    this.reserve(sizeBytes);
    const buffer = this.#buffer;
    buffer.copyWithin(start + sizeBytes, start, this.length);
    writeU32(buffer, start, size);
    this.length += sizeBytes;
  }

  /** Drops everything written after `length` (used to retry a function body). */
  truncate(length: number): void {
    this.length = Math.min(this.length, length);
  }

  /**
   * Reserves five bytes for a size written later with
   * {@linkcode WasmWriter.patchPaddedSize}; returns the slot's offset. A
   * padded LEB128 is valid in the binary format and spares moving the
   * content, which matters for a code section of megabytes.
   */
  reservePaddedSize(): number {
    this.reserve(5);
    const at = this.length;
    this.length += 5;
    return at;
  }

  /** Writes the size of everything after the slot at `at` into it, as five LEB128 bytes. */
  patchPaddedSize(at: number): void {
    writeU32Padded(this.#buffer, at, this.length - at - 5);
  }

  /**
   * The bytes written, without copying when little of the storage is unused
   * (the result then shares it; write nothing more afterwards).
   */
  finish(): Uint8Array {
    if (this.length >= this.#buffer.length * 0.75) return this.#buffer.subarray(0, this.length);
    return this.toBytes();
  }

  /** A copy of the bytes written. */
  toBytes(): Uint8Array {
    return this.#buffer.slice(0, this.length);
  }
}
