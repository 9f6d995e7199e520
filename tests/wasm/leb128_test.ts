import { test } from "uvu";
import * as assert from "uvu/assert";
import { isSandboxError } from "../../lib/errors.ts";
import {
  readS32,
  readS33,
  readS64,
  readU32,
  readU64,
  sizeU32,
  skipLeb,
  writeS32,
  writeS64,
  writeU32,
  writeU32Padded,
  writeU64,
} from "../../lib/wasm/leb128.ts";

function cursor(...bytes: number[]) {
  return { bytes: new Uint8Array(bytes), offset: 0, end: bytes.length };
}

function throwsInvalid(fn: () => unknown, offset: number): void {
  try {
    fn();
  } catch (err) {
    assert.ok(isSandboxError(err, "InvalidModule"), String(err));
    assert.is((err as { offset?: number }).offset, offset);
    return;
  }
  assert.unreachable("expected InvalidModule");
}

test("readU32() decodes minimal and padded encodings", () => {
  assert.is(readU32(cursor(0x00)), 0);
  assert.is(readU32(cursor(0xe5, 0x8e, 0x26)), 624485);
  assert.is(readU32(cursor(0xff, 0xff, 0xff, 0xff, 0x0f)), 0xffffffff);
  // Padding within five bytes is valid (linkers emit it).
  assert.is(readU32(cursor(0x80, 0x80, 0x80, 0x80, 0x00)), 0);
  const c = cursor(0x81, 0x01, 0x7f);
  assert.is(readU32(c), 129);
  assert.is(c.offset, 2);
});

test("readU32() rejects an overlong encoding", () => {
  throwsInvalid(() => readU32(cursor(0x80, 0x80, 0x80, 0x80, 0x80, 0x00)), 0);
  // Bits above 32 in the fifth byte.
  throwsInvalid(() => readU32(cursor(0xff, 0xff, 0xff, 0xff, 0x1f)), 0);
});

test("readU32() rejects a truncated encoding at its start offset", () => {
  const c = { bytes: new Uint8Array([0x00, 0x80, 0x80]), offset: 1, end: 3 };
  throwsInvalid(() => readU32(c), 1);
  // The cursor end bounds the read even when the array goes on.
  throwsInvalid(() => readU32({ bytes: new Uint8Array([0x80, 0x01]), offset: 0, end: 1 }), 0);
});

test("readS32() sign-extends and checks the unused bits of the fifth byte", () => {
  assert.is(readS32(cursor(0x7f)), -1);
  assert.is(readS32(cursor(0x3f)), 63);
  assert.is(readS32(cursor(0x40)), -64);
  assert.is(readS32(cursor(0x80, 0x80, 0x80, 0x80, 0x78)), -2147483648);
  assert.is(readS32(cursor(0xff, 0xff, 0xff, 0xff, 0x07)), 2147483647);
  assert.is(readS32(cursor(0xff, 0x7f)), -1);
  throwsInvalid(() => readS32(cursor(0xff, 0xff, 0xff, 0xff, 0x0f)), 0);
  throwsInvalid(() => readS32(cursor(0x80, 0x80, 0x80, 0x80, 0x70)), 0);
});

test("readS33() reads block types and type indices", () => {
  assert.is(readS33(cursor(0x40)), -64);
  assert.is(readS33(cursor(0x7f)), -1);
  assert.is(readS33(cursor(0x05)), 5);
  assert.is(readS33(cursor(0xff, 0xff, 0xff, 0xff, 0x0f)), 2 ** 32 - 1);
  assert.is(readS33(cursor(0x80, 0x80, 0x80, 0x80, 0x70)), -(2 ** 32));
  throwsInvalid(() => readS33(cursor(0xff, 0xff, 0xff, 0xff, 0x1f)), 0);
});

test("readS64() and readU64() cover the full 64-bit range", () => {
  assert.is(readS64(cursor(0x7f)), -1n);
  assert.is(readS64(cursor(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f)), -(2n ** 63n));
  assert.is(readS64(cursor(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00)), 2n ** 63n - 1n);
  assert.is(readU64(cursor(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)), 2n ** 64n - 1n);
  throwsInvalid(() => readU64(cursor(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02)), 0);
  throwsInvalid(() => readS64(cursor(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)), 0);
  throwsInvalid(() => readS64(cursor(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00)), 0);
});

test("skipLeb() stops after the last byte and bounds the length", () => {
  const c = cursor(0x80, 0x80, 0x01, 0x05);
  skipLeb(c, 5);
  assert.is(c.offset, 3);
  throwsInvalid(() => skipLeb(cursor(0x80, 0x80, 0x80, 0x80, 0x80, 0x01), 5), 0);
  throwsInvalid(() => skipLeb(cursor(0x80), 5), 0);
});

test("writeU32() and readU32() round-trip, and sizeU32() matches", () => {
  const out = new Uint8Array(5);
  for (const value of [0, 1, 127, 128, 16383, 16384, 2 ** 21, 2 ** 28 - 1, 2 ** 28, 2 ** 32 - 1]) {
    const end = writeU32(out, 0, value);
    assert.is(end, sizeU32(value));
    assert.is(readU32({ bytes: out, offset: 0, end }), value);
  }
  const padded = new Uint8Array(5);
  assert.is(writeU32Padded(padded, 0, 3), 5);
  assert.is(readU32({ bytes: padded, offset: 0, end: 5 }), 3);
});

test("writeS32() and writeS64() round-trip signed values", () => {
  const out = new Uint8Array(10);
  for (const value of [0, 1, -1, 63, 64, -64, -65, 2 ** 31 - 1, -(2 ** 31)]) {
    const end = writeS32(out, 0, value);
    assert.is(readS32({ bytes: out, offset: 0, end }), value);
  }
  for (const value of [0, 1, -1, 64, -65, 2 ** 53 - 1, -(2 ** 53) + 1]) {
    const end = writeS64(out, 0, value);
    assert.is(readS64({ bytes: out, offset: 0, end }), BigInt(value));
  }
  for (const value of [2n ** 63n - 1n, -(2n ** 63n), 12345678901234567n]) {
    const end = writeS64(out, 0, value);
    assert.is(readS64({ bytes: out, offset: 0, end }), value);
  }
  const end = writeU64(out, 0, 2n ** 64n - 1n);
  assert.is(readU64({ bytes: out, offset: 0, end }), 2n ** 64n - 1n);
});

test("the number path of writeS64() matches the bigint path", () => {
  const a = new Uint8Array(10);
  const b = new Uint8Array(10);
  for (const value of [0, 5, -5, 1000, -1000, 2 ** 40 + 3, -(2 ** 40) - 3]) {
    const endA = writeS64(a, 0, value);
    const endB = writeS64(b, 0, BigInt(value));
    assert.equal(a.subarray(0, endA), b.subarray(0, endB));
  }
});

test.run();
