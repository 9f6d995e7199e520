// Hand-made malformed modules through the public runtime: absurd counts and
// sizes in LEB128 fields, overlong encodings, sections out of order or
// duplicated. Each is InvalidModule (never a crash or a host-sized
// allocation), and the runtime keeps serving.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { WasmSandboxRuntime } from "../../mod.ts";
import { errorCode } from "../_helpers/errors.ts";
import { wat } from "../_helpers/wat.ts";

const HEADER = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
const module = (...sections: number[][]) => new Uint8Array([...HEADER, ...sections.flat()]);
const TYPE_VOID = [1, 4, 1, 0x60, 0, 0]; // one type: () -> ()

const CASES: Array<[string, Uint8Array]> = [
  ["a type section claiming 2^32-1 types", module([1, 6, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x60])],
  ["a function section claiming 2^32-1 functions", module(TYPE_VOID, [3, 6, 0xff, 0xff, 0xff, 0xff, 0x0f, 0])],
  ["a section size past the end of the module", module([1, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 0x60, 0, 0])],
  ["a six-byte (overlong) section size", module([1, 0x84, 0x80, 0x80, 0x80, 0x80, 0x00, 1, 0x60, 0, 0])],
  ["a data segment claiming 4 GiB of bytes", module([5, 3, 1, 0, 1], [11, 10, 1, 0, 0x41, 0, 0x0b, 0xff, 0xff, 0xff, 0xff, 0x0f])],
  ["a memory with min above max", module([5, 4, 1, 1, 4, 2])],
  ["the type section twice", module(TYPE_VOID, TYPE_VOID)],
  ["sections out of order (function before type)", module([3, 2, 1, 0], TYPE_VOID)],
  ["a custom section whose name length runs past it", module([0, 3, 0xff, 0xff, 0x0f])],
  ["a function body of size 0", module(TYPE_VOID, [3, 2, 1, 0], [10, 2, 1, 0])],
  ["a wrong magic number", new Uint8Array([0, 0x61, 0x73, 0x6e, 1, 0, 0, 0])],
  ["version 2", new Uint8Array([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0])],
];

for (const [label, bytes] of CASES) {
  test(`${label} is InvalidModule`, async () => {
    const runtime = new WasmSandboxRuntime();
    assert.is(await errorCode(runtime.loadPlugin("bad", bytes)), "InvalidModule");
    const ok = await runtime.loadPlugin("ok", await wat(`(module (func (export "one") (result i32) (i32.const 1)))`));
    assert.is(ok.callSync("one"), 1, "the runtime keeps serving");
  });
}

test.run();
