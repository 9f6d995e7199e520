import { suite } from "uvu";
import * as assert from "uvu/assert";
import { grant, type SandboxError, WasmSandboxRuntime } from "../../mod.ts";
import { errorCode, sandboxError } from "../_helpers/errors.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("bad modules");

const GOOD = `(module (func (export "one") (result i32) (i32.const 1)))`;

test("random bytes are InvalidModule and the runtime keeps serving", async () => {
  const runtime = new WasmSandboxRuntime();
  let seed = 12345;
  for (let i = 0; i < 20; i++) {
    const bytes = new Uint8Array(64).map(() => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff);
    assert.is(await errorCode(runtime.loadPlugin(`r${i}`, bytes)), "InvalidModule");
  }
  const ok = await runtime.loadPlugin("ok", await wat(GOOD));
  assert.is(await ok.call("one"), 1);
});

test("a truncated module is InvalidModule", async () => {
  const bytes = await wat(GOOD);
  for (let cut = 1; cut < bytes.length; cut += 3) {
    assert.is(await errorCode(new WasmSandboxRuntime().loadPlugin("t", bytes.slice(0, cut))), "InvalidModule");
  }
});

test("unknown imports are InvalidModule, naming them", async () => {
  const bytes = await wat(`(module (import "env" "launch_missiles" (func)) (import "mystery" "x" (func)))`);
  try {
    await new WasmSandboxRuntime().loadPlugin("u", bytes);
    assert.unreachable();
  } catch (e) {
    assert.is((e as SandboxError).code, "InvalidModule");
    assert.match((e as SandboxError).message, /env\.launch_missiles, mystery\.x/);
  }
});

test("a module over maxModuleBytes is refused before compiling", async () => {
  const bytes = await wat(GOOD);
  assert.is(await errorCode(new WasmSandboxRuntime({ maxModuleBytes: bytes.length - 1 }).loadPlugin("big", bytes)), "InvalidModule");
});

test("an empty or non-string plugin id is refused", async () => {
  const bytes = await wat(GOOD);
  assert.is(await errorCode(new WasmSandboxRuntime().loadPlugin("", bytes)), "InvalidArgument");
});

test("passing a string to a plugin without an allocator is a clear InvalidArgument", async () => {
  const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(`(module (memory (export "memory") 1)
    (func (export "f") (param i32 i32) (result i32) (local.get 1)))`));
  try {
    await plugin.call("f", "hello");
    assert.unreachable();
  } catch (e) {
    assert.is((e as SandboxError).code, "InvalidArgument");
    assert.match((e as SandboxError).message, /allocator/);
  }
});

test("a host function imported with the wrong signature is InvalidModule, naming both signatures", async () => {
  const bytes = await wat(`(module (import "soch" "soch_read" (func (param i32) (result i32))))`);
  const e = await sandboxError(new WasmSandboxRuntime().loadPlugin("sig", bytes, { capabilities: [grant("soch:read")] }));
  assert.is(e.code, "InvalidModule");
  assert.match(e.message, /soch\.soch_read \(i32\) -> \(i32\) \(the host's is \(i32, i32, i32, i32\) -> \(i64\)\)/);
});

test("a valid function with 50,000 locals is InvalidModule saying why, not a bug report", async () => {
  const bytes = await wat(`(module (func (export "f") (local ${"i32 ".repeat(50_000)})))`);
  const e = await sandboxError(new WasmSandboxRuntime({ fuel: 1000n }).loadPlugin("locals", bytes));
  assert.is(e.code, "InvalidModule");
  assert.match(e.message, /limit of 50000 locals per function/);
  assert.not.match(e.message, /bug/);
});

test("an invalid module is InvalidModule with the engine's reason, before any other check", async () => {
  // Invalid (global 0 does not exist) and also over the memory limit: the engine's verdict comes first.
  const bytes = new Uint8Array([
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    1, 4, 1, 0x60, 0, 0, // type: () -> ()
    3, 2, 1, 0, // one function
    5, 4, 1, 0, 0xe8, 0x07, // memory of 1000 pages
    10, 8, 1, 6, 0, 0x42, 1, 0x24, 0, 0x0b, // body: i64.const 1; global.set 0; end
  ]);
  const e = await sandboxError(new WasmSandboxRuntime({ maxMemoryPages: 10, fuel: 1000n }).loadPlugin("bad", bytes));
  assert.is(e.code, "InvalidModule");
  assert.match(e.message, /^not a valid WebAssembly module: .*global/i);
});

test.run();
