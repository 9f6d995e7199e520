// PluginOptions are grouped (wasi, isolation) and checked before anything
// loads: a key loadPlugin would ignore is refused, naming where it went.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { grant, WasmSandboxRuntime } from "../mod.ts";
import type { PluginOptions } from "../mod.ts";
import { memoryTree } from "../lib/wasi/mod.ts";
import { sandboxError } from "./_helpers/errors.ts";
import { wat } from "./_helpers/wat.ts";

const test = suite("plugin options");

// Prints argv[1] and the first environment entry, then reads /d/f.txt into stdout.
const ECHO = `(module
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $strlen (param $p i32) (result i32) (local $n i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $n))
  (func $print (param $p i32)
    (i32.store (i32.const 0) (local.get $p))
    (i32.store (i32.const 4) (call $strlen (local.get $p)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (drop (call $args_get (i32.const 100) (i32.const 200)))
    (call $print (i32.load (i32.const 104)))
    (drop (call $environ_get (i32.const 1000) (i32.const 1100)))
    (call $print (i32.load (i32.const 1000)))
    ;; stdin (fd 0) into 2000..2016, then out
    (i32.store (i32.const 16) (i32.const 2000))
    (i32.store (i32.const 20) (i32.const 16))
    (drop (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
    (i32.store (i32.const 0) (i32.const 2000))
    (i32.store (i32.const 4) (i32.load (i32.const 24)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`;

const WASI = () => ["wasi:args", "wasi:env", "wasi:stdio"].map((c) => grant(c));
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

test("the wasi group reaches the guest: argv, environment, stdin, streamed stdout", async () => {
  const streamed: string[] = [];
  const plugin = await new WasmSandboxRuntime().loadPlugin("echo", await wat(ECHO), {
    capabilities: WASI(),
    wasi: {
      args: ["echo", "first-arg"],
      env: { K: "v" },
      stdin: new TextEncoder().encode("from stdin"),
      onStdout: (chunk) => void streamed.push(text(chunk)),
      captureOutput: false,
    },
  });
  const result = await plugin.run();
  assert.is(streamed.join(""), "first-argK=vfrom stdin");
  assert.is(result.stdout.byteLength, 0, "captureOutput: false keeps nothing");
});

test("a 0.1 flat key is refused with InvalidArgument naming where it moved, and the runtime keeps serving", async () => {
  const runtime = new WasmSandboxRuntime();
  const bytes = await wat(ECHO);
  for (const [key, value, where] of [
    ["args", ["echo"], "wasi.args"],
    ["env", {}, "wasi.env"],
    ["stdin", new Uint8Array(0), "wasi.stdin"],
    ["preopens", [], "wasi.preopens"],
    ["onStdout", () => {}, "wasi.onStdout"],
    ["onStderr", () => {}, "wasi.onStderr"],
    ["captureOutput", false, "wasi.captureOutput"],
    ["timeoutMs", 1000, "isolation: { timeoutMs }"],
  ] as const) {
    const options = { capabilities: WASI(), [key]: value } as unknown as PluginOptions;
    const err = await sandboxError(runtime.loadPlugin("p", bytes, options));
    assert.is(err.code, "InvalidArgument", key);
    assert.ok(err.message.includes(`"${key}"`) && err.message.includes(where), err.message);
  }
  const misspelled = await sandboxError(runtime.loadPlugin("p", bytes, { capabilites: [] } as unknown as PluginOptions));
  assert.is(misspelled.code, "InvalidArgument");
  assert.match(misspelled.message, /"capabilites"/);
  assert.is(runtime.listPlugins().length, 0);
  const plugin = await runtime.loadPlugin("p", bytes, { capabilities: WASI(), wasi: { args: ["echo", "ok"] } });
  assert.match(text((await plugin.run()).stdout), /^ok/);
});

test("a malformed wasi or isolation group is InvalidArgument", async () => {
  const runtime = new WasmSandboxRuntime();
  const bytes = await wat(ECHO);
  const refused = async (options: unknown, pattern: RegExp) => {
    const err = await sandboxError(runtime.loadPlugin("p", bytes, options as PluginOptions));
    assert.is(err.code, "InvalidArgument");
    assert.match(err.message, pattern);
  };
  await refused(null, /must be an object/);
  await refused({ wasi: ["echo"] }, /wasi option must be an object/);
  await refused({ wasi: { argv: ["echo"] } }, /unknown wasi option "argv"/);
  await refused({ isolation: "worker" }, /isolation option must be an object/);
  await refused({ isolation: { mode: "threads" } }, /isolation\.mode must be/);
  await refused({ isolation: { mode: "worker", timeout: 5 } }, /unknown isolation option "timeout"/);
  await refused({ isolation: { mode: "in-process", timeoutMs: 1000 } }, /timeoutMs needs a worker/);
  assert.is(runtime.listPlugins().length, 0);
});

test("runtime settings override per plugin under their SandboxConfig names", async () => {
  const runtime = new WasmSandboxRuntime({ maxOutputBytes: 1 << 20 });
  const plugin = await runtime.loadPlugin("echo", await wat(ECHO), {
    capabilities: WASI(),
    maxOutputBytes: 4,
    wasi: { args: ["echo", "abcdefgh"], preopens: [{ guestPath: "/d", dir: memoryTree({}) }] },
  });
  const result = await plugin.run();
  assert.is(text(result.stdout), "abcd");
  assert.ok(result.stdoutTruncated);
});

test.run();
