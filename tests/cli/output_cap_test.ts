// Output is never cut silently: the CLI streams the guest's stdout whole by
// default, and a cap set with --max-output-bytes is announced on stderr. The
// library reports a cut in RunResult.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isDeno } from "../../lib/platform/host_platform.ts";
import { WasmSandboxRuntime } from "../../mod.ts";
import { grant } from "../../mod.ts";
import { tempDir } from "../_helpers/temp.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("output is never cut silently");

const cli = fileURLToPath(new URL("../../cli.ts", import.meta.url));
const command = isDeno ? ["deno", ["run", "-A", cli]] as const : [process.execPath, ["--import", "tsx", cli]] as const;

const KIB = 1024;
const WRITES = 3000;

/** Writes WRITES KiB to stdout, 1 KiB per fd_write, every byte 'a' + (write number mod 26). */
const FLOOD = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $i i32)
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const ${KIB}))
    (loop $next
      (memory.fill (i32.const 1024) (i32.add (i32.const 97) (i32.rem_u (local.get $i) (i32.const 26))) (i32.const ${KIB}))
      (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const ${WRITES})))))
)`;

function expected(): Uint8Array {
  const all = new Uint8Array(WRITES * KIB);
  for (let i = 0; i < WRITES; i++) all.fill(97 + (i % 26), i * KIB, (i + 1) * KIB);
  return all;
}

async function flood(): Promise<string> {
  const path = `${await tempDir()}/flood.wasm`;
  writeFileSync(path, await wat(FLOOD));
  return path;
}

test("3,000 KiB of guest stdout reaches the CLI's stdout whole, with nothing on stderr", async () => {
  const run = spawnSync(command[0], [...command[1], "run", await flood()], { maxBuffer: 64 << 20 });
  assert.is(run.status, 0, String(run.stderr));
  assert.is(run.stderr.byteLength, 0, String(run.stderr));
  assert.is(run.stdout.byteLength, WRITES * KIB);
  assert.ok(Buffer.from(expected()).equals(run.stdout), "every byte, in order");
});

test("--max-output-bytes 1000 passes at most 1000 bytes and says so on stderr", async () => {
  const run = spawnSync(command[0], [...command[1], "run", "--max-output-bytes", "1000", await flood()], { maxBuffer: 64 << 20 });
  assert.is(run.status, 0);
  assert.is(run.stdout.byteLength, 1000);
  assert.match(String(run.stderr), /the guest's stdout was cut at 1000 bytes \(--max-output-bytes\)/);
});

test("the library says which stream was cut in RunResult", async () => {
  const plugin = await new WasmSandboxRuntime({ maxOutputBytes: 5000 }).loadPlugin("flood", await wat(FLOOD), {
    capabilities: [grant("wasi:stdio")],
  });
  const result = await plugin.run();
  assert.is(result.stdout.byteLength, 5000);
  assert.is(result.stdoutTruncated, true);
  assert.is(result.stderrTruncated, false);
});

test("captureOutput: false streams everything and keeps nothing", async () => {
  let streamed = 0;
  const plugin = await new WasmSandboxRuntime({ maxOutputBytes: Infinity }).loadPlugin("flood", await wat(FLOOD), {
    capabilities: [grant("wasi:stdio")],
    wasi: { onStdout: (chunk) => (streamed += chunk.byteLength), captureOutput: false },
  });
  const result = await plugin.run();
  assert.is(streamed, WRITES * KIB);
  assert.is(result.stdout.byteLength, 0);
  assert.is(result.stdoutTruncated, false);
});

test.run();
