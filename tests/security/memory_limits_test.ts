import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type SandboxError, WasmSandboxRuntime } from "../../mod.ts";
import { errorCode, sandboxError } from "../_helpers/errors.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("memory and table limits at load");

test("an initial memory above maxMemoryPages is MemoryLimit", async () => {
  const bytes = await wat(`(module (memory 300))`);
  assert.is(await errorCode(new WasmSandboxRuntime({ maxMemoryPages: 256 }).loadPlugin("m", bytes)), "MemoryLimit");
});

test("a shared memory is refused unless allowed", async () => {
  // (module (memory 1 2 shared)), hand-assembled: wabt's validator does not accept shared memories.
  const bytes = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 4, 1, 3, 1, 2]);
  assert.is(await errorCode(new WasmSandboxRuntime().loadPlugin("s", bytes)), "InvalidModule");
  await new WasmSandboxRuntime({ allowSharedMemory: true }).loadPlugin("s", bytes);
});

test("an imported memory is created with the limit, and grow past it returns -1", async () => {
  const bytes = await wat(`(module (import "env" "memory" (memory 1))
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`);
  const plugin = await new WasmSandboxRuntime({ maxMemoryPages: 4 }).loadPlugin("i", bytes);
  assert.is(plugin.callSync("grow", 3), 1);
  assert.is(plugin.callSync("grow", 1), -1);
  assert.is(plugin.memory.byteLength, 4 * 65536);
});

test("a table above maxTableElements is MemoryLimit", async () => {
  const bytes = await wat(`(module (table 5000 funcref))`);
  assert.is(await errorCode(new WasmSandboxRuntime({ maxTableElements: 1000 }).loadPlugin("t", bytes)), "MemoryLimit");
});

test("importing a global or table is InvalidModule", async () => {
  assert.is(await errorCode(new WasmSandboxRuntime().loadPlugin("g", await wat(`(module (import "env" "g" (global i32)))`))), "InvalidModule");
  assert.is(await errorCode(new WasmSandboxRuntime().loadPlugin("t", await wat(`(module (import "env" "t" (table 1 funcref)))`))), "InvalidModule");
});

test("many tables cannot multiply maxTableElements: their total is capped (MemoryLimit naming the option)", async () => {
  // 40 tables of 100,000 elements each, every one within the default cap.
  const tables = Array.from({ length: 40 }, () => "(table 100000 funcref)").join(" ");
  const err = await sandboxError(new WasmSandboxRuntime().loadPlugin("t", await wat(`(module ${tables})`)));
  assert.is(err.code, "MemoryLimit");
  assert.match(err.message, /maxTableElements/);
  assert.match(err.message, /4000000 elements together/);
});

test("tables that fit together still load, and the ones without a maximum share what is left", async () => {
  const bytes = await wat(`(module (table $a 300 300 funcref) (table $b 200 externref)
    (func (export "grow_b") (param i32) (result i32) (table.grow $b (ref.null extern) (local.get 0))))`);
  const plugin = await new WasmSandboxRuntime({ maxTableElements: 1000 }).loadPlugin("t", bytes);
  assert.is(plugin.callSync("grow_b", 500), 200);
  assert.is(plugin.callSync("grow_b", 1), -1, "300 + 700 is the whole cap");
});

// Multi-memory: Deno 2.9's V8 accepts it, Node 20's does not (there the
// engine's refusal comes first, as InvalidModule).
async function multiMemory(source: string, runtime: WasmSandboxRuntime): Promise<SandboxError | undefined> {
  const bytes = await wat(source);
  const accepted = WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>);
  const err = await sandboxError(runtime.loadPlugin("mm", bytes));
  if (!accepted) {
    assert.is(err.code, "InvalidModule", err.message);
    return undefined;
  }
  return err;
}

test("many memories cannot multiply maxMemoryPages: their total is capped", async () => {
  const memories = Array.from({ length: 20 }, () => "(memory 256)").join(" ");
  const err = await multiMemory(`(module ${memories})`, new WasmSandboxRuntime({ maxMemoryPages: 4096 }));
  if (err === undefined) return;
  assert.is(err.code, "MemoryLimit");
  assert.match(err.message, /5120 pages together/);
  assert.match(err.message, /--max-memory/);
});

test("an imported memory counts towards the total", async () => {
  const err = await multiMemory(
    `(module (import "env" "memory" (memory 3)) (memory 2))`,
    new WasmSandboxRuntime({ maxMemoryPages: 4 }),
  );
  if (err === undefined) return;
  assert.is(err.code, "MemoryLimit");
  assert.match(err.message, /5 pages together/);
});

test.run();
