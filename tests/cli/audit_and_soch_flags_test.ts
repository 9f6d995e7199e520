import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, writeFileSync } from "node:fs";
import { main } from "../../lib/cli/main.ts";
import { fakeTerminal } from "../_helpers/fake_terminal.ts";
import { tempDir } from "../_helpers/temp.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("cli --audit, --soch, audit verify");

async function cli(args: string[]) {
  const terminal = fakeTerminal(args);
  const code = await main(terminal, "test");
  return { code, stdout: terminal.stdout(), stderr: terminal.stderr() };
}

// Reads key "n" (one byte), writes it back incremented; exits with the old value.
const COUNTER = `(module
  (import "soch" "soch_read" (func $read (param i32 i32 i32 i32) (result i64)))
  (import "soch" "soch_write" (func $write (param i32 i32 i32 i32) (result i64)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "n")
  (func (export "_start") (local $old i32)
    (if (i64.ge_s (call $read (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 1)) (i64.const 0))
      (then (local.set $old (i32.load8_u (i32.const 16)))))
    (i32.store8 (i32.const 16) (i32.add (local.get $old) (i32.const 1)))
    (drop (call $write (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 1)))
    (call $exit (local.get $old))))`;

test("--soch seeds the provider and is written back when soch:write is granted", async () => {
  const dir = await tempDir();
  writeFileSync(`${dir}/counter.wasm`, await wat(COUNTER));
  writeFileSync(`${dir}/soch.json`, JSON.stringify({ values: { n: { base64: "BQ==" } } }));
  const first = await cli(["run", "--allow", "soch:read,soch:write", "--soch", `${dir}/soch.json`, `${dir}/counter.wasm`]);
  assert.is(first.code, 5, first.stderr);
  const second = await cli(["run", "--allow", "soch:read,soch:write", "--soch", `${dir}/soch.json`, `${dir}/counter.wasm`]);
  assert.is(second.code, 6);
});

test("--audit appends a verifiable chain across runs; tampering is pinpointed", async () => {
  const dir = await tempDir();
  writeFileSync(`${dir}/counter.wasm`, await wat(COUNTER));
  const audit = `${dir}/audit.jsonl`;
  for (let i = 0; i < 2; i++) {
    await cli(["run", "--allow", "soch:read,soch:write", "--audit", audit, `${dir}/counter.wasm`]);
  }
  const lines = readFileSync(audit, "utf8").trim().split("\n");
  assert.is(lines.length, 6, "3 host calls per run");
  const ok = await cli(["audit", "verify", audit]);
  assert.is(ok.code, 0);
  assert.match(ok.stdout, /^ok: 6 records verified/);

  const record = JSON.parse(lines[3]);
  record.decision = "deny";
  lines[3] = JSON.stringify(record);
  writeFileSync(audit, lines.join("\n") + "\n");
  const broken = await cli(["audit", "verify", audit]);
  assert.is(broken.code, 1);
  assert.match(broken.stdout, /^broken: line 4/);
});

test("--deterministic --audit: --stats prints the chain head, the same in separate runs over fresh files", async () => {
  const dir = await tempDir();
  writeFileSync(`${dir}/counter.wasm`, await wat(COUNTER));
  const heads: string[] = [];
  for (const name of ["a", "b"]) {
    writeFileSync(`${dir}/soch-${name}.json`, JSON.stringify({ values: { n: { base64: "BQ==" } } }));
    const args = ["run", "--deterministic", "--stats", "--stats-json", `${dir}/stats-${name}.json`, "--allow", "soch:read,soch:write"];
    const r = await cli([...args, "--soch", `${dir}/soch-${name}.json`, "--audit", `${dir}/audit-${name}.jsonl`, `${dir}/counter.wasm`]);
    assert.is(r.code, 5, r.stderr);
    const printed = /\[stats\] audit head:\s+([0-9a-f]{64}) \(record 3\)/.exec(r.stderr);
    assert.ok(printed, r.stderr);
    const json = JSON.parse(readFileSync(`${dir}/stats-${name}.json`, "utf8"));
    assert.equal(json.auditHead, { seq: 3, hash: printed![1] });
    heads.push(printed![1]);
  }
  assert.is(heads[0], heads[1], "a receipt: the same plugin, input, fuel and grants give the same head");
});

test("without soch capabilities the counter does not load", async () => {
  const dir = await tempDir();
  writeFileSync(`${dir}/counter.wasm`, await wat(COUNTER));
  const { code, stderr } = await cli(["run", `${dir}/counter.wasm`]);
  assert.is(code, 125);
  assert.match(stderr, /CapabilityDenied.*soch:read.*soch:write/);
});

test("audit verify of a missing file is error[NotFound]", async () => {
  const { code, stderr } = await cli(["audit", "verify", "/no/such/audit.jsonl"]);
  assert.is(code, 125);
  assert.match(stderr, /error\[NotFound\]/);
});

test.run();
