/**
 * LEB128 integers as the WebAssembly binary format uses them.
 *
 * Readers take a {@linkcode ByteCursor} (bytes, position, end) and advance it;
 * writers store into a caller-provided array and return the next offset, so
 * neither side allocates. The spec allows padded encodings (`0x80 0x00` is a
 * valid `0`) as long as they fit in `ceil(N / 7)` bytes with the unused high
 * bits of the last byte equal to zero (unsigned) or to the sign (signed);
 * linkers emit such padding, so it is accepted. Anything longer, or with stray
 * high bits, is rejected as overlong.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";

/** A position inside `bytes`; reads never go at or past `end`. */
export interface ByteCursor {
  readonly bytes: Uint8Array;
  offset: number;
  end: number;
}

function truncated(offset: number): SandboxError {
  return new SandboxError("InvalidModule", `truncated LEB128 integer at byte ${offset}`, { offset });
}

function overlong(offset: number, bits: number): SandboxError {
  return new SandboxError(
    "InvalidModule",
    `overlong or out-of-range ${bits}-bit LEB128 integer at byte ${offset}`,
    { offset },
  );
}

/**
 * Reads an unsigned 32-bit LEB128 integer.
 *
 * @example
 * ```ts
 * const cursor = { bytes: new Uint8Array([0xe5, 0x8e, 0x26]), offset: 0, end: 3 };
 * readU32(cursor); // 624485
 * ```
 */
export function readU32(cursor: ByteCursor): number {
  const bytes = cursor.bytes;
  const start = cursor.offset;
  const end = cursor.end;
  let pos = start;
  let result = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= end) throw truncated(start);
    const byte = bytes[pos++]!;
    // The fifth byte carries bits 28..31 only: no continuation, no stray bits.
    if (shift === 28 && byte > 0x0f) throw overlong(start, 32);
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) {
      cursor.offset = pos;
      return result >>> 0;
    }
  }
  throw overlong(start, 32);
}

/** Reads a signed 32-bit LEB128 integer (as `i32.const` immediates are stored). */
export function readS32(cursor: ByteCursor): number {
  const bytes = cursor.bytes;
  const start = cursor.offset;
  const end = cursor.end;
  let pos = start;
  let result = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= end) throw truncated(start);
    const byte = bytes[pos++]!;
    if (shift === 28) {
      // Bits 4..6 must repeat the sign bit (bit 3 = bit 31 of the value).
      const high = byte & 0xf8;
      if (high !== 0 && high !== 0x78) throw overlong(start, 32);
    }
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) {
      if (shift < 25 && (byte & 0x40) !== 0) result |= -1 << (shift + 7);
      cursor.offset = pos;
      return result | 0;
    }
  }
  throw overlong(start, 32);
}

/**
 * Reads a signed 33-bit LEB128 integer: block types, where a non-negative
 * value is a type index and a negative one a value type or the empty type.
 */
export function readS33(cursor: ByteCursor): number {
  const bytes = cursor.bytes;
  const start = cursor.offset;
  const end = cursor.end;
  let pos = start;
  let result = 0;
  let scale = 1;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= end) throw truncated(start);
    const byte = bytes[pos++]!;
    if (shift === 28) {
      // Bits 5..6 must repeat the sign bit (bit 4 = bit 32 of the value).
      const high = byte & 0xf0;
      if (high !== 0 && high !== 0x70) throw overlong(start, 33);
      result += (byte & 0x0f) * scale;
      if ((byte & 0x10) !== 0) result -= 2 ** 32;
      cursor.offset = pos;
      return result;
    }
    result += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) {
      if ((byte & 0x40) !== 0) result -= scale;
      cursor.offset = pos;
      return result;
    }
  }
  throw overlong(start, 33);
}

function readBig(cursor: ByteCursor, signed: boolean): bigint {
  const bytes = cursor.bytes;
  const start = cursor.offset;
  const end = cursor.end;
  let pos = start;
  let result = 0n;
  for (let shift = 0n; shift < 70n; shift += 7n) {
    if (pos >= end) throw truncated(start);
    const byte = bytes[pos++]!;
    if (shift === 63n) {
      // The tenth byte carries bit 63 only.
      const ok = signed ? byte === 0 || byte === 0x7f : byte <= 1;
      if (!ok) throw overlong(start, 64);
      result |= BigInt(byte & 1) << 63n;
      cursor.offset = pos;
      return signed ? BigInt.asIntN(64, result) : result;
    }
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) {
      if (signed && (byte & 0x40) !== 0) result -= 1n << (shift + 7n);
      cursor.offset = pos;
      return result;
    }
  }
  throw overlong(start, 64);
}

