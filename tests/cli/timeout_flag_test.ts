// `wasm-sandbox run --timeout MS`: the guest runs in a worker that is
// terminated at the limit; the command says error[Timeout], exits 125, and
// the process ends promptly on every runtime.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { tempDir } from "../_helpers/temp.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("cli --timeout");

const cli = fileURLToPath(new URL("../../cli.ts", import.meta.url));
const isDeno = "Deno" in globalThis;
const command = isDeno ? ["deno", ["run", "-A", cli]] as const : [process.execPath, ["--import", "tsx", cli]] as const;

/** Prints "hi" through WASI, then spins forever without another host call. */
const SPIN = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 3))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (loop $l (br $l))))`;

test("an endless loop under --timeout 500 ends in error[Timeout], exit 125, and the process exits", async () => {
  const path = `${await tempDir()}/spin.wasm`;
  writeFileSync(path, await wat(SPIN));
  // The generous kill timer only guards the test run: a process that never exits fails here.
  const run = spawnSync(command[0], [...command[1], "run", "--timeout", "500", path], { timeout: 60_000 });
  assert.is(run.signal, null, "the process ended by itself");
  assert.is(run.status, 125);
  assert.is(String(run.stdout), "hi\n", "output written before the limit arrives");
  assert.match(String(run.stderr), /error\[Timeout\]/);
});

test("--timeout 0 and non-numbers are InvalidArgument", async () => {
  const path = `${await tempDir()}/spin.wasm`;
  writeFileSync(path, await wat(SPIN));
  for (const bad of ["0", "soon"]) {
    const run = spawnSync(command[0], [...command[1], "run", "--timeout", bad, path], { timeout: 60_000 });
    assert.is(run.status, 125);
    assert.match(String(run.stderr), /error\[InvalidArgument\]: --timeout/);
  }
});

test.run();
