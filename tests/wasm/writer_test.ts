import { test } from "uvu";
import * as assert from "uvu/assert";
import { WasmReader } from "../../lib/wasm/reader.ts";
import { WasmWriter } from "../../lib/wasm/writer.ts";

test("WasmWriter grows past its initial capacity", () => {
  const writer = new WasmWriter(16);
  for (let i = 0; i < 1000; i++) writer.writeU8(i & 0xff);
  const bytes = writer.toBytes();
  assert.is(bytes.length, 1000);
  assert.is(bytes[999], 999 & 0xff);
});

test("copyRange() copies small and large ranges exactly", () => {
  const source = new Uint8Array(100).map((_, i) => i);
  const writer = new WasmWriter(16);
  writer.copyRange(source, 3, 7);
  writer.copyRange(source, 10, 90);
  writer.copyRange(source, 5, 5);
  const bytes = writer.toBytes();
  assert.equal([...bytes.subarray(0, 4)], [3, 4, 5, 6]);
  assert.is(bytes.length, 4 + 80);
  assert.is(bytes[4], 10);
  assert.is(bytes[83], 89);
});

test("prefixSize() inserts the LEB128 size before content written earlier", () => {
  const writer = new WasmWriter(16);
  writer.writeU8(0xaa);
  const start = writer.length;
  for (let i = 0; i < 200; i++) writer.writeU8(7);
  writer.prefixSize(start);
  const reader = new WasmReader(writer.toBytes());
  assert.is(reader.readU8(), 0xaa);
  assert.is(reader.readU32(), 200);
  assert.is(reader.remaining, 200);
});

test("writeName() and readName() round-trip UTF-8", () => {
  const writer = new WasmWriter();
  writer.writeName("héllo ✓");
  assert.is(new WasmReader(writer.toBytes()).readName(), "héllo ✓");
});

test("truncate() drops bytes written after a mark", () => {
  const writer = new WasmWriter();
  writer.writeU32(1);
  const mark = writer.length;
  writer.writeU32(300);
  writer.truncate(mark);
  assert.equal([...writer.toBytes()], [1]);
});

test.run();
