import { test } from "uvu";
import * as assert from "uvu/assert";
import { E, Probe, runCommand } from "./_probe.ts";
import { SandboxError } from "../../lib/errors.ts";
import { WasiHost } from "../../lib/wasi/mod.ts";

const decoder = new TextDecoder();

/** A command that writes "hello\n" to stdout `times` times, then exits with `code`. */
function helloProgram(times: number, code: number): string {
  return `(module
    (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
    (memory (export "memory") 1)
    (data (i32.const 16) "hello\\n")
    (func (export "_start") (local $i i32)
      (i32.store (i32.const 0) (i32.const 16))
      (i32.store (i32.const 4) (i32.const 6))
      (block $done (loop $again
        (br_if $done (i32.ge_u (local.get $i) (i32.const ${times})))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $again)))
      (call $proc_exit (i32.const ${code}))))`;
}

test("runStart() returns the proc_exit code and captures stdout", async () => {
  const { wasi, code } = await runCommand(helloProgram(2, 7), { args: ["prog.wasm"] });
  assert.is(code, 7);
  assert.is(decoder.decode(wasi.stdoutBytes()), "hello\nhello\n");
  assert.is(wasi.outputTruncated, false);
});

test("runStart() rethrows a real trap", async () => {
  const source = `(module (memory (export "memory") 1) (func (export "_start") unreachable))`;
  try {
    await runCommand(source, {});
    assert.unreachable("should have trapped");
  } catch (err) {
    assert.instance(err, WebAssembly.RuntimeError);
  }
});

test("stdout is capped at maxBytes and streamed through onData", async () => {
  const chunks: string[] = [];
  const { wasi, code } = await runCommand(helloProgram(5, 0), {
    stdout: { maxBytes: 15, onData: (chunk) => chunks.push(decoder.decode(chunk)) },
  });
  assert.is(code, 0);
  assert.is(decoder.decode(wasi.stdoutBytes()), "hello\nhello\nhel");
  assert.equal(chunks, ["hello\n", "hello\n", "hel"]);
  assert.is(wasi.outputTruncated, true);
});

test("args_sizes_get() counts UTF-8 bytes, not UTF-16 units", async () => {
  const probe = await Probe.create({ args: ["prog", "héllo", "😀"] });
  assert.is(probe.fn.args_sizes_get!(0, 4), E.SUCCESS);
  assert.is(probe.view.getUint32(0, true), 3);
  // "prog\0" 5 + "héllo\0" 7 + "😀\0" 5
  assert.is(probe.view.getUint32(4, true), 17);
  assert.is(probe.fn.args_get!(100, 200), E.SUCCESS);
  const third = probe.view.getUint32(108, true);
  assert.is(decoder.decode(probe.bytes.slice(third, third + 4)), "😀");
  assert.is(probe.bytes[third + 4], 0);
});

test("environ_get() exposes only the variables the host passed", async () => {
  const probe = await Probe.create({ env: { K: "V", "ÜNI": "ç" } });
  assert.is(probe.fn.environ_sizes_get!(0, 4), E.SUCCESS);
  assert.is(probe.view.getUint32(0, true), 2);
  assert.is(probe.view.getUint32(4, true), 4 + 8); // "K=V\0" + "ÜNI=ç\0" (Ü and ç are two bytes each)
  assert.is(probe.fn.environ_get!(100, 200), E.SUCCESS);
  const strings = decoder.decode(probe.bytes.slice(200, 212)).split("\0");
  assert.equal(strings, ["K=V", "ÜNI=ç", ""]);
});

test("WasiHost refuses NUL in args and '=' in env names", () => {
  assert.throws(() => new WasiHost({ args: ["a\0b"] }), (err: unknown) => err instanceof SandboxError && err.code === "InvalidArgument");
  assert.throws(() => new WasiHost({ env: { "A=B": "x" } }), (err: unknown) => err instanceof SandboxError && err.code === "InvalidArgument");
});

test("fd_read() on stdin returns the host's bytes, then EOF", async () => {
  const probe = await Probe.create({ stdin: new TextEncoder().encode("line one\n") });
  assert.equal(probe.read(0, 4), { errno: E.SUCCESS, text: "line" });
  assert.equal(probe.read(0), { errno: E.SUCCESS, text: " one\n" });
  assert.equal(probe.read(0), { errno: E.SUCCESS, text: "" });
});

test("fd_write() to stdin and fd_read() from stdout fail with BADF", async () => {
  const probe = await Probe.create({});
  assert.is(probe.write(9, "x").errno, E.BADF);
  assert.is(probe.read(1).errno, E.BADF);
});

test("proc_raise and sock_* return an errno instead of throwing", async () => {
  const probe = await Probe.create({});
  assert.is(probe.fn.proc_raise!(9), E.NOSYS);
  assert.is(probe.fn.sock_shutdown!(1, 0), E.NOTSOCK);
  assert.is(probe.fn.sock_shutdown!(77, 0), E.BADF);
  assert.is(probe.fn.sock_recv!(0, 0, 0, 0, 0, 0), E.NOTSOCK);
  assert.is(probe.fn.sock_send!(1, 0, 0, 0, 0), E.NOTSOCK);
  assert.is(probe.fn.sock_accept!(2, 0, 0), E.NOTSOCK);
});

test.run();