/** Reads a signed 64-bit LEB128 integer as a bigint (`i64.const`). */
export function readS64(cursor: ByteCursor): bigint {
  return readBig(cursor, true);
}

/** Reads an unsigned 64-bit LEB128 integer as a bigint (memory64 limits). */
export function readU64(cursor: ByteCursor): bigint {
  return readBig(cursor, false);
}

/**
 * Advances past one LEB128 integer of at most `maxBytes` bytes without
 * decoding it (5 for 32/33-bit values, 10 for 64-bit ones). Stray high bits
 * in the last byte are left for the engine's validator to reject.
 */
export function skipLeb(cursor: ByteCursor, maxBytes: number): void {
  const bytes = cursor.bytes;
  const start = cursor.offset;
  const limit = Math.min(cursor.end, start + maxBytes);
  let pos = start;
  while (pos < limit) {
    if ((bytes[pos++]! & 0x80) === 0) {
      cursor.offset = pos;
      return;
    }
  }
  throw pos >= cursor.end ? truncated(start) : overlong(start, maxBytes === 10 ? 64 : 32);
}

/** The number of bytes {@linkcode writeU32} uses for `value`. */
export function sizeU32(value: number): number {
  let size = 1;
  let rest = value >>> 7;
  while (rest !== 0) {
    size++;
    rest >>>= 7;
  }
  return size;
}

/**
 * Writes `value` (0 ≤ value < 2^32) as a minimal unsigned LEB128 integer at
 * `offset`; returns the offset after it. The caller guarantees 5 free bytes.
 *
 * @example
 * ```ts
 * const out = new Uint8Array(5);
 * writeU32(out, 0, 624485); // 3: out starts e5 8e 26
 * ```
 */
export function writeU32(out: Uint8Array, offset: number, value: number): number {
  let rest = value >>> 0;
  while (rest >= 0x80) {
    out[offset++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  out[offset++] = rest;
  return offset;
}

/** Writes a 32-bit value as exactly five LEB128 bytes (a fixed-size slot patched later). */
export function writeU32Padded(out: Uint8Array, offset: number, value: number): number {
  let rest = value >>> 0;
  for (let i = 0; i < 4; i++) {
    out[offset++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  out[offset++] = rest;
  return offset;
}

/** Writes a signed 32-bit LEB128 integer; returns the next offset. Needs 5 free bytes. */
export function writeS32(out: Uint8Array, offset: number, value: number): number {
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    if ((rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0)) {
      out[offset++] = byte;
      return offset;
    }
    out[offset++] = byte | 0x80;
  }
}

/**
 * Writes a signed 64-bit LEB128 integer; returns the next offset. Needs 10
 * free bytes. A `number` must be a safe integer (no bigint is allocated then).
 */
export function writeS64(out: Uint8Array, offset: number, value: bigint | number): number {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new RangeError(`writeS64: ${value} is not a safe integer`);
    let rest = value;
    for (;;) {
      const byte = ((rest % 128) + 128) % 128;
      rest = (rest - byte) / 128;
      if ((rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0)) {
        out[offset++] = byte;
        return offset;
      }
      out[offset++] = byte | 0x80;
    }
  }
  let rest = BigInt.asIntN(64, value);
  for (;;) {
    const byte = Number(rest & 0x7fn);
    rest >>= 7n;
    if ((rest === 0n && (byte & 0x40) === 0) || (rest === -1n && (byte & 0x40) !== 0)) {
      out[offset++] = byte;
      return offset;
    }
    out[offset++] = byte | 0x80;
  }
}

/** Writes an unsigned 64-bit LEB128 integer; returns the next offset. Needs 10 free bytes. */
export function writeU64(out: Uint8Array, offset: number, value: bigint): number {
  let rest = BigInt.asUintN(64, value);
  while (rest >= 0x80n) {
    out[offset++] = Number(rest & 0x7fn) | 0x80;
    rest >>= 7n;
  }
  out[offset++] = Number(rest);
  return offset;
}
