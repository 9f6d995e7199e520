// The CLI's own output files are never written through a link a guest planted, overlapping
// --dir mounts are refused, and the guest's exit code survives whatever write-back reports.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { main } from "../../lib/cli/main.ts";
import { fakeTerminal } from "../_helpers/fake_terminal.ts";
import { tempDir } from "../_helpers/temp.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("cli write-back and output files");

// In the first preopen (fd 3): stats.json -> victim.txt (inside the mount, so written back),
// esc -> ../outside.txt (leads out, so refused); then exit 7.
const PLANTER = `(module
  (import "wasi_snapshot_preview1" "path_symlink" (func $symlink (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "victim.txt")
  (data (i32.const 200) "stats.json")
  (data (i32.const 300) "../outside.txt")
  (data (i32.const 400) "esc")
  (func (export "_start")
    (drop (call $symlink (i32.const 100) (i32.const 10) (i32.const 3) (i32.const 200) (i32.const 10)))
    (drop (call $symlink (i32.const 300) (i32.const 14) (i32.const 3) (i32.const 400) (i32.const 3)))
    (call $exit (i32.const 7))))`;

const EXIT_0 = `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const 0))))`;

async function cli(args: string[]) {
  const terminal = fakeTerminal(args);
  const code = await main(terminal, "test");
  return { code, stdout: terminal.stdout(), stderr: terminal.stderr() };
}

async function setup(source: string): Promise<{ dir: string; data: string; prog: string }> {
  const dir = await tempDir();
  const data = `${dir}/data`;
  mkdirSync(data);
  writeFileSync(`${data}/victim.txt`, "precious");
  writeFileSync(`${dir}/outside.txt`, "outside");
  const prog = `${dir}/prog.wasm`;
  writeFileSync(prog, await wat(source));
  return { dir, data, prog };
}

test("--stats-json is not written through a link the guest planted; the report is on stderr and the exit code kept", async () => {
  const { dir, data, prog } = await setup(PLANTER);
  const { code, stderr } = await cli(["run", "--dir", `${data}::/data`, "--stats-json", `${data}/stats.json`, prog]);
  assert.is(code, 7);
  assert.is(readlinkSync(`${data}/stats.json`), "victim.txt"); // an inside link: written back
  assert.is(readFileSync(`${data}/victim.txt`, "utf8"), "precious"); // but never written through
  assert.match(stderr, /error\[IoError\]: --stats-json .* became a symlink during the run/);
  assert.match(stderr, /write-back .*: refused esc: symlink not written/);
  assert.is(readFileSync(`${dir}/outside.txt`, "utf8"), "outside");
  assert.is(lstatSync(`${data}/esc`, { throwIfNoEntry: false }), undefined);
});

test("--audit and --soch naming a symlink are refused before the run", async () => {
  const { dir, prog } = await setup(EXIT_0);
  symlinkSync(`${dir}/outside.txt`, `${dir}/audit.jsonl`);
  const audit = await cli(["run", "--audit", `${dir}/audit.jsonl`, prog]);
  assert.is(audit.code, 125);
  assert.match(audit.stderr, /error\[InvalidArgument\]: --audit .* is a symlink/);
  writeFileSync(`${dir}/soch.json`, "{}");
  symlinkSync(`${dir}/soch.json`, `${dir}/soch-link.json`);
  const soch = await cli(["run", "--allow", "soch:read,soch:write", "--soch", `${dir}/soch-link.json`, prog]);
  assert.is(soch.code, 125);
  assert.match(soch.stderr, /error\[InvalidArgument\]: --soch .* is a symlink/);
  assert.is(readFileSync(`${dir}/outside.txt`, "utf8"), "outside");
  assert.is(readFileSync(`${dir}/soch.json`, "utf8"), "{}");
});

test("--stats-json in a missing directory is refused before the run", async () => {
  const { dir, prog } = await setup(EXIT_0);
  const { code, stderr } = await cli(["run", "--stats-json", `${dir}/nope/stats.json`, prog]);
  assert.is(code, 125);
  assert.match(stderr, /error\[NotFound\]: --stats-json .*directory .* does not exist/);
});

test("overlapping --dir mounts are refused: the same directory, one inside another, or through a link", async () => {
  const { dir, data, prog } = await setup(EXIT_0);
  mkdirSync(`${data}/sub`);
  symlinkSync(data, `${dir}/alias`);
  for (const second of [`${data}/sub::/sub`, `${data}::/again`, `${dir}/alias::/alias`, `${dir}::/up`]) {
    const { code, stderr } = await cli(["run", "--dir", `${data}::/data`, "--dir", second, prog]);
    assert.is(code, 125, second);
    assert.match(stderr, /error\[InvalidArgument\]: --dir .* and --dir .* overlap/);
  }
  mkdirSync(`${dir}/other`);
  assert.is((await cli(["run", "--dir", `${data}::/data`, "--dir", `${dir}/other::/other`, prog])).code, 0); // disjoint: fine
});

test.run();
