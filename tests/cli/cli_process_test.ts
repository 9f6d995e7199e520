// Runs cli.ts as a real process on the runtime running the tests: exit codes and streams end to end.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isDeno } from "../../lib/platform/host_platform.ts";
import { tempDir } from "../_helpers/temp.ts";
import { wat } from "../_helpers/wat.ts";

const cli = fileURLToPath(new URL("../../cli.ts", import.meta.url));
const command = isDeno ? ["deno", ["run", "-A", cli]] as const : [process.execPath, ["--import", "tsx", cli]] as const;

function run(args: string[]) {
  const result = spawnSync(command[0], [...command[1], ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test("the CLI process exits with the plugin's exit code and prints its stdout", async () => {
  const dir = await tempDir();
  writeFileSync(`${dir}/hello.wasm`, await wat(`(module
    (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (data (i32.const 16) "hello\\n")
    (func (export "_start")
      (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 6))
      (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (call $exit (i32.const 7))))`));
  const ok = run(["run", `${dir}/hello.wasm`]);
  assert.is(ok.stdout, "hello\n");
  assert.is(ok.code, 7);
  const bad = run(["run", `${dir}/missing.wasm`]);
  assert.is(bad.code, 125);
  assert.match(bad.stderr, /^error\[NotFound\]: .*missing\.wasm/);
});

test.run();
