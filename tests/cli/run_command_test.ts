import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { main } from "../../lib/cli/main.ts";
import { fakeTerminal } from "../_helpers/fake_terminal.ts";
import { tempDir } from "../_helpers/temp.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("cli run");

// A WASI command: prints argv (space-separated) and $GREETING, copies /in/a.txt to /out/b.txt, exits with argc.
const COMMAND = `(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  ;; argv pointers at 1000, argv buffer at 2000, iovec at 0, nwritten at 8
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start") (local $argc i32) (local $size i32)
    (drop (call $args_sizes (i32.const 16) (i32.const 20)))
    (local.set $argc (i32.load (i32.const 16)))
    (local.set $size (i32.load (i32.const 20)))
    (drop (call $args_get (i32.const 1000) (i32.const 2000)))
    (call $write (i32.const 2000) (local.get $size))
    (call $exit (local.get $argc))))`;

async function command(dir: string): Promise<string> {
  const path = `${dir}/prog.wasm`;
  writeFileSync(path, await wat(COMMAND));
  return path;
}

async function cli(args: string[]) {
  const terminal = fakeTerminal(args);
  const code = await main(terminal, "test");
  return { code, stdout: terminal.stdout(), stderr: terminal.stderr() };
}

test("argv[0] is the file name, ARGS follow, and the exit code is the plugin's", async () => {
  const prog = await command(await tempDir());
  const { code, stdout } = await cli(["run", prog, "--", "one", "two"]);
  assert.is(stdout, "prog.wasm\0one\0two\0");
  assert.is(code, 3);
});

test("arguments after FILE pass through even without --", async () => {
  const prog = await command(await tempDir());
  const { stdout } = await cli(["run", prog, "x", "--not-a-flag"]);
  assert.is(stdout, "prog.wasm\0x\0--not-a-flag\0");
});

test("a missing file prints error[NotFound] and exits 125", async () => {
  const { code, stderr } = await cli(["run", "/no/such/file.wasm"]);
  assert.is(code, 125);
  assert.match(stderr, /^error\[NotFound\]: /);
});

test("a trapping plugin prints error[Trap] and exits 125", async () => {
  const dir = await tempDir();
  writeFileSync(`${dir}/trap.wasm`, await wat(`(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
    (func (export "_start") unreachable))`));
  const { code, stderr } = await cli(["run", `${dir}/trap.wasm`]);
  assert.is(code, 125);
  assert.match(stderr, /^error\[Trap\]: .*unreachable/);
});

test("unknown flags and capabilities are InvalidArgument", async () => {
  const prog = await command(await tempDir());
  assert.match((await cli(["run", "--frobnicate", prog])).stderr, /error\[InvalidArgument\]: unknown flag --frobnicate/);
  assert.match((await cli(["run", "--allow", "root:everything", prog])).stderr, /unknown capability/);
});

test("--deny removes a default capability: the program still links, and its calls are refused one by one", async () => {
  const dir = await tempDir();
  const prog = await command(dir);
  const { code, stdout } = await cli(["run", "--deny", "wasi:args", "--stats-json", `${dir}/stats.json`, prog]);
  assert.is(code, 0, "args_sizes_get answered NOTCAPABLE, so argc stayed 0");
  assert.is(stdout, "");
  const stats = JSON.parse(readFileSync(`${dir}/stats.json`, "utf8"));
  assert.is(stats.deniedHostCalls, 2, "args_sizes_get and args_get");
});

test("--stats-json writes the summary", async () => {
  const dir = await tempDir();
  const prog = await command(dir);
  await cli(["run", "--stats-json", `${dir}/stats.json`, prog]);
  const stats = JSON.parse(readFileSync(`${dir}/stats.json`, "utf8"));
  assert.is(stats.exitCode, 1);
  assert.is(stats.hostCalls, 4);
  assert.ok(stats.wallTimeMs >= 0);
});

test("--dir mounts a host directory; read-write changes are written back at exit", async () => {
  const dir = await tempDir();
  mkdirSync(`${dir}/data`);
  writeFileSync(`${dir}/data/in.txt`, "abc");
  // Renames /data/in.txt to /data/out.txt through WASI.
  const renamer = `(module
    (import "wasi_snapshot_preview1" "path_rename" (func $rename (param i32 i32 i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (data (i32.const 0) "in.txt")
    (data (i32.const 16) "out.txt")
    (func (export "_start")
      (call $exit (call $rename (i32.const 3) (i32.const 0) (i32.const 6) (i32.const 3) (i32.const 16) (i32.const 7)))))`;
  writeFileSync(`${dir}/rename.wasm`, await wat(renamer));
  const ro = await cli(["run", "--dir", `${dir}/data::/data:ro`, `${dir}/rename.wasm`]);
  assert.is(ro.code, 69, "ROFS on a read-only mount");
  const rw = await cli(["run", "--dir", `${dir}/data::/data`, `${dir}/rename.wasm`]);
  assert.is(rw.code, 0);
  assert.is(readFileSync(`${dir}/data/out.txt`, "utf8"), "abc");
});

test("inspect lists imports with their capabilities", async () => {
  const prog = await command(await tempDir());
  const { code, stdout } = await cli(["inspect", prog]);
  assert.is(code, 0);
  assert.match(stdout, /args_get\s+needs wasi:args/);
  assert.match(stdout, /fd_write\s+needs wasi:stdio \(stdio fds\) or wasi:fs \(files and directories\)/);
  const json = JSON.parse((await cli(["inspect", "--json", prog])).stdout);
  assert.is(json.memories[0].min, 1);
});

test("inspect of random bytes is error[InvalidModule]", async () => {
  const dir = await tempDir();
  writeFileSync(`${dir}/junk.wasm`, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
  const { code, stderr } = await cli(["inspect", `${dir}/junk.wasm`]);
  assert.is(code, 125);
  assert.match(stderr, /^error\[InvalidModule\]/);
});

test("--invoke calls an export with numeric arguments and prints the result", async () => {
  const dir = await tempDir();
  writeFileSync(`${dir}/math.wasm`, await wat(`(module
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    (func (export "big") (param i64) (result i64) (i64.mul (local.get 0) (i64.const 2))))`));
  const add = await cli(["run", "--invoke", "add", `${dir}/math.wasm`, "--", "40", "2"]);
  assert.is(add.stdout, "42\n");
  assert.is(add.code, 0);
  assert.is((await cli(["run", "--invoke", "big", `${dir}/math.wasm`, "21n"])).stdout, "42\n");
  assert.match((await cli(["run", "--invoke", "add", `${dir}/math.wasm`, "x", "1"])).stderr, /error\[InvalidArgument\]/);
  assert.match((await cli(["run", "--invoke", "nope", `${dir}/math.wasm`])).stderr, /error\[NotFound\]/);
});

test.run();
