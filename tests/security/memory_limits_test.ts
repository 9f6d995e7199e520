import { suite } from "uvu";
import * as assert from "uvu/assert";
import { WasmSandboxRuntime } from "../../mod.ts";
import { errorCode } from "../_helpers/errors.ts";
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

test.run();
