import { test } from "uvu";
import * as assert from "uvu/assert";
import { isSandboxError } from "../../lib/errors.ts";
import { WasmReader } from "../../lib/wasm/reader.ts";

function invalidAt(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    assert.ok(isSandboxError(err, "InvalidModule"), String(err));
    return (err as { offset?: number }).offset;
  }
  assert.unreachable("expected InvalidModule");
}

test("readName() rejects invalid UTF-8 at the name's offset", () => {
  const reader = new WasmReader(new Uint8Array([0x00, 0x02, 0xc3, 0x28]), 1);
  assert.is(invalidAt(() => reader.readName()), 1);
});

test("readName() keeps a leading byte order mark, as the engine does", () => {
  // "\uFEFF" alone and "\uFEFFa": both are names of their own, never "" or "a".
  const reader = new WasmReader(new Uint8Array([0x03, 0xef, 0xbb, 0xbf, 0x04, 0xef, 0xbb, 0xbf, 0x61]));
  assert.is(reader.readName(), "\uFEFF");
  assert.is(reader.readName(), "\uFEFFa");
});

test("readName() rejects a length that runs past the end", () => {
  const reader = new WasmReader(new Uint8Array([0x05, 0x61]));
  assert.is(invalidAt(() => reader.readName()), 1);
});

test("readCount() rejects a count that cannot fit in the region", () => {
  const reader = new WasmReader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]));
  assert.is(invalidAt(() => reader.readCount(1)), 0);
});

test("withEnd() checks a region is consumed exactly and cannot widen its parent", () => {
  const reader = new WasmReader(new Uint8Array([1, 2, 3, 4]), 0, 3);
  assert.ok(invalidAt(() => reader.withEnd(4, "section", () => 0)) !== undefined);
  const other = new WasmReader(new Uint8Array([1, 2, 3, 4]));
  assert.is(invalidAt(() => other.withEnd(2, "entry", () => other.readU8())), 1);
  const ok = new WasmReader(new Uint8Array([1, 2, 3, 4]));
  assert.is(ok.withEnd(2, "entry", () => ok.readU8() + ok.readU8()), 3);
  assert.is(ok.end, 4);
});

test("readU8() never reads past the region end", () => {
  const reader = new WasmReader(new Uint8Array([1, 2, 3]), 0, 1);
  assert.is(reader.readU8(), 1);
  assert.is(invalidAt(() => reader.readU8()), 1);
});

test.run();
