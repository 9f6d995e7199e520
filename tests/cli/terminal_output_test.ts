// The CLI process writes all of the guest's output before it exits: a program
// making many separate writes to stdout and stderr gets every line, run after
// run, on the runtime running the tests (Deno's exit used to drop writes in flight).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isDeno } from "../../lib/platform/host_platform.ts";
import { tempDir } from "../_helpers/temp.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("cli: every write reaches the terminal before exit");

const cli = fileURLToPath(new URL("../../cli.ts", import.meta.url));
const command = isDeno ? ["deno", ["run", "-A", cli]] as const : [process.execPath, ["--import", "tsx", cli]] as const;

const LINES = 40;
const RUNS = 20;

/** Writes "NN\n" for NN = 00..LINES-1, each with its own fd_write to stdout and then to stderr. */
const MANY_WRITES = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $i i32)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 3))
    (i32.store8 (i32.const 18) (i32.const 10))
    (loop $next
      (i32.store8 (i32.const 16) (i32.add (i32.const 48) (i32.div_u (local.get $i) (i32.const 10))))
      (i32.store8 (i32.const 17) (i32.add (i32.const 48) (i32.rem_u (local.get $i) (i32.const 10))))
      (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (drop (call $w (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const ${LINES})))))
)`;

test(`a guest's ${LINES} separate writes to stdout and stderr all arrive, ${RUNS} runs in a row`, async () => {
  const dir = await tempDir();
  writeFileSync(`${dir}/many.wasm`, await wat(MANY_WRITES));
  const expected = Array.from({ length: LINES }, (_, i) => `${String(i).padStart(2, "0")}\n`).join("");
  for (let run = 1; run <= RUNS; run++) {
    const result = spawnSync(command[0], [...command[1], "run", `${dir}/many.wasm`], {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });
    assert.is(result.status, 0, `run ${run}: exit code (stderr: ${result.stderr})`);
    assert.is(result.stdout, expected, `run ${run}: stdout`);
    assert.is(result.stderr, expected, `run ${run}: stderr`);
  }
});

test.run();
