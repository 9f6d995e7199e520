// `--allow soch:vector_write` with `--soch FILE`: vectors a plugin stores with
// vector_put are written back to the file like values are (a plugin granted
// only vector writes must not lose its work silently).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, writeFileSync } from "node:fs";
import { main } from "../../lib/cli/main.ts";
import { fakeTerminal } from "../_helpers/fake_terminal.ts";
import { tempDir } from "../_helpers/temp.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("cli --allow soch:vector_write");

async function cli(args: string[]) {
  const terminal = fakeTerminal(args);
  const code = await main(terminal, "test");
  return { code, stdout: terminal.stdout(), stderr: terminal.stderr() };
}

// Stores [3, 4] under "doc"; exits with 0 or the negated ABI code.
const INDEXER = `(module
  (import "soch" "vector_put" (func $put (param i32 i32 i32 i32) (result i64)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "doc")
  (data (i32.const 16) "\\00\\00\\40\\40\\00\\00\\80\\40") ;; f32 3.0, 4.0
  (func (export "_start")
    (call $exit (i32.wrap_i64 (i64.sub (i64.const 0) (call $put (i32.const 0) (i32.const 3) (i32.const 16) (i32.const 2)))))))`;

test("vectors stored with vector_put are written back to the --soch file", async () => {
  const dir = await tempDir();
  writeFileSync(`${dir}/indexer.wasm`, await wat(INDEXER));
  writeFileSync(`${dir}/soch.json`, JSON.stringify({ values: { doc: "the text" } }));
  const { code, stderr } = await cli(["run", "--allow", "soch:vector_write", "--soch", `${dir}/soch.json`, `${dir}/indexer.wasm`]);
  assert.is(code, 0, stderr);
  const saved = JSON.parse(readFileSync(`${dir}/soch.json`, "utf8"));
  assert.is(saved.dimension, 2);
  assert.equal(saved.values, { doc: "the text" });
  assert.equal(saved.vectors.doc.map((x: number) => Math.round(x * 1e6) / 1e6), [0.6, 0.8]);
});

test("without soch:vector_write the indexer does not load, and the error names it", async () => {
  const dir = await tempDir();
  writeFileSync(`${dir}/indexer.wasm`, await wat(INDEXER));
  const { code, stderr } = await cli(["run", "--allow", "soch:write", `${dir}/indexer.wasm`]);
  assert.is(code, 125);
  assert.match(stderr, /CapabilityDenied.*soch:vector_write/);
});

test.run();
