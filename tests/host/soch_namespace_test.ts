import { suite } from "uvu";
import * as assert from "uvu/assert";
import { grant, WasmSandboxRuntime } from "../../mod.ts";
import type { HostContextProvider } from "../../lib/host/soch_namespace.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("soch namespace");

/** A small provider for these tests: a Map plus brute-force cosine search. */
function mapProvider(): HostContextProvider & { values: Map<string, Uint8Array>; vectors: Map<string, Float32Array> } {
  const values = new Map<string, Uint8Array>();
  const vectors = new Map<string, Float32Array>();
  const cosine = (a: Float32Array, b: Float32Array) => {
    let dot = 0, na = 0, nb = 0;
    for (let i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  };
  return {
    values,
    vectors,
    read: (key) => values.get(key),
    write: (key, value) => void values.set(key, value),
    vectorSearch: (query, k, filter) =>
      [...vectors].filter(([key]) => !filter || filter(key)).map(([key, v]) => ({ key, score: cosine(query, v) }))
        .sort((a, b) => b.score - a.score).slice(0, k),
  };
}

// The guest: data at fixed addresses; exports thin wrappers over the imports.
const GUEST = `(module
  (import "soch" "soch_read" (func $read (param i32 i32 i32 i32) (result i64)))
  (import "soch" "soch_write" (func $write (param i32 i32 i32 i32) (result i64)))
  (import "soch" "vector_search" (func $search (param i32 i32 i32 i32 i32) (result i64)))
  (import "sandbox" "take_response" (func $take (param i32 i32) (result i64)))
  (memory (export "memory") 1)
  (func (export "read") (param i32 i32 i32 i32) (result i64)
    (call $read (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "write") (param i32 i32 i32 i32) (result i64)
    (call $write (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "search") (param i32 i32 i32 i32 i32) (result i64)
    (call $search (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
  (func (export "take") (param i32 i32) (result i64) (call $take (local.get 0) (local.get 1))))`;

const all = () => [grant("soch:read"), grant("soch:write"), grant("soch:vector_search")];

async function load(provider = mapProvider(), capabilities = all()) {
  const runtime = new WasmSandboxRuntime({ provider });
  const plugin = await runtime.loadPlugin("p", await wat(GUEST), { capabilities, linkDeniedAsStubs: true });
  const put = (ptr: number, text: string) => plugin.memory.writeUtf8(ptr, text);
  return { plugin, provider, put };
}

test("soch_write then soch_read round-trips a value", async () => {
  const { plugin, put } = await load();
  const keyLen = put(0, "greeting");
  const valLen = put(100, "hello, host");
  assert.is(plugin.callSync("write", 0, keyLen, 100, valLen), 0n);
  assert.is(plugin.callSync("read", 0, keyLen, 200, 64), 11n);
  assert.is(plugin.memory.readUtf8(200, 11), "hello, host");
});

test("soch_read of a missing key is NOT_FOUND (-1)", async () => {
  const { plugin, put } = await load();
  assert.is(plugin.callSync("read", 0, put(0, "nope"), 200, 64), -1n);
});

test("a value larger than out_cap is parked and taken with take_response; nothing runs twice", async () => {
  const provider = mapProvider();
  let reads = 0;
  const counting = { ...provider, read: (k: string) => (reads++, provider.read(k)) };
  provider.values.set("big", new Uint8Array(1000).fill(7));
  const { plugin, put } = await load(counting);
  assert.is(plugin.callSync("read", 0, put(0, "big"), 200, 10), 1000n);
  assert.equal(plugin.memory.read(200, 10), new Uint8Array(10), "nothing written when it does not fit");
  assert.is(plugin.callSync("take", 300, 999), 1000n, "still too small: size again, slot kept");
  assert.is(plugin.callSync("take", 300, 1000), 1000n);
  assert.equal(plugin.memory.read(300, 1000), new Uint8Array(1000).fill(7));
  assert.is(plugin.callSync("take", 300, 1000), -7n, "slot empty: NO_RESPONSE");
  assert.is(reads, 1);
});

test("bad pointers, lengths and UTF-8 are INVALID_ARGUMENT, never a host crash", async () => {
  const { plugin, put } = await load();
  assert.is(plugin.callSync("read", 65530, 100, 0, 10), -3n);
  assert.is(plugin.callSync("read", -1, 4, 0, 10), -3n);
  plugin.memory.write(0, new Uint8Array([0xff, 0xfe]));
  assert.is(plugin.callSync("read", 0, 2, 100, 10), -3n);
  assert.is(plugin.callSync("read", 0, 0, 100, 10), -3n, "empty key");
  const keyLen = put(0, "k");
  assert.is(plugin.callSync("write", 0, keyLen, 65000, 10000), -3n, "value out of bounds");
  assert.is(plugin.callSync("read", 0, keyLen, 65535, 10), -1n, "absent key: out buffer not touched");
});

test("an oversized key is LIMIT_EXCEEDED", async () => {
  const { plugin } = await load();
  assert.is(plugin.callSync("read", 0, 5000, 0, 10), -4n);
});

test("a scoped token confines keys to its prefix and read-only refuses writes", async () => {
  const provider = mapProvider();
  provider.values.set("users/ann", new TextEncoder().encode("A"));
  provider.values.set("secrets/root", new TextEncoder().encode("S"));
  const { plugin, put } = await load(provider, [
    grant("soch:read", { keyPrefix: "users/" }),
    grant("soch:write", { keyPrefix: "users/", readOnly: true }),
  ]);
  assert.is(plugin.callSync("read", 0, put(0, "users/ann"), 200, 10), 1n);
  assert.is(plugin.callSync("read", 0, put(0, "secrets/root"), 200, 10), -2n);
  assert.is(plugin.callSync("write", 0, put(0, "users/ann"), 100, put(100, "x")), -2n);
});

test("vector_search returns JSON best first, filtered by the token's prefix", async () => {
  const provider = mapProvider();
  provider.vectors.set("a/x", new Float32Array([1, 0]));
  provider.vectors.set("a/y", new Float32Array([0.6, 0.8]));
  provider.vectors.set("b/z", new Float32Array([1, 0.01]));
  const { plugin } = await load(provider, [grant("soch:vector_search", { keyPrefix: "a/" })]);
  const query = new Uint8Array(new Float32Array([1, 0]).buffer);
  plugin.memory.write(0, query);
  const n = plugin.callSync("search", 0, 2, 5, 100, 1000) as bigint;
  const hits = JSON.parse(plugin.memory.readUtf8(100, Number(n)));
  assert.equal(hits.map((h: { key: string }) => h.key), ["a/x", "a/y"]);
  assert.ok(Math.abs(hits[0].score - 1) < 1e-6);
  assert.is(plugin.callSync("search", 0, 0, 5, 100, 1000), -3n, "dim 0");
  assert.is(plugin.callSync("search", 0, 2, 0, 100, 1000), -3n, "k 0");
  assert.is(plugin.callSync("search", 0, 2, -5, 100, 1000), -3n, "negative k");
  assert.is(plugin.callSync("search", 0, 100000, 5, 100, 1000), -4n, "huge dim");
});

test("a provider that throws is UNAVAILABLE and the plugin keeps running", async () => {
  const broken: HostContextProvider = {
    read: () => {
      throw new Error("database down");
    },
    write: () => {},
    vectorSearch: () => [],
  };
  const { plugin, put } = await load(broken as never);
  assert.is(plugin.callSync("read", 0, put(0, "k"), 100, 10), -6n);
  assert.is(plugin.state, "Ready");
});

test("revoking a token makes later calls PERMISSION_DENIED", async () => {
  const read = grant("soch:read");
  const { plugin, put, provider } = await load(mapProvider(), [read]);
  provider.values.set("k", new Uint8Array([1]));
  assert.is(plugin.callSync("read", 0, put(0, "k"), 100, 10), 1n);
  read.revoke();
  assert.is(plugin.callSync("read", 0, put(0, "k"), 100, 10), -2n);
});

test.run();
