// Every function of the guest ABI (docs/ABI.md: sandbox, soch,
// platform_sandbox, and AssemblyScript's env) called with hostile pointers
// and lengths: out of bounds, wrapping past 2^32, absurd sizes and counts.
// Each call answers the documented ABI code, is audited, writes nothing into
// guest memory it was not asked to, and the plugin stays Ready.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DefaultHostContextProvider, grant, WasmSandboxRuntime } from "../../mod.ts";
import type { HostCallRecord } from "../../lib/audit/mod.ts";
import { tempDir } from "../_helpers/temp.ts";
import { wat } from "../_helpers/wat.ts";

const NOT_FOUND = -1n;
const INVALID_ARGUMENT = -3n;
const LIMIT_EXCEEDED = -4n;
const NO_RESPONSE = -7n;

const OOB = 0xffff_fff0;
const WRAP = 0xffff_fffc;
const END = 65536;
const HUGE = 0xffff_ffff;

const GUEST = `(module
  (import "sandbox" "take_response" (func $take (param i32 i32) (result i64)))
  (import "soch" "soch_read" (func $read (param i32 i32 i32 i32) (result i64)))
  (import "soch" "soch_write" (func $write (param i32 i32 i32 i32) (result i64)))
  (import "soch" "vector_search" (func $search (param i32 i32 i32 i32 i32) (result i64)))
  (import "platform_sandbox" "sandbox_exec" (func $exec (param i32 i32 i32 i32) (result i64)))
  (import "platform_sandbox" "get_timestamp" (func $ts (result i64)))
  (import "platform_sandbox" "log_message" (func $log (param i32 i32 i32)))
  (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
  (import "env" "trace" (func $trace (param i32 i32 f64 f64 f64 f64 f64)))
  (memory (export "memory") 1 1)
  (func (export "take") (param i32 i32) (result i64) (call $take (local.get 0) (local.get 1)))
  (func (export "read") (param i32 i32 i32 i32) (result i64) (call $read (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "write") (param i32 i32 i32 i32) (result i64) (call $write (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "search") (param i32 i32 i32 i32 i32) (result i64)
    (call $search (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
  (func (export "exec") (param i32 i32 i32 i32) (result i64) (call $exec (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "ts") (result i64) (call $ts))
  (func (export "log") (param i32 i32 i32) (call $log (local.get 0) (local.get 1) (local.get 2)))
  (func (export "abort") (param i32 i32 i32 i32) (call $abort (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "trace") (param i32 i32)
    (call $trace (local.get 0) (local.get 1) (f64.const 1) (f64.const 2) (f64.const 3) (f64.const 4) (f64.const 5))))`;

const KEY = 100; // "k" (a present key with a 64-byte value)
const QUERY = 200; // [1, 0] as f32
const REQUEST = 300; // an allowed exec request

