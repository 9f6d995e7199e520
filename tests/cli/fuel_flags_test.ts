import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, writeFileSync } from "node:fs";
import { main } from "../../lib/cli/main.ts";
import { defaultSandboxConfig } from "../../lib/config.ts";
import { prepareOptionsFrom, rewriteModule } from "../../lib/module/prepare.ts";
import { DEPTH_GLOBAL_EXPORT, FUEL_GLOBAL_EXPORT } from "../../lib/fuel/mod.ts";
import { fakeTerminal } from "../_helpers/fake_terminal.ts";
import { tempDir } from "../_helpers/temp.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("cli --fuel, --max-stack-depth, instrument");

async function cli(args: string[]) {
  const terminal = fakeTerminal(args);
  const code = await main(terminal, "test");
  return { code, stdout: terminal.stdout(), stderr: terminal.stderr() };
}

const SPIN = `(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
  (func $r (param i32) (result i32) (call $r (local.get 0)))
  (func (export "_start") (loop $l (br $l)))
  (func (export "recurse") (result i32) (call $r (i32.const 0))))`;

test("--fuel ends an infinite loop with error[OutOfFuel] and exit 125", async () => {
  const dir = await tempDir();
  writeFileSync(`${dir}/spin.wasm`, await wat(SPIN));
  const { code, stderr } = await cli(["run", "--fuel", "100000", `${dir}/spin.wasm`]);
  assert.is(code, 125);
  assert.match(stderr, /^error\[OutOfFuel\]/);
});

test("--max-stack-depth turns runaway recursion into error[StackOverflow]", async () => {
  const dir = await tempDir();
  writeFileSync(`${dir}/spin.wasm`, await wat(SPIN));
  const { code, stderr } = await cli(["run", "--max-stack-depth", "100", "--invoke", "recurse", `${dir}/spin.wasm`]);
  assert.is(code, 125);
  assert.match(stderr, /^error\[StackOverflow\]/);
});

test("--stats shows the fuel consumed", async () => {
  const dir = await tempDir();
  writeFileSync(`${dir}/add.wasm`, await wat(`(module (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1))))`));
  const { stderr, stdout } = await cli(["run", "--fuel", "1000", "--stats", "--invoke", "add", `${dir}/add.wasm`, "1", "2"]);
  assert.is(stdout, "3\n");
  assert.match(stderr, /fuel used:\s+\d+/);
});

test("instrument writes a standalone metered module exporting its fuel global", async () => {
  const dir = await tempDir();
  writeFileSync(`${dir}/spin.wasm`, await wat(SPIN));
  const { code } = await cli(["instrument", `${dir}/spin.wasm`, "-o", `${dir}/metered.wasm`]);
  assert.is(code, 0);
  const bytes = readFileSync(`${dir}/metered.wasm`);
  const { instance } = await WebAssembly.instantiate(bytes, { wasi_snapshot_preview1: { proc_exit: () => {} } });
  const fuel = instance.exports[FUEL_GLOBAL_EXPORT] as WebAssembly.Global;
  fuel.value = 1000n;
  assert.throws(() => (instance.exports._start as () => void)());
  assert.ok((fuel.value as bigint) <= 0n);
});

test("instrument writes exactly what the runtime runs: same rewrite, same defaults (depth limit and memory cap included)", async () => {
  const dir = await tempDir();
  const source = await wat(`(module (memory 1) (func $f (call $f)) (func (export "start_here") (call $f)))`);
  writeFileSync(`${dir}/m.wasm`, source);
  assert.is((await cli(["instrument", `${dir}/m.wasm`, "-o", `${dir}/out.wasm`])).code, 0);
  const expected = rewriteModule(source, prepareOptionsFrom(defaultSandboxConfig(), true));
  assert.equal(new Uint8Array(readFileSync(`${dir}/out.wasm`)), expected);
  const exports = WebAssembly.Module.exports(new WebAssembly.Module(expected)).map((e) => e.name);
  assert.ok(exports.includes(DEPTH_GLOBAL_EXPORT), "the default depth limit is injected");
});

test("bad numbers are InvalidArgument", async () => {
  const dir = await tempDir();
  writeFileSync(`${dir}/spin.wasm`, await wat(SPIN));
  assert.match((await cli(["run", "--fuel", "-5", `${dir}/spin.wasm`])).stderr, /error\[InvalidArgument\]: --fuel/);
  assert.match((await cli(["instrument", `${dir}/spin.wasm`])).stderr, /error\[InvalidArgument\]: usage/);
});

test.run();
