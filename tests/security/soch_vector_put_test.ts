// soch.vector_put called with hostile arguments: key and vector ranges out of
// bounds or wrapping past 2^32, dimensions whose byte size wraps, NaN,
// infinities, the zero vector, subnormal vectors, another dimension than the
// store's, keys outside the token's scope. Each call answers the documented
// ABI code, is audited, writes nothing into guest memory, leaves the store
// as it was (no refused vector fixes the dimension or poisons a search), and
// the plugin stays Ready and keeps being served.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DefaultHostContextProvider, grant, WasmSandboxRuntime } from "../../mod.ts";
import type { HostCallRecord } from "../../lib/audit/mod.ts";
import { wat } from "../_helpers/wat.ts";

const PERMISSION_DENIED = -2n;
const INVALID_ARGUMENT = -3n;
const LIMIT_EXCEEDED = -4n;

const OOB = 0xffff_fff0;
const WRAP = 0xffff_fffc;
const END = 65536;
const HUGE = 0xffff_ffff;

const GUEST = `(module
  (import "soch" "vector_put" (func $put (param i32 i32 i32 i32) (result i64)))
  (import "soch" "vector_search" (func $search (param i32 i32 i32 i32 i32) (result i64)))
  (memory (export "memory") 1 1)
  (func (export "put") (param i32 i32 i32 i32) (result i64)
    (call $put (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "search") (param i32 i32 i32 i32 i32) (result i64)
    (call $search (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4))))`;

const KEY = 100; // "docs/a"
const KEY_LEN = 6;
const OTHER_KEY = 120; // "secrets/x"
const VEC = 200; // [1, 0] as f32
const BAD = 300; // scratch for hostile vectors

