import { test } from "uvu";
import * as assert from "uvu/assert";
import { importMemoriesAsShared, SHARED_MEMORY_MODULE } from "../../lib/wasm/shared_memory_import.ts";
import { instrument } from "../../lib/fuel/instrument.ts";
import { wat } from "../_helpers/wat.ts";

function sharedMemory(spec: { initial: number; maximum: number }): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: spec.initial, maximum: spec.maximum, shared: true });
}

test("importMemoriesAsShared() turns a defined memory into a shared import the host can see", async () => {
  const bytes = instrument(await wat(`(module
    (memory (export "memory") 2 10)
    (data (i32.const 8) "hi")
    (func (export "poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
    (func (export "grow") (result i32) (memory.grow (i32.const 1))))`), { fuel: false, maxMemoryPages: 8 });
  const { bytes: shared, memories } = importMemoriesAsShared(bytes);
  assert.equal(memories, [{ module: SHARED_MEMORY_MODULE, name: "memory0", initial: 2, maximum: 8 }]);
  assert.ok(WebAssembly.validate(shared as Uint8Array<ArrayBuffer>));
  const memory = sharedMemory(memories[0]);
  const { instance } = await WebAssembly.instantiate(shared as Uint8Array<ArrayBuffer>, { [SHARED_MEMORY_MODULE]: { memory0: memory } });
  const view = () => new Uint8Array(memory.buffer);
  assert.is(String.fromCharCode(view()[8], view()[9]), "hi", "data segments land in the imported memory");
  (instance.exports.poke as (p: number, v: number) => void)(100, 42);
  assert.is(view()[100], 42);
  assert.is(instance.exports.memory, memory, "the export is the host's memory");
  assert.is((instance.exports.grow as () => number)(), 2);
  assert.is(memory.buffer.byteLength, 3 * 65536);
});

test("importMemoriesAsShared() keeps function imports and makes imported memories shared", async () => {
  const bytes = instrument(await wat(`(module
    (import "env" "f" (func $f (param i32) (result i32)))
    (import "env" "mem" (memory 1 4))
    (func (export "call") (result i32) (call $f (i32.load (i32.const 0)))))`), { fuel: false, maxMemoryPages: 4 });
  const { bytes: shared, memories } = importMemoriesAsShared(bytes);
  assert.equal(memories, [{ module: "env", name: "mem", initial: 1, maximum: 4 }]);
  const memory = sharedMemory(memories[0]);
  new Int32Array(memory.buffer)[0] = 41;
  const { instance } = await WebAssembly.instantiate(shared as Uint8Array<ArrayBuffer>, { env: { mem: memory, f: (x: number) => x + 1 } });
  assert.is((instance.exports.call as () => number)(), 42);
});

test("importMemoriesAsShared() leaves a module without memory unchanged", async () => {
  const bytes = await wat(`(module (func (export "f") (result i32) (i32.const 1)))`);
  const result = importMemoriesAsShared(bytes);
  assert.is(result.bytes, bytes);
  assert.equal(result.memories, []);
});

test("importMemoriesAsShared() refuses a memory without a maximum (it must be capped first)", async () => {
  const bytes = await wat(`(module (memory 1))`);
  assert.throws(() => importMemoriesAsShared(bytes), /no maximum/);
});

test.run();
