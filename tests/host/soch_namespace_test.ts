import { suite } from "uvu";
import * as assert from "uvu/assert";
import { DefaultHostContextProvider, grant, WasmSandboxRuntime } from "../../mod.ts";
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
  (import "soch" "vector_put" (func $put (param i32 i32 i32 i32) (result i64)))
  (import "sandbox" "take_response" (func $take (param i32 i32) (result i64)))
  (memory (export "memory") 1)
  (func (export "read") (param i32 i32 i32 i32) (result i64)
    (call $read (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "write") (param i32 i32 i32 i32) (result i64)
    (call $write (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "search") (param i32 i32 i32 i32 i32) (result i64)
    (call $search (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
  (func (export "vput") (param i32 i32 i32 i32) (result i64)
    (call $put (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "take") (param i32 i32) (result i64) (call $take (local.get 0) (local.get 1))))`;

const all = () => [grant("soch:read"), grant("soch:write"), grant("soch:vector_search")];

async function load<P extends HostContextProvider>(provider: P = mapProvider() as never, capabilities = all()) {
  const runtime = new WasmSandboxRuntime({ provider });
  const plugin = await runtime.loadPlugin("p", await wat(GUEST), { capabilities, linkDeniedAsStubs: true });
  const put = (ptr: number, text: string) => plugin.memory.writeUtf8(ptr, text);
  /** Writes `values` as little-endian f32 at `ptr`; returns the dimension. */
  const putVector = (ptr: number, values: number[]) => (plugin.memory.write(ptr, new Uint8Array(new Float32Array(values).buffer)), values.length);
  return { plugin, provider, put, putVector, runtime };
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

// --- vector_put -----------------------------------------------------------------

const indexing = () => [grant("soch:vector_write"), grant("soch:vector_search")];

test("vector_put stores a vector that vector_search then finds; a second put replaces it", async () => {
  const { plugin, provider, put, putVector } = await load(new DefaultHostContextProvider(), indexing());
  const keyLen = put(0, "doc:1");
  assert.is(plugin.callSync("vput", 0, keyLen, 100, putVector(100, [3, 4, 0])), 0n);
  assert.is(provider.vectorCount, 1);
  assert.is(provider.dimension, 3, "the first vector fixed the store's dimension");
  assert.equal(provider.vectorSearch(new Float32Array([0, 1, 0]), 1), [{ key: "doc:1", score: Math.fround(0.8) }]);
  assert.is(plugin.callSync("vput", 0, keyLen, 100, putVector(100, [0, 0, 2])), 0n);
  assert.is(provider.vectorCount, 1, "replaced, not added");
  const n = plugin.callSync("search", 100, putVector(100, [0, 0, 1]), 5, 200, 1000) as bigint;
  assert.equal(JSON.parse(plugin.memory.readUtf8(200, Number(n))), [{ key: "doc:1", score: 1 }]);
});

test("vector_put refuses what a query would be refused for: dim 0, dim over the limit, NaN, infinity, zero", async () => {
  const { plugin, provider, put, putVector } = await load(new DefaultHostContextProvider(), indexing());
  const keyLen = put(0, "v");
  assert.is(plugin.callSync("vput", 0, keyLen, 100, 0), -3n, "dim 0");
  assert.is(plugin.callSync("vput", 0, keyLen, 100, 4097), -4n, "dim above 4096");
  assert.is(plugin.callSync("vput", 0, keyLen, 100, putVector(100, [1, NaN])), -3n, "NaN");
  assert.is(plugin.callSync("vput", 0, keyLen, 100, putVector(100, [Infinity, 1])), -3n, "infinity");
  assert.is(plugin.callSync("vput", 0, keyLen, 100, putVector(100, [0, -0, 0])), -3n, "zero vector");
  assert.is(provider.vectorCount, 0, "nothing was stored");
  assert.is(provider.dimension, undefined, "no refused vector fixed the dimension");
});

test("vector_put of another dimension than the store's is INVALID_ARGUMENT (-3), and the audit says why", async () => {
  const provider = new DefaultHostContextProvider({ dimension: 2 });
  const { plugin, put, putVector, runtime } = await load(provider, indexing());
  const keyLen = put(0, "v");
  assert.is(plugin.callSync("vput", 0, keyLen, 100, putVector(100, [1, 2, 3])), -3n, "the host set dimension 2");
  assert.is(plugin.callSync("vput", 0, keyLen, 100, putVector(100, [1, 2])), 0n);
  const puts = runtime.audit.events().events.filter((e) => e.function === "vector_put");
  assert.equal(puts.map((e) => [e.decision, e.result]), [["allow", -3n], ["allow", 0n]]);
  assert.match(puts[0].reason ?? "", "3 components; the store's vectors have 2");
  assert.is(puts[0].bytesIn, 1 + 12, "the key and the vector were read");
});

test("vector_put: the namespace refuses NaN and zero vectors even for a provider that would take them", async () => {
  const stored: string[] = [];
  const lax = { ...mapProvider(), vectorPut: (key: string) => void stored.push(key) };
  const { plugin, put, putVector } = await load(lax, indexing());
  const keyLen = put(0, "k");
  assert.is(plugin.callSync("vput", 0, keyLen, 100, putVector(100, [NaN, 1])), -3n);
  assert.is(plugin.callSync("vput", 0, keyLen, 100, putVector(100, [0, 0])), -3n);
  assert.equal(stored, []);
  assert.is(plugin.callSync("vput", 0, keyLen, 100, putVector(100, [0, 1])), 0n);
  assert.equal(stored, ["k"]);
});

test("vector_put keys follow the key rules: empty or invalid UTF-8 is -3, too long is -4", async () => {
  const { plugin, provider, putVector } = await load(new DefaultHostContextProvider(), indexing());
  const dim = putVector(100, [1, 0]);
  assert.is(plugin.callSync("vput", 0, 0, 100, dim), -3n, "empty key");
  plugin.memory.write(0, new Uint8Array([0xc3, 0x28]));
  assert.is(plugin.callSync("vput", 0, 2, 100, dim), -3n, "invalid UTF-8");
  assert.is(plugin.callSync("vput", 0, 1025, 100, dim), -4n, "key over 1024 bytes");
  assert.is(provider.vectorCount, 0);
});

test("vector_put honours the token's scope: outside keyPrefix and readOnly are PERMISSION_DENIED (-2)", async () => {
  const provider = new DefaultHostContextProvider();
  const { plugin, put, putVector } = await load(provider, [grant("soch:vector_write", { keyPrefix: "docs/" })]);
  const dim = putVector(100, [1, 0]);
  assert.is(plugin.callSync("vput", 0, put(0, "secrets/x"), 100, dim), -2n);
  assert.is(plugin.callSync("vput", 0, put(0, "docs/a"), 100, dim), 0n);
  assert.equal(provider.vectorSearch(new Float32Array([1, 0]), 5).map((h) => h.key), ["docs/a"]);

  const readOnly = await load(new DefaultHostContextProvider(), [grant("soch:vector_write", { readOnly: true })]);
  readOnly.putVector(100, [1, 0]);
  assert.is(readOnly.plugin.callSync("vput", 0, readOnly.put(0, "docs/a"), 100, 2), -2n);
  assert.is(readOnly.provider.vectorCount, 0);
});

test("vector_put needs soch:vector_write: soch:write or soch:vector_search do not grant it", async () => {
  const provider = new DefaultHostContextProvider();
  const { plugin, put, putVector, runtime } = await load(provider, [grant("soch:write"), grant("soch:vector_search")]);
  assert.is(plugin.callSync("vput", 0, put(0, "k"), 100, putVector(100, [1, 0])), -2n);
  assert.is(provider.vectorCount, 0);
  const [event] = runtime.audit.events().events.filter((e) => e.function === "vector_put");
  assert.equal([event.decision, event.capability], ["deny", "soch:vector_write"]);
});

test("vector_put with a provider that cannot store vectors is UNAVAILABLE (-6), explained, and the plugin keeps running", async () => {
  const { plugin, put, putVector, runtime } = await load(mapProvider(), indexing());
  assert.is(plugin.callSync("vput", 0, put(0, "k"), 100, putVector(100, [1, 0])), -6n);
  assert.is(plugin.state, "Ready");
  const [event] = runtime.audit.events().events.filter((e) => e.function === "vector_put");
  assert.match(event.reason ?? "", "no vectorPut");
});

test("vector_put maps provider failures: a LIMIT_EXCEEDED store is -4, a thrown error -6", async () => {
  const full = new DefaultHostContextProvider({ limits: { maxVectors: 1 } });
  const { plugin, put, putVector } = await load(full, indexing());
  const dim = putVector(100, [1, 0]);
  assert.is(plugin.callSync("vput", 0, put(0, "a"), 100, dim), 0n);
  assert.is(plugin.callSync("vput", 0, put(0, "b"), 100, dim), -4n, "store full");
  assert.is(plugin.callSync("vput", 0, put(0, "a"), 100, dim), 0n, "replacing an existing key still works");

  const broken = { ...mapProvider(), vectorPut: () => { throw new Error("disk full"); } };
  const b = await load(broken, indexing());
  assert.is(b.plugin.callSync("vput", 0, b.put(0, "k"), 100, b.putVector(100, [1, 0])), -6n);
  assert.is(b.plugin.state, "Ready");
});

test.run();
