// `wasm-sandbox run` runs what `wasmtime run` runs, with no extra flags.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { writeFileSync } from "node:fs";
import { main } from "../../lib/cli/main.ts";
import { fakeTerminal } from "../_helpers/fake_terminal.ts";
import { tempDir } from "../_helpers/temp.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("cli: runs like wasmtime run");

async function cli(args: string[]) {
  const terminal = fakeTerminal(args);
  const code = await main(terminal, "test");
  return { code, stdout: terminal.stdout(), stderr: terminal.stderr() };
}

async function file(name: string, source: string): Promise<string> {
  const path = `${await tempDir()}/${name}`;
  writeFileSync(path, await wat(source));
  return path;
}

// No imports at all: a freestanding command.
const SPIN = `(module (func (export "_start") (loop $l br $l)))`;
const RETURNS = `(module (memory (export "memory") 1) (func (export "_start") (i32.store (i32.const 0) (i32.const 1))))`;
const TRAPS = `(module (func (export "_start") unreachable))`;

test("a module with _start and no imports runs and exits 0", async () => {
  const { code, stderr } = await cli(["run", await file("bare.wasm", RETURNS)]);
  assert.is(stderr, "");
  assert.is(code, 0);
});

test("a _start-only module under --fuel ends in OutOfFuel", async () => {
  const { code, stderr } = await cli(["run", "--fuel", "100000", await file("spin.wasm", SPIN)]);
  assert.is(code, 125);
  assert.match(stderr, /^error\[OutOfFuel\]/);
});

test("a _start-only module that traps reports the trap", async () => {
  const { code, stderr } = await cli(["run", await file("trap.wasm", TRAPS)]);
  assert.is(code, 125);
  assert.match(stderr, /^error\[Trap\]/);
});

test("a C-style program importing path_open runs without --dir: the import links, fd 3 is BADF", async () => {
  // What wasi-libc does at start: walk the preopens from fd 3 until BADF, then exit 0 if it saw BADF.
  const source = `(module
    (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (func (export "_start")
      (if (i32.ne (call $prestat (i32.const 3) (i32.const 0)) (i32.const 8)) (then (call $exit (i32.const 71))))
      (call $exit (call $open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 16)))))`;
  const { code, stderr } = await cli(["run", await file("libc_like.wasm", source)]);
  assert.is(stderr, "");
  assert.is(code, 8, "path_open on fd 3 (not open) answers BADF");
});

// Asks for 300 pages (18.75 MiB) at start: over the old 16 MiB default, under the new 256 MiB one.
const BIG_START = `(module (memory (export "memory") 300) (func (export "_start")))`;

test("the default memory cap runs a program that declares more than 16 MiB", async () => {
  const { code, stderr } = await cli(["run", await file("big.wasm", BIG_START)]);
  assert.is(stderr, "");
  assert.is(code, 0);
});

test("--max-memory takes human sizes; the limit error names the option and both flags", async () => {
  const big = await file("big.wasm", BIG_START);
  assert.is((await cli(["run", "--max-memory", "32MiB", big])).code, 0);
  const refused = await cli(["run", "--max-memory", "16MiB", big]);
  assert.is(refused.code, 125);
  assert.match(refused.stderr, /^error\[MemoryLimit\]/);
  assert.match(refused.stderr, /maxMemoryPages/);
  assert.match(refused.stderr, /--max-memory/);
  for (const bad of ["12 parsecs", "1.5GiB", "-1", "100000" /* not whole pages */]) {
    assert.match((await cli(["run", "--max-memory", bad, big])).stderr, /^error\[InvalidArgument\]: --max-memory/, bad);
  }
  assert.match((await cli(["run", "--max-memory", "1GiB", "--max-memory-pages", "10", big])).stderr, /not both/);
});

test("--allow sandbox:exec with --allow-exec yields the policy the flags describe", async () => {
  const source = `(module
    (import "platform_sandbox" "sandbox_exec" (func $exec (param i32 i32 i32 i32) (result i64)))
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (data (i32.const 0) "{\\"command\\":\\"true\\"}")
    (func (export "_start") (local $n i64)
      (local.set $n (call $exec (i32.const 0) (i32.const 18) (i32.const 1024) (i32.const 4096)))
      (call $exit (select (i32.const 0) (i32.wrap_i64 (i64.sub (i64.const 0) (local.get $n))) (i64.ge_s (local.get $n) (i64.const 0))))))`;
  const wasm = await file("exec.wasm", source);
  const dir = await tempDir();
  const both = await cli(["run", "--allow", "sandbox:exec", "--allow-exec", "true", "--exec-cwd", dir, "--exec-isolation", "none", wasm]);
  assert.is(both.code, 0, both.stderr);
  const bare = await cli(["run", "--allow", "sandbox:exec", wasm]);
  assert.is(bare.code, 125);
  assert.match(bare.stderr, /^error\[InvalidArgument\]: --allow sandbox:exec needs --allow-exec/);
  const orphan = await cli(["run", "--exec-timeout", "5", wasm]);
  assert.match(orphan.stderr, /^error\[InvalidArgument\]: --exec-timeout only apply with --allow-exec/);
});

test.run();
