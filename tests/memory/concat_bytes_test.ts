import { test } from "uvu";
import * as assert from "uvu/assert";
import { concatBytes } from "../../lib/memory/concat_bytes.ts";

const bytes = (...values: number[]) => new Uint8Array(values);

test("concatBytes() joins chunks in order, empty ones included", () => {
  assert.equal(concatBytes([bytes(1, 2), bytes(), bytes(3), bytes(4, 5, 6)]), bytes(1, 2, 3, 4, 5, 6));
  assert.equal(concatBytes([]), bytes());
});

test("concatBytes() copies: the result never shares memory with a chunk", () => {
  const only = bytes(7, 8);
  const joined = concatBytes([only]);
  assert.equal(joined, bytes(7, 8));
  only[0] = 0;
  assert.is(joined[0], 7);
  assert.is.not(joined.buffer, only.buffer);
});

test("concatBytes() reads views at their offset, not their buffer's start", () => {
  const backing = bytes(9, 9, 1, 2, 3, 9);
  assert.equal(concatBytes([backing.subarray(2, 5), backing.subarray(0, 1)]), bytes(1, 2, 3, 9));
});

test("concatBytes() with maxBytes keeps the first bytes, cutting inside a chunk", () => {
  const chunks = [bytes(1, 2), bytes(3, 4, 5), bytes(6)];
  assert.equal(concatBytes(chunks, 4), bytes(1, 2, 3, 4));
  assert.equal(concatBytes(chunks, 2), bytes(1, 2));
  assert.equal(concatBytes(chunks, 0), bytes());
  assert.equal(concatBytes(chunks, 100), bytes(1, 2, 3, 4, 5, 6));
  // Allocates what is kept, not what was offered.
  assert.is(concatBytes([new Uint8Array(1 << 20)], 3).buffer.byteLength, 3);
});

test.run();
