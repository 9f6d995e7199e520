// --soch-db DIR: a PGlite store kept across separate CLI processes, on the runtime running the tests.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { isDeno } from "../../lib/platform/host_platform.ts";
import { PgliteHostContextProvider } from "../../lib/host/soch_pglite_provider.ts";
import { SOCH_LOCK_FILE } from "../../lib/host/soch_dir_lock.ts";
import { tempDir } from "../_helpers/temp.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("cli --soch-db");

const cli = fileURLToPath(new URL("../../cli.ts", import.meta.url));
const command = isDeno ? ["deno", ["run", "-A", cli]] as const : [process.execPath, ["--import", "tsx", cli]] as const;

function run(args: string[]) {
  const result = spawnSync(command[0], [...command[1], ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `bump` reads the i32 under "count" (absent: 0), stores it plus one, and returns the new count. */
const COUNTER = `(module
  (import "soch" "soch_read" (func $read (param i32 i32 i32 i32) (result i64)))
  (import "soch" "soch_write" (func $write (param i32 i32 i32 i32) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "count")
  (func (export "bump") (result i64) (local $count i32) (local $written i64)
    (if (i64.eq (call $read (i32.const 0) (i32.const 5) (i32.const 64) (i32.const 4)) (i64.const 4))
      (then (local.set $count (i32.load (i32.const 64)))))
    (local.set $count (i32.add (local.get $count) (i32.const 1)))
    (i32.store (i32.const 64) (local.get $count))
    (local.set $written (call $write (i32.const 0) (i32.const 5) (i32.const 64) (i32.const 4)))
    (if (result i64) (i64.eqz (local.get $written))
      (then (i64.extend_i32_u (local.get $count)))
      (else (local.get $written)))))`;

test("a plugin counts across separate CLI runs with --soch-db; without soch:write it only reads", async () => {
  const dir = await tempDir();
  const wasm = `${dir}/counter.wasm`;
  writeFileSync(wasm, await wat(COUNTER));
  const db = `${dir}/store`;
  const bump = (allow: string) => run(["run", "--soch-db", db, "--allow", allow, "--invoke", "bump", wasm]);
  const first = bump("soch:read,soch:write");
  assert.is(first.code, 0, first.stderr);
  assert.is(first.stdout.trim(), "1");
  const second = bump("soch:read,soch:write");
  assert.is(second.stdout.trim(), "2", second.stderr);
  // Without the write capability the plugin does not load (it imports soch_write): nothing changes.
  const refused = bump("soch:read");
  assert.is(refused.code, 125);
  assert.match(refused.stderr, /CapabilityDenied.*soch:write/s);
  assert.not.ok(existsSync(`${db}/${SOCH_LOCK_FILE}`), "a run whose plugin did not load still closes the store");
  const third = bump("soch:read,soch:write");
  assert.is(third.stdout.trim(), "3", third.stderr);
});

test("a store open elsewhere is refused (InvalidState, exit 125) and left as it was", async () => {
  const dir = await tempDir();
  const wasm = `${dir}/counter.wasm`;
  writeFileSync(wasm, await wat(COUNTER));
  const db = `${dir}/store`;
  const bump = () => run(["run", "--soch-db", db, "--allow", "soch:read,soch:write", "--invoke", "bump", wasm]);
  assert.is(bump().stdout.trim(), "1");
  const held = await PgliteHostContextProvider.open(db); // as another run of the CLI would
  try {
    const refused = bump();
    assert.is(refused.code, 125);
    assert.match(refused.stderr, new RegExp(`error\\[InvalidState\\]: the soch store .* is open in process ${process.pid}`));
  } finally {
    await held.close();
  }
  assert.is(bump().stdout.trim(), "2");
});

test("--soch-import loads a --soch file into the database before the run; bad data loads nothing and leaves the store closed", async () => {
  const dir = await tempDir();
  const wasm = `${dir}/counter.wasm`;
  writeFileSync(wasm, await wat(COUNTER));
  const db = `${dir}/store`;
  // The counter as the little-endian i32 41, in the --soch file format; plus a vector, which the store keeps.
  writeFileSync(`${dir}/seed.json`, JSON.stringify({ values: { count: { base64: "KQAAAA==" } }, vectors: { doc: [3, 4] } }));
  writeFileSync(`${dir}/bad.json`, JSON.stringify({ values: { count: { base64: "AQAAAA==" } }, vectors: { a: [1, 0], b: [1, 0, 0] } }));
  const bump = (...extra: string[]) => run(["run", "--soch-db", db, ...extra, "--allow", "soch:read,soch:write", "--invoke", "bump", wasm]);
  const seeded = bump("--soch-import", `${dir}/seed.json`);
  assert.is(seeded.stdout.trim(), "42", seeded.stderr);
  const bad = bump("--soch-import", `${dir}/bad.json`);
  assert.is(bad.code, 125);
  assert.match(bad.stderr, /error\[InvalidArgument\]: soch data: vectors\["b"\]/);
  assert.not.ok(existsSync(`${db}/${SOCH_LOCK_FILE}`), "a failed import still closes the store");
  assert.is(bump().stdout.trim(), "43", "the bad file changed nothing (its count of 1 was not taken)");
  const store = await PgliteHostContextProvider.open(db);
  try {
    assert.is(store.vectorCount, 1);
    assert.equal((await store.vectorSearch(new Float32Array([3, 4]), 1)).map((h) => h.key), ["doc"]);
  } finally {
    await store.close();
  }
  const alone = run(["run", "--soch-import", `${dir}/seed.json`, "--invoke", "bump", wasm]);
  assert.is(alone.code, 125);
  assert.match(alone.stderr, /error\[InvalidArgument\]: --soch-import FILE\.json .*give --soch-db DIR too/);
});

test("--soch and --soch-db together are InvalidArgument", async () => {
  const dir = await tempDir();
  const wasm = `${dir}/counter.wasm`;
  writeFileSync(wasm, await wat(COUNTER));
  writeFileSync(`${dir}/seed.json`, "{}");
  const r = run(["run", "--soch", `${dir}/seed.json`, "--soch-db", `${dir}/store`, "--invoke", "bump", wasm]);
  assert.is(r.code, 125);
  assert.match(r.stderr, /error\[InvalidArgument\]: give --soch FILE\.json or --soch-db DIR, not both/);
});

test("the usage text documents --soch-db", () => {
  const r = run(["--help"]);
  assert.match(r.stdout, /--soch-db DIR/);
  assert.match(r.stdout, /--soch-import FILE\.json/);
});

test.run();
