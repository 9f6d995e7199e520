import { suite } from "uvu";
import * as assert from "uvu/assert";
import { grant, type SandboxError, WasmSandboxRuntime } from "../mod.ts";
import { memoryTree } from "../lib/wasi/mod.ts";
import { wat } from "./_helpers/wat.ts";

const test = suite("runtime with WASI");

const HELLO = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello\\n")
  (global $code (mut i32) (i32.const 3))
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $exit (global.get $code)))
  (func (export "write_to") (param $fd i32) (result i32)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 6))
    (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))`;

const stdio = () => [grant("wasi:stdio"), grant("wasi:proc")];
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

test("run() executes _start and returns exit code and captured output", async () => {
  const plugin = await new WasmSandboxRuntime().loadPlugin("hello", await wat(HELLO), { capabilities: stdio() });
  const result = await plugin.run();
  assert.is(result.exitCode, 3);
  assert.is(text(result.stdout), "hello\n");
  assert.is(plugin.state, "Terminated");
  assert.is((await plugin.run().catch((e: SandboxError) => e.code)), "InvalidState");
  await plugin.reset();
  assert.is((await plugin.run()).exitCode, 3);
});

test("stdout streams to the callback and is capped", async () => {
  const chunks: string[] = [];
  const plugin = await new WasmSandboxRuntime({ maxOutputBytes: 4 }).loadPlugin("hello", await wat(HELLO), {
    capabilities: stdio(),
    wasi: { onStdout: (c) => chunks.push(text(c)) },
  });
  const result = await plugin.run();
  assert.is(text(result.stdout), "hell");
  assert.equal(chunks.join(""), "hell");
});

test("WASI areas are refused per call: without wasi:stdio the module loads and fd_write gets NOTCAPABLE, audited as denied", async () => {
  const records: string[] = [];
  const plugin = await new WasmSandboxRuntime().loadPlugin("a", await wat(HELLO), {
    capabilities: [grant("wasi:proc")],
    recorder: { record: (e) => records.push(`${e.function}:${e.capability}:${e.decision}:${e.result}`) },
  });
  assert.is(plugin.callSync("write_to", 1), 76);
  assert.equal(records, ["fd_write:wasi:stdio:deny:76"]);
});

test("a descriptor that is not open is BADF whatever is granted, never NOTCAPABLE", async () => {
  for (const capabilities of [[grant("wasi:proc")], stdio(), [grant("wasi:fs"), grant("wasi:proc")]]) {
    const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(HELLO), { capabilities });
    assert.is(plugin.callSync("write_to", 7), 8, "errno BADF");
  }
});

test("without wasi:args, args_get links and answers NOTCAPABLE", async () => {
  const guest = `(module
    (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
    (memory (export "memory") 1)
    (func (export "sizes") (result i32) (call $sizes (i32.const 0) (i32.const 4))))`;
  const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(guest), { capabilities: [] });
  assert.is(plugin.callSync("sizes"), 76);
});

test("wasi:fs alone does not open stdout: the fd decides the capability", async () => {
  const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(HELLO), {
    capabilities: [grant("wasi:fs"), grant("wasi:proc")],
  });
  assert.is(plugin.callSync("write_to", 1), 76);
});

test("host calls are recorded: WASI included, with the capability used", async () => {
  const records: string[] = [];
  const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(HELLO), {
    capabilities: stdio(),
    recorder: { record: (e) => records.push(`${e.function}:${e.capability}:${e.decision}`) },
  });
  await plugin.run();
  assert.equal(records, ["fd_write:wasi:stdio:allow", "proc_exit:wasi:proc:allow"]);
  assert.is(plugin.stats().hostCalls, 2);
});

const CAT = `(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "note.txt")
  ;; opens note.txt in preopen fd 3 and returns the number of bytes read, or -errno
  (func (export "cat") (result i32) (local $err i32)
    (local.set $err (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 8)
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 200)))
    (if (local.get $err) (then (return (i32.sub (i32.const 0) (local.get $err)))))
    (i32.store (i32.const 0) (i32.const 300))
    (i32.store (i32.const 4) (i32.const 64))
    (drop (call $read (i32.load (i32.const 200)) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.load (i32.const 8))))`;

test("a preopened in-memory tree is readable with wasi:fs", async () => {
  const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(CAT), {
    capabilities: [grant("wasi:fs")],
    wasi: { preopens: [{ guestPath: "/data", dir: memoryTree({ "note.txt": "top secret" }) }] },
  });
  assert.is(plugin.callSync("cat"), 10);
  assert.is(plugin.memory.readUtf8(300, 10), "top secret");
});

test("deterministic mode: two runs read identical clocks and random bytes", async () => {
  const source = `(module
    (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
    (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
    (memory (export "memory") 1)
    (func (export "sample") (result i64)
      (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 0)))
      (drop (call $random (i32.const 8) (i32.const 8)))
      (i64.xor (i64.load (i32.const 0)) (i64.load (i32.const 8)))))`;
  const samples = [];
  for (let i = 0; i < 2; i++) {
    const plugin = await new WasmSandboxRuntime({ deterministic: true }).loadPlugin("p", await wat(source), {
      capabilities: [grant("wasi:clock"), grant("wasi:random")],
    });
    samples.push(plugin.callSync("sample"));
  }
  assert.is(samples[0], samples[1]);
});

test("a module that imports no WASI runs without it", async () => {
  const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(`(module (func (export "f") (result i32) (i32.const 7)))`));
  assert.is(plugin.callSync("f"), 7);
  assert.is((await plugin.run().catch((e: SandboxError) => e.code)), "InvalidArgument");
});

test("an argument or env value that is not valid Unicode is InvalidArgument, and the runtime keeps serving", async () => {
  const runtime = new WasmSandboxRuntime();
  const bytes = await wat(HELLO);
  const bad = await runtime.loadPlugin("bad", bytes, { capabilities: stdio(), wasi: { args: ["p", "\uD800oops"] } }).catch((e) => e);
  assert.is(bad.code, "InvalidArgument");
  const badEnv = await runtime.loadPlugin("bad2", bytes, { capabilities: stdio(), wasi: { env: { K: "\uDC00" } } }).catch((e) => e);
  assert.is(badEnv.code, "InvalidArgument");
  const good = await runtime.loadPlugin("good", bytes, { capabilities: stdio(), wasi: { args: ["p", "emoji \u{1F600}"] } });
  assert.is((await good.run()).exitCode, 3);
});

test.run();