async function setup() {
  const provider = new DefaultHostContextProvider();
  provider.write("k", new Uint8Array(64).fill(7));
  provider.upsertVector("v", [1, 0]);
  const records: HostCallRecord[] = [];
  const logs: string[] = [];
  const traces: string[] = [];
  const runtime = new WasmSandboxRuntime({ provider, logger: (e) => logs.push(e.message) });
  const cwd = await tempDir();
  const plugin = await runtime.loadPlugin("p", await wat(GUEST), {
    capabilities: [
      grant("soch:read"),
      grant("soch:write"),
      grant("soch:vector_search"),
      grant("sandbox:exec", { allowedCommands: ["echo"], workingDirectory: cwd, networkIsolation: "none" }),
      grant("sandbox:time"),
      grant("sandbox:log"),
    ],
    recorder: { record: (r) => records.push(r) },
    onTrace: (m) => traces.push(m),
  });
  plugin.memory.writeUtf8(KEY, "k");
  plugin.memory.write(QUERY, new Uint8Array(new Float32Array([1, 0]).buffer));
  const requestLen = plugin.memory.writeUtf8(REQUEST, JSON.stringify({ command: "echo", args: ["hi"] }));
  return { plugin, provider, records, logs, traces, requestLen };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** Calls `fn` and checks what every hostile call must satisfy: an answer, an audit record, nothing written, Ready. */
async function hostile(s: Setup, label: string, fn: () => Promise<unknown>): Promise<unknown> {
  const before = s.plugin.memory.read(0, END);
  const audited = s.records.length;
  const result = await fn();
  assert.ok(s.records.length > audited, `${label}: not audited`);
  assert.equal(s.plugin.memory.read(0, END), before, `${label}: guest memory changed`);
  assert.is(s.plugin.state, "Ready", `${label}: the plugin did not stay Ready`);
  return result;
}

test("sandbox.take_response: hostile out pointers are INVALID_ARGUMENT and the parked output stays", async () => {
  const s = await setup();
  assert.is(await hostile(s, "empty slot, bad pointer", () => s.plugin.call("take", OOB, 64)), NO_RESPONSE);
  assert.is(await s.plugin.call("read", KEY, 1, 0, 8), 64n, "parks the 64-byte value");
  for (const [label, ptr, cap] of [["out of bounds", OOB, 64], ["wraps", WRAP, 64], ["at the end", END - 8, 64], ["cap 2^32-1 at the end", END - 8, HUGE]] as const) {
    assert.is(await hostile(s, label, () => s.plugin.call("take", ptr, cap)), INVALID_ARGUMENT, label);
  }
  assert.is(await s.plugin.call("take", 1000, 64), 64n, "the output was kept for a valid retry");
  assert.equal(s.plugin.memory.read(1000, 64), new Uint8Array(64).fill(7));
});

test("soch.soch_read: hostile key and out pointers answer the documented codes", async () => {
  const s = await setup();
  const cases: Array<[string, number[], bigint]> = [
    ["key out of bounds", [OOB, 1, 0, 8], INVALID_ARGUMENT],
    ["key wraps past 2^32", [WRAP, 8, 0, 8], INVALID_ARGUMENT],
    ["key length 2^32-1", [0, HUGE, 0, 8], LIMIT_EXCEEDED],
    ["key running past the end", [END - 4, 100, 0, 8], INVALID_ARGUMENT],
    ["present key, out pointer out of bounds", [KEY, 1, OOB, 1000], INVALID_ARGUMENT],
    ["present key, out wraps", [KEY, 1, WRAP, 1000], INVALID_ARGUMENT],
    ["absent key, out pointer out of bounds", [KEY + 1, 1, OOB, 1000], NOT_FOUND],
  ];
  for (const [label, args, code] of cases) {
    assert.is(await hostile(s, label, () => s.plugin.call("read", ...args)), code, label);
  }
});

test("soch.soch_write: hostile key and value ranges write nothing to the store", async () => {
  const s = await setup();
  const cases: Array<[string, number[], bigint]> = [
    ["key out of bounds", [OOB, 1, 0, 1], INVALID_ARGUMENT],
    ["key length 2^32-1", [0, HUGE, 0, 1], LIMIT_EXCEEDED],
    ["value out of bounds", [KEY, 1, OOB, 16], INVALID_ARGUMENT],
    ["value wraps past 2^32", [KEY, 1, WRAP, 8], INVALID_ARGUMENT],
    ["value of 4 GiB", [KEY, 1, 0, HUGE], [INVALID_ARGUMENT, LIMIT_EXCEEDED]] as never,
    ["empty key", [KEY, 0, 0, 1], INVALID_ARGUMENT],
  ];
  for (const [label, args, code] of cases) {
    const result = await hostile(s, label, () => s.plugin.call("write", ...args));
    const allowed = Array.isArray(code) ? code : [code];
    assert.ok(allowed.includes(result as bigint), `${label}: ${String(result)}`);
  }
  assert.equal(s.provider.read("k"), new Uint8Array(64).fill(7), "the stored value is untouched");
});

test("soch.vector_search: hostile query pointers, dimensions and k answer the documented codes", async () => {
  const s = await setup();
  const cases: Array<[string, number[], bigint]> = [
    ["query out of bounds", [OOB, 2, 1, 1000, 1000], INVALID_ARGUMENT],
    ["query wraps past 2^32", [WRAP, 2, 1, 1000, 1000], INVALID_ARGUMENT],
    ["dim whose byte size wraps to 4", [QUERY, 0x4000_0001, 1, 1000, 1000], LIMIT_EXCEEDED],
    ["dim 2^32-1", [QUERY, HUGE, 1, 1000, 1000], [INVALID_ARGUMENT, LIMIT_EXCEEDED]] as never,
    ["k 2^31-1", [QUERY, 2, 0x7fff_ffff, 1000, 1000], LIMIT_EXCEEDED],
    ["k -1", [QUERY, 2, -1, 1000, 1000], INVALID_ARGUMENT],
    ["wrong dimension", [QUERY, 3, 1, 1000, 1000], INVALID_ARGUMENT],
    ["out pointer out of bounds", [QUERY, 2, 1, OOB, 1000], INVALID_ARGUMENT],
    ["out wraps", [QUERY, 2, 1, WRAP, 1000], INVALID_ARGUMENT],
  ];
  for (const [label, args, code] of cases) {
    const result = await hostile(s, label, () => s.plugin.call("search", ...args));
    const allowed = Array.isArray(code) ? code : [code];
    assert.ok(allowed.includes(result as bigint), `${label}: ${String(result)}`);
  }
  // A NaN component is refused too.
  s.plugin.memory.write(QUERY + 64, new Uint8Array(new Float32Array([NaN, 1]).buffer));
  assert.is(await hostile(s, "NaN", () => s.plugin.call("search", QUERY + 64, 2, 1, 1000, 1000)), INVALID_ARGUMENT);
});

test("platform_sandbox.sandbox_exec: hostile request and out pointers are INVALID_ARGUMENT", async () => {
  const s = await setup();
  const cases: Array<[string, number[]]> = [
    ["request out of bounds", [OOB, 10, 1000, 1000]],
    ["request wraps past 2^32", [WRAP, 8, 1000, 1000]],
    ["request length 2^32-1", [REQUEST, HUGE, 1000, 1000]],
    ["request past the end", [END - 4, 10, 1000, 1000]],
    ["out pointer out of bounds", [REQUEST, s.requestLen, OOB, 1000]],
    ["out wraps", [REQUEST, s.requestLen, WRAP, 1000]],
  ];
  for (const [label, args] of cases) {
    assert.is(await hostile(s, label, () => s.plugin.call("exec", ...args)), INVALID_ARGUMENT, label);
  }
  // The host keeps serving: the same request with a good buffer runs.
  const n = await s.plugin.call("exec", REQUEST, s.requestLen, 1000, 4000) as bigint;
  assert.ok(n > 0n, `result ${n}`);
  assert.is(JSON.parse(s.plugin.memory.readUtf8(1000, Number(n))).stdout, "hi\n");
});

test("platform_sandbox.log_message: hostile message ranges and levels log nothing and never crash", async () => {
  const s = await setup();
  for (const [label, args] of [["out of bounds", [2, OOB, 10]], ["wraps", [2, WRAP, 8]], ["length 2^32-1", [2, 0, HUGE]], ["past the end", [2, END - 2, 10]]] as const) {
    assert.is(await hostile(s, label, () => s.plugin.call("log", ...args)), undefined, label);
  }
  assert.equal(s.logs, []);
  await hostile(s, "level 2^31", () => s.plugin.call("log", -0x8000_0000, KEY, 1));
  assert.equal(s.logs, ["k"], "a hostile level is clamped, not a crash");
});

test("platform_sandbox.get_timestamp takes nothing from the guest and is audited", async () => {
  const s = await setup();
  const ts = await hostile(s, "get_timestamp", () => s.plugin.call("ts")) as bigint;
  assert.ok(ts > 0n);
});

test("env.abort and env.trace: hostile string pointers never crash the host", async () => {
  const s = await setup();
  for (const ptr of [OOB, WRAP, END - 2, 0, 3]) {
    await s.plugin.reset();
    try {
      await s.plugin.call("abort", ptr, ptr, 1, 2);
      assert.unreachable("abort returned");
    } catch (err) {
      // abort ends the call with a Trap; a bad message pointer only changes the text.
      assert.is((err as { code?: string }).code, "Trap", `abort at ${ptr}: ${String(err)}`);
    }
    await s.plugin.reset();
    assert.is(await hostile(s, `trace at ${ptr}`, () => s.plugin.call("trace", ptr, HUGE)), undefined);
  }
  assert.is(s.traces.length, 5);
});

test.run();
