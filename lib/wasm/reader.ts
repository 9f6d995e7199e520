/**
 * A bounds-checked reader over WebAssembly binary bytes. Every read checks its
 * end and throws `SandboxError("InvalidModule")` carrying the absolute byte
 * offset, so hostile input can never make it read out of range.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import {
  type ByteCursor,
  readS32,
  readS33,
  readS64,
  readU32,
  readU64,
  skipLeb,
} from "./leb128.ts";

// ignoreBOM keeps a leading U+FEFF: it is part of the name (the engine keeps
// it too), and dropping it would make "\uFEFFx" read as "x".
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Reads primitives of the binary format. `offset` is absolute in `bytes`;
 * `end` bounds the current region (a section, a function body) and can be
 * narrowed with {@linkcode WasmReader.withEnd}.
 *
 * @example
 * ```ts
 * const reader = new WasmReader(new Uint8Array([0x03, 0x61, 0x62, 0x63]));
 * reader.readName(); // "abc"
 * ```
 */
export class WasmReader implements ByteCursor {
  readonly bytes: Uint8Array;
  offset: number;
  end: number;

  constructor(bytes: Uint8Array, offset = 0, end = bytes.length) {
    this.bytes = bytes;
    this.offset = offset;
    this.end = end;
  }

  /** True when the current region is exhausted. */
  get atEnd(): boolean {
    return this.offset >= this.end;
  }

  /** Bytes left in the current region. */
  get remaining(): number {
    return this.end - this.offset;
  }

  /** An error at the current offset (or `at`), for callers that detect bad content. */
  error(message: string, at = this.offset): SandboxError {
    return new SandboxError("InvalidModule", `${message} (at byte ${at})`, { offset: at });
  }

  /** Reads one byte. */
  readU8(): number {
    if (this.offset >= this.end) throw this.error("unexpected end of data");
    return this.bytes[this.offset++]!;
  }

  /** Returns the next byte without consuming it. */
  peekU8(): number {
    if (this.offset >= this.end) throw this.error("unexpected end of data");
    return this.bytes[this.offset]!;
  }

  /** Reads an unsigned 32-bit LEB128 integer. */
  readU32(): number {
    return readU32(this);
  }

  /** Reads a signed 32-bit LEB128 integer. */
  readS32(): number {
    return readS32(this);
  }

  /** Reads a signed 33-bit LEB128 integer (block types, heap types). */
  readS33(): number {
    return readS33(this);
  }

  /** Reads a signed 64-bit LEB128 integer. */
  readS64(): bigint {
    return readS64(this);
  }

  /** Reads an unsigned 64-bit LEB128 integer. */
  readU64(): bigint {
    return readU64(this);
  }

  /** Skips a LEB128 integer of at most `maxBytes` bytes. */
  skipLeb(maxBytes: number): void {
    skipLeb(this, maxBytes);
  }

  /** Skips `length` bytes. */
  skip(length: number): void {
    if (length > this.end - this.offset) throw this.error(`${length} bytes expected, only ${this.end - this.offset} left`);
    this.offset += length;
  }

  /** Returns a view (not a copy) of the next `length` bytes. */
  readBytes(length: number): Uint8Array {
    const start = this.offset;
    this.skip(length);
    return this.bytes.subarray(start, start + length);
  }

  /** Reads a length-prefixed UTF-8 name; rejects invalid UTF-8. */
  readName(): string {
    const start = this.offset;
    const length = this.readU32();
    const raw = this.readBytes(length);
    try {
      return utf8.decode(raw);
    } catch {
      throw this.error("name is not valid UTF-8", start);
    }
  }

  /**
   * Reads a vector count and checks it is plausible: each element takes at
   * least `minElementSize` bytes, so a huge count in a short region fails here
   * instead of driving a long loop.
   */
  readCount(minElementSize = 1): number {
    const start = this.offset;
    const count = this.readU32();
    if (count * minElementSize > this.end - this.offset) {
      throw this.error(`vector of ${count} elements does not fit in the remaining ${this.end - this.offset} bytes`, start);
    }
    return count;
  }

  /**
   * Runs `body` with the region narrowed to `[offset, end)`, then checks the
   * body consumed exactly that region (a section or entry size mismatch is an
   * error, never silently skipped) and restores the outer end.
   */
  withEnd<T>(end: number, what: string, body: () => T): T {
    if (end > this.end) throw this.error(`${what} extends past the end of its enclosing region`);
    const outer = this.end;
    this.end = end;
    const result = body();
    if (this.offset !== end) throw this.error(`${what} size mismatch: ${end - this.offset} unread bytes`);
    this.end = outer;
    return result;
  }
}
