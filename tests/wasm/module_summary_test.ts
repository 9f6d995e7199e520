import { test } from "uvu";
import * as assert from "uvu/assert";
import { isSandboxError } from "../../lib/errors.ts";
import { isSummaryOf, summarizeModule } from "../../lib/wasm/module_summary.ts";
import { wat } from "../_helpers/wat.ts";

function invalid(bytes: Uint8Array): { message: string; offset: number | undefined } {
  try {
    summarizeModule(bytes);
  } catch (err) {
    assert.ok(isSandboxError(err, "InvalidModule"), String(err));
    return { message: (err as Error).message, offset: (err as { offset?: number }).offset };
  }
  assert.unreachable("expected InvalidModule");
  throw new Error("unreachable");
}

test("summarizeModule() lists imports with limits and signatures", async () => {
  const bytes = await wat(`(module
    (import "env" "log" (func (param i32 i64) (result f32)))
    (import "env" "mem" (memory 2 10))
    (import "env" "tab" (table 1 funcref))
    (import "env" "g" (global (mut i64)))
    (import "env" "tag" (tag (param i32))))`);
  const summary = summarizeModule(bytes);
  assert.equal(summary.imports, [
    { module: "env", name: "log", kind: "func", funcType: { params: ["i32", "i64"], results: ["f32"] } },
    { module: "env", name: "mem", kind: "memory", memory: { min: 2, max: 10, shared: false, memory64: false } },
    { module: "env", name: "tab", kind: "table", table: { min: 1, elementType: "funcref", table64: false } },
    { module: "env", name: "g", kind: "global", global: { type: "i64", mutable: true } },
    { module: "env", name: "tag", kind: "tag", funcType: { params: ["i32"], results: [] } },
  ]);
  assert.is(summary.hasStart, false);
});

test("summarizeModule() lists exports, defined memories and tables, and the start function", async () => {
  const bytes = await wat(`(module
    (memory (export "memory") 1 4)
    (memory 3 3 shared)
    (table (export "t") 2 8 externref)
    (global (export "g") i32 (i32.const 7))
    (func $start)
    (func (export "run") (result i32) i32.const 1)
    (start $start))`);
  const summary = summarizeModule(bytes);
  assert.equal(summary.exports, [
    { name: "memory", kind: "memory", index: 0 },
    { name: "t", kind: "table", index: 0 },
    { name: "g", kind: "global", index: 0 },
    { name: "run", kind: "func", index: 1 },
  ]);
  assert.equal(summary.memories, [
    { min: 1, max: 4, shared: false, memory64: false },
    { min: 3, max: 3, shared: true, memory64: false },
  ]);
  assert.equal(summary.tables, [{ min: 2, max: 8, elementType: "externref", table64: false }]);
  assert.is(summary.hasStart, true);
});

test("summarizeModule() tells a name with a byte order mark from the same name without", async () => {
  // WAT string escapes: \\ef\\bb\\bf is U+FEFF in UTF-8.
  const bytes = await wat(`(module
    (import "env" "\\ef\\bb\\bflog" (func))
    (func (export "\\ef\\bb\\bf"))
    (func (export "")))`);
  const summary = summarizeModule(bytes);
  assert.equal(summary.exports.map((e) => e.name), ["\uFEFF", ""]);
  assert.is(summary.imports[0]!.name, "\uFEFFlog");
});

test("summarizeModule() gives the rewriter's layout: sections, types, function types, globals, start", async () => {
  const bytes = await wat(`(module
    (type $v (func))
    (type $ii (func (param i32) (result i32)))
    (import "env" "f" (func (type $ii)))
    (import "env" "g" (global i32))
    (global i64 (i64.const 1))
    (global (mut i32) (i32.const 2))
    (func $start (type $v))
    (func (type $ii) local.get 0)
    (start $start))`);
  const summary = summarizeModule(bytes);
  assert.equal(summary.types, [{ params: [], results: [] }, { params: ["i32"], results: ["i32"] }]);
  assert.equal(summary.functionTypes, [0, 1]);
  assert.is(summary.definedGlobals, 2);
  assert.is(summary.startFunction, 1);
  assert.equal(summary.sections.map((s) => s.id).filter((id) => id !== 0), [1, 2, 3, 6, 8, 10]);
  assert.is(summary.sections.at(-1)!.end, bytes.length);
});