async function setup(scope?: { keyPrefix?: string; readOnly?: boolean }) {
  const provider = new DefaultHostContextProvider();
  const records: HostCallRecord[] = [];
  const runtime = new WasmSandboxRuntime({ provider });
  const plugin = await runtime.loadPlugin("p", await wat(GUEST), {
    capabilities: [grant("soch:vector_write", scope ?? { keyPrefix: "docs/" }), grant("soch:vector_search")],
    recorder: { record: (r) => records.push(r) },
  });
  plugin.memory.writeUtf8(KEY, "docs/a");
  plugin.memory.writeUtf8(OTHER_KEY, "secrets/x");
  plugin.memory.write(VEC, new Uint8Array(new Float32Array([1, 0]).buffer));
  return { plugin, provider, records };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** Calls `fn` and checks what every hostile call must satisfy: audited, nothing written, Ready. */
function hostile(s: Setup, label: string, fn: () => unknown): unknown {
  const before = s.plugin.memory.read(0, END);
  const audited = s.records.length;
  const result = fn();
  assert.ok(s.records.length > audited, `${label}: not audited`);
  assert.equal(s.plugin.memory.read(0, END), before, `${label}: guest memory changed`);
  assert.is(s.plugin.state, "Ready", `${label}: the plugin did not stay Ready`);
  return result;
}

/** Writes `values` as f32 at BAD; returns their count. */
function badVector(s: Setup, values: number[]): number {
  s.plugin.memory.write(BAD, new Uint8Array(new Float32Array(values).buffer));
  return values.length;
}

test("vector_put: hostile key and vector ranges answer the documented codes and store nothing", async () => {
  const s = await setup();
  const cases: Array<[string, number[], bigint | bigint[]]> = [
    ["key out of bounds", [OOB, 4, VEC, 2], INVALID_ARGUMENT],
    ["key wraps past 2^32", [WRAP, 8, VEC, 2], INVALID_ARGUMENT],
    ["key length 2^32-1", [KEY, HUGE, VEC, 2], LIMIT_EXCEEDED],
    ["key running past the end", [END - 2, 6, VEC, 2], INVALID_ARGUMENT],
    ["vector out of bounds", [KEY, KEY_LEN, OOB, 2], INVALID_ARGUMENT],
    ["vector wraps past 2^32", [KEY, KEY_LEN, WRAP, 2], INVALID_ARGUMENT],
    ["vector running past the end", [KEY, KEY_LEN, END - 4, 2], INVALID_ARGUMENT],
    ["dim 0", [KEY, KEY_LEN, VEC, 0], INVALID_ARGUMENT],
    ["dim whose byte size wraps to 4", [KEY, KEY_LEN, VEC, 0x4000_0001], LIMIT_EXCEEDED],
    ["dim 2^32-1", [KEY, KEY_LEN, VEC, HUGE], [INVALID_ARGUMENT, LIMIT_EXCEEDED]],
    ["dim 2^31 (negative as i32)", [KEY, KEY_LEN, VEC, 0x8000_0000], LIMIT_EXCEEDED],
    ["dim 4097", [KEY, KEY_LEN, VEC, 4097], LIMIT_EXCEEDED],
  ];
  for (const [label, args, code] of cases) {
    const result = hostile(s, label, () => s.plugin.callSync("put", ...args));
    const allowed = Array.isArray(code) ? code : [code];
    assert.ok(allowed.includes(result as bigint), `${label}: ${String(result)}`);
  }
  assert.is(s.provider.vectorCount, 0, "nothing was stored");
  assert.is(s.provider.dimension, undefined, "no refused call fixed the dimension");
  // The host keeps serving: the same key with a good vector is stored.
  assert.is(s.plugin.callSync("put", KEY, KEY_LEN, VEC, 2), 0n);
  assert.is(s.provider.vectorCount, 1);
});

test("vector_put: NaN, infinities and the zero vector are INVALID_ARGUMENT and never reach the index", async () => {
  const s = await setup();
  const cases: Array<[string, number[]]> = [
    ["NaN", [NaN, 1]],
    ["a NaN after good components", [1, 0, 0, NaN]],
    ["+infinity", [Infinity, 0]],
    ["-infinity", [0, -Infinity]],
    ["zero", [0, 0]],
    ["negative zero", [-0, -0]],
  ];
  for (const [label, values] of cases) {
    const dim = badVector(s, values);
    assert.is(hostile(s, label, () => s.plugin.callSync("put", KEY, KEY_LEN, BAD, dim)), INVALID_ARGUMENT, label);
  }
  // A signalling-NaN bit pattern is a NaN too, whatever the engine does with it.
  s.plugin.memory.write(BAD, new Uint8Array([0x01, 0x00, 0x80, 0x7f, 0, 0, 0x80, 0x3f]));
  assert.is(hostile(s, "sNaN bits", () => s.plugin.callSync("put", KEY, KEY_LEN, BAD, 2)), INVALID_ARGUMENT);
  assert.is(s.provider.vectorCount, 0);
  assert.is(s.provider.dimension, undefined);
});

test("vector_put: a subnormal or huge vector is stored as a proper unit vector, not NaN", async () => {
  const s = await setup();
  const tiny = 1.4e-45; // the smallest f32 subnormal: its square underflows in f32, not in the host's f64
  badVector(s, [tiny, 0]);
  assert.is(hostile(s, "subnormal", () => s.plugin.callSync("put", KEY, KEY_LEN, BAD, 2)), 0n);
  s.plugin.memory.writeUtf8(KEY, "docs/b");
  badVector(s, [3e38, 3e38]);
  assert.is(hostile(s, "huge", () => s.plugin.callSync("put", KEY, KEY_LEN, BAD, 2)), 0n);
  const hits = s.provider.vectorSearch(new Float32Array([1, 0]), 5);
  assert.equal(hits.map((h) => h.key), ["docs/a", "docs/b"]);
  assert.is(hits[0].score, 1);
  assert.ok(Math.abs(hits[1].score - Math.SQRT1_2) < 1e-6, `score ${hits[1].score}`);
  assert.ok(hits.every((h) => Number.isFinite(h.score)));
});

test("vector_put: another dimension than the store's is INVALID_ARGUMENT and the stored vector stays", async () => {
  const s = await setup();
  assert.is(s.plugin.callSync("put", KEY, KEY_LEN, VEC, 2), 0n, "dimension 2 fixed by the first vector");
  for (const dim of [1, 3, 4096]) {
    assert.is(hostile(s, `dim ${dim}`, () => s.plugin.callSync("put", KEY, KEY_LEN, 0, dim)), INVALID_ARGUMENT, `dim ${dim}`);
  }
  assert.is(s.provider.dimension, 2);
  assert.equal(s.provider.vectorSearch(new Float32Array([1, 0]), 1), [{ key: "docs/a", score: 1 }]);
  const last = s.records.at(-1)!;
  assert.match(last.reason ?? "", "the store's vectors have 2", "the audit record says why");
});

test("vector_put: keys outside the token's keyPrefix and readOnly tokens are PERMISSION_DENIED", async () => {
  const s = await setup();
  assert.is(hostile(s, "outside the prefix", () => s.plugin.callSync("put", OTHER_KEY, 9, VEC, 2)), PERMISSION_DENIED);
  // A key that only starts like the prefix once cut short is still outside: "docs" is not "docs/".
  assert.is(hostile(s, "the prefix cut short", () => s.plugin.callSync("put", KEY, 4, VEC, 2)), PERMISSION_DENIED);
  assert.is(s.provider.vectorCount, 0);

  const ro = await setup({ readOnly: true });
  assert.is(hostile(ro, "read-only", () => ro.plugin.callSync("put", KEY, KEY_LEN, VEC, 2)), PERMISSION_DENIED);
  assert.is(ro.provider.vectorCount, 0);
  // Scope is checked before the vector is even read: a bad vector outside the scope is still -2.
  assert.is(hostile(s, "outside the prefix, bad vector", () => s.plugin.callSync("put", OTHER_KEY, 9, OOB, 2)), PERMISSION_DENIED);
});

test("vector_put: a revoked token refuses later puts; the audit record names soch:vector_write", async () => {
  const provider = new DefaultHostContextProvider();
  const records: HostCallRecord[] = [];
  const token = grant("soch:vector_write");
  const runtime = new WasmSandboxRuntime({ provider });
  const plugin = await runtime.loadPlugin("p", await wat(GUEST), {
    capabilities: [token, grant("soch:vector_search")],
    recorder: { record: (r) => records.push(r) },
  });
  plugin.memory.writeUtf8(KEY, "docs/a");
  plugin.memory.write(VEC, new Uint8Array(new Float32Array([1, 0]).buffer));
  assert.is(plugin.callSync("put", KEY, KEY_LEN, VEC, 2), 0n);
  token.revoke();
  plugin.memory.writeUtf8(KEY, "docs/b");
  assert.is(plugin.callSync("put", KEY, KEY_LEN, VEC, 2), PERMISSION_DENIED);
  assert.is(provider.vectorCount, 1);
  const puts = records.filter((r) => r.function === "vector_put");
  assert.equal(puts.map((r) => [r.decision, r.capability, r.result]), [
    ["allow", "soch:vector_write", 0n],
    ["deny", "soch:vector_write", PERMISSION_DENIED],
  ]);
});

test.run();
