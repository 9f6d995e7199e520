import { suite } from "uvu";
import * as assert from "uvu/assert";
import { writeFileSync } from "node:fs";
import { main } from "../../lib/cli/main.ts";
import { fakeTerminal } from "../_helpers/fake_terminal.ts";
import { tempDir } from "../_helpers/temp.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("cli exec flags");

async function cli(args: string[]) {
  const terminal = fakeTerminal(args);
  const code = await main(terminal, "test");
  return { code, stdout: terminal.stdout(), stderr: terminal.stderr() };
}

// Runs the JSON request found in argv[1] and prints the raw response (or exits with -code).
const RUNNER = `(module
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "platform_sandbox" "sandbox_exec" (func $exec (param i32 i32 i32 i32) (result i64)))
  (memory (export "memory") 4)
  (func $strlen (param $p i32) (result i32) (local $n i32)
    (block $d (loop $l (br_if $d (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
      (local.set $n (i32.add (local.get $n) (i32.const 1))) (br $l))) (local.get $n))
  (func (export "_start") (local $req i32) (local $n i64)
    (drop (call $sizes (i32.const 0) (i32.const 4)))
    (drop (call $args_get (i32.const 16) (i32.const 1024)))
    (local.set $req (i32.load (i32.const 20)))
    (local.set $n (call $exec (local.get $req) (call $strlen (local.get $req)) (i32.const 65536) (i32.const 65536)))
    (if (i64.lt_s (local.get $n) (i64.const 0)) (then (call $exit (i32.wrap_i64 (i64.sub (i64.const 0) (local.get $n))))))
    (i32.store (i32.const 8) (i32.const 65536))
    (i32.store (i32.const 12) (i32.wrap_i64 (local.get $n)))
    (drop (call $fd_write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 4)))
    (call $exit (i32.const 0))))`;

async function runner() {
  const dir = await tempDir();
  writeFileSync(`${dir}/runner.wasm`, await wat(RUNNER));
  return { dir, wasm: `${dir}/runner.wasm` };
}

test("--allow-exec grants sandbox:exec with a policy; other commands are denied", async () => {
  const { dir, wasm } = await runner();
  const ok = await cli(["run", "--allow-exec", "echo", "--exec-cwd", dir, "--exec-isolation", "none", wasm, JSON.stringify({ command: "echo", args: ["hi"] })]);
  assert.is(ok.code, 0, ok.stderr);
  assert.is(JSON.parse(ok.stdout).stdout, "hi\n");
  const denied = await cli(["run", "--allow-exec", "echo", "--exec-cwd", dir, "--exec-isolation", "none", wasm, JSON.stringify({ command: "ls" })]);
  assert.is(denied.code, 2, "PERMISSION_DENIED");
  assert.match(denied.stderr, /sandbox_exec "ls" denied: .*allowed commands/);
});

test("--block-exec wins over --allow-exec", async () => {
  const { dir, wasm } = await runner();
  const r = await cli(["run", "--allow-exec", "echo", "--block-exec", "echo", "--exec-cwd", dir, "--exec-isolation", "none", wasm, JSON.stringify({ command: "echo" })]);
  assert.is(r.code, 2);
});

test("without --allow-exec the import is refused at load", async () => {
  const { wasm } = await runner();
  const r = await cli(["run", wasm, "{}"]);
  assert.is(r.code, 125);
  assert.match(r.stderr, /CapabilityDenied.*sandbox:exec/);
});

test("a bad --exec-isolation is InvalidArgument", async () => {
  const { wasm } = await runner();
  const r = await cli(["run", "--allow-exec", "echo", "--exec-isolation", "chroot", wasm]);
  assert.match(r.stderr, /error\[InvalidArgument\]: --exec-isolation/);
});

test.run();
