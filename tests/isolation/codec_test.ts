import { test } from "uvu";
import * as assert from "uvu/assert";
import { decodeMessage, encodeMessage } from "../../lib/isolation/codec.ts";

test("encodeMessage() round-trips bigints, odd numbers and byte arrays", () => {
  const value = { big: -(2n ** 70n), nan: NaN, inf: -Infinity, negZero: -0, list: [1, "x", null, true], a: new Uint8Array([1, 2]), b: new Uint8Array() };
  const back = decodeMessage(encodeMessage(value)) as typeof value;
  assert.is(back.big, -(2n ** 70n));
  assert.ok(Number.isNaN(back.nan));
  assert.is(back.inf, -Infinity);
  assert.ok(Object.is(back.negZero, -0));
  assert.equal(back.list, [1, "x", null, true]);
  assert.equal([...back.a], [1, 2]);
  assert.is(back.b.byteLength, 0);
});

test("decodeMessage() rejects truncated input and out-of-range byte references", () => {
  assert.throws(() => decodeMessage(new Uint8Array([1, 0])), RangeError);
  assert.throws(() => decodeMessage(new Uint8Array([200, 0, 0, 0, 123])), RangeError);
  const forged = new TextEncoder().encode(`{"$bytes":[0,9]}`);
  const bytes = new Uint8Array(4 + forged.byteLength);
  new DataView(bytes.buffer).setUint32(0, forged.byteLength, true);
  bytes.set(forged, 4);
  assert.throws(() => decodeMessage(bytes), RangeError);
});

test.run();