test("isSummaryOf() holds for the summarised bytes object only", async () => {
  const bytes = await wat(`(module)`);
  const summary = summarizeModule(bytes);
  assert.ok(isSummaryOf(summary, bytes));
  assert.not.ok(isSummaryOf(summary, bytes.slice()));
  assert.not.ok(isSummaryOf({ ...summary }, bytes));
});

test("summarizeModule() reports a memory without a maximum as such", async () => {
  const summary = summarizeModule(await wat(`(module (memory 1))`));
  assert.equal(summary.memories, [{ min: 1, shared: false, memory64: false }]);
});

test("summarizeModule() reports memory64 limits as numbers", () => {
  // Hand-assembled: memory section with one 64-bit memory, min 1, max 2^40.
  const bytes = new Uint8Array([
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    5, 9, 1, 0x05, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20,
  ]);
  assert.equal(summarizeModule(bytes).memories, [{ min: 1, max: 2 ** 40, shared: false, memory64: true }]);
});

test("summarizeModule() rejects a bad magic number and a bad version", () => {
  assert.is(invalid(new Uint8Array([0, 0x61, 0x73, 0x6e, 1, 0, 0, 0])).offset, 3);
  assert.match(invalid(new Uint8Array([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0])).message, /version/);
  assert.match(invalid(new Uint8Array([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0])).message, /component/);
  assert.is(invalid(new Uint8Array([0, 0x61])).offset, 0);
});

test("summarizeModule() rejects a section that overruns the module", () => {
  const bytes = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 0x10, 0]);
  const { offset, message } = invalid(bytes);
  assert.is(offset, 8);
  assert.match(message, /declares 16 bytes/);
});

test("summarizeModule() rejects a section whose content is shorter than its size", () => {
  // Type section of size 3 holding an empty vector plus two stray bytes.
  invalid(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 3, 0, 0, 0]));
});

test("summarizeModule() rejects out-of-order and duplicate sections", () => {
  invalid(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 3, 1, 0, 1, 1, 0]));
  invalid(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 1, 0, 1, 1, 0]));
});

test("summarizeModule() rejects an overlong LEB128 count", () => {
  const bytes = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 6, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]);
  assert.is(invalid(bytes).offset, 10);
});

test("summarizeModule() rejects an export name that is not UTF-8", () => {
  // Export section: 1 export, name of 2 bytes C3 28 (invalid), kind func, index 0.
  const bytes = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 7, 6, 1, 2, 0xc3, 0x28, 0, 0]);
  const { message, offset } = invalid(bytes);
  assert.match(message, /UTF-8/);
  assert.is(offset, 11);
});

test("summarizeModule() names GC types as unsupported", () => {
  // Type section: one struct type (0x5f) with no fields.
  const bytes = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 3, 1, 0x5f, 0]);
  assert.match(invalid(bytes).message, /uses GC/);
});

test("summarizeModule() rejects a function import with an unknown type index", () => {
  // Import section: "a" "b" func type 0, with no type section.
  const bytes = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 2, 7, 1, 1, 0x61, 1, 0x62, 0, 0]);
  assert.match(invalid(bytes).message, /type index 0/);
});

test("summarizeModule() only ever throws InvalidModule on mutated modules", async () => {
  const base = await wat(`(module
    (import "env" "f" (func (param i32)))
    (import "env" "m" (memory 1 2))
    (table 1 5 funcref)
    (global (mut i32) (i32.const 0))
    (func (export "a") (param i32) (result i32) local.get 0)
    (export "mem" (memory 0))
    (func $s)
    (start $s))`);
  let seed = 1234567;
  const random = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  for (let round = 0; round < 2000; round++) {
    const bytes = base.slice();
    const mutations = 1 + Math.floor(random() * 4);
    for (let m = 0; m < mutations; m++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    const cut = random() < 0.2 ? Math.floor(random() * bytes.length) : bytes.length;
    try {
      summarizeModule(bytes.subarray(0, cut));
    } catch (err) {
      if (!isSandboxError(err, "InvalidModule")) throw err;
    }
  }
});

test.run();
