// The soch functions over an async provider (PGlite): async host functions,
// so the plugin runs with JSPI (Node 24, Deno) or in a worker (Node 20), and
// every guarantee of the sync provider holds — ABI codes, scopes, audit.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { grant, WasmSandboxRuntime } from "../../mod.ts";
import type { HostCallRecord } from "../../mod.ts";
import { PgliteHostContextProvider } from "../../lib/host/soch_pglite_provider.ts";
import { AbiCode } from "../../lib/host/abi_codes.ts";
import { hasJspi } from "../../lib/sandbox/plugin_sandbox.ts";
import { sandboxError } from "../_helpers/errors.ts";
import { sochPassthroughGuest } from "../_helpers/soch_guest.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("soch over an async provider");

const GUEST = sochPassthroughGuest(["read", "write", "put", "search"], 2);

const KEY = 0;
const VALUE = 1024;
const VEC = 2048;
const OUT = 4096;

// PGlite's start-up takes seconds: one in-memory store for the file, keys kept apart per test.
let store: Promise<PgliteHostContextProvider> | undefined;
const provider = () => (store ??= PgliteHostContextProvider.open(undefined, { dimension: 2 }));

async function guest(scope: Record<string, unknown> = {}, isolation?: { mode: "worker" }) {
  const records: HostCallRecord[] = [];
  const runtime = new WasmSandboxRuntime({ provider: await provider() });
  const plugin = await runtime.loadPlugin("p", await wat(GUEST), {
    capabilities: ["soch:read", "soch:write", "soch:vector_write", "soch:vector_search"].map((c) => grant(c, scope)),
    recorder: { record: (r) => records.push(r) },
    isolation,
  });
  const memory = plugin.memory;
  const write = async (key: string, value: string) => {
    const k = memory.writeUtf8(KEY, key);
    const v = memory.writeUtf8(VALUE, value);
    return await plugin.call("write", KEY, k, VALUE, v) as bigint;
  };
  const read = async (key: string) => {
    const k = memory.writeUtf8(KEY, key);
    const n = await plugin.call("read", KEY, k, OUT, 1024) as bigint;
    return n < 0n ? n : memory.readUtf8(OUT, Number(n));
  };
  const put = async (key: string, vector: number[]) => {
    const k = memory.writeUtf8(KEY, key);
    memory.write(VEC, new Uint8Array(new Float32Array(vector).buffer));
    return await plugin.call("put", KEY, k, VEC, vector.length) as bigint;
  };
  const search = async (query: number[], k: number) => {
    memory.write(VEC, new Uint8Array(new Float32Array(query).buffer));
    const n = await plugin.call("search", VEC, query.length, k, OUT, 4096) as bigint;
    return n < 0n ? n : JSON.parse(memory.readUtf8(OUT, Number(n))) as Array<{ key: string; score: number }>;
  };
  return { runtime, plugin, records, write, read, put, search };
}

test("the functions are async: the plugin runs with JSPI or in a worker, and callSync is InvalidState", async () => {
  const { plugin } = await guest();
  assert.is(plugin.info().mode, hasJspi() ? "jspi" : "worker");
  assert.is((await sandboxError(Promise.resolve().then(() => plugin.callSync("read", KEY, 1, OUT, 16)))).code, "InvalidState");
});

test("soch_write then soch_read through the guest, with the ABI's codes and an audit record per call", async () => {
  const g = await guest();
  assert.is(await g.write("a/greeting", "hello from the guest"), 0n);
  assert.is(await g.read("a/greeting"), "hello from the guest");
  assert.is(await g.read("a/absent"), BigInt(AbiCode.NOT_FOUND));
  assert.equal(g.records.map((r) => `${r.function}:${r.decision}:${String(r.result)}`), [
    "soch_write:allow:0",
    "soch_read:allow:20",
    `soch_read:allow:${AbiCode.NOT_FOUND}`,
  ]);
  assert.equal([g.records[0].bytesIn, g.records[1].bytesOut], ["a/greeting".length + 20, 20]);
});

test("vector_put indexes and vector_search finds, best first; the store's dimension is enforced with its reason audited", async () => {
  const g = await guest();
  assert.is(await g.put("v/east", [1, 0]), 0n);
  assert.is(await g.put("v/north", [0, 1]), 0n);
  assert.is(await g.put("v/northeast", [1, 1]), 0n);
  const hits = await g.search([1, 0.1], 2) as Array<{ key: string }>;
  assert.equal(hits.map((h) => h.key), ["v/east", "v/northeast"]);
  assert.is(await g.put("v/3d", [1, 0, 0]), BigInt(AbiCode.INVALID_ARGUMENT));
  const refused = g.records.at(-1)!;
  assert.is(refused.function, "vector_put");
  assert.match(refused.reason ?? "", /3 components; the store.s vectors have 2/);
  assert.is(await g.put("v/zero", [0, 0]), BigInt(AbiCode.INVALID_ARGUMENT), "the zero vector has no direction");
});

test("scopes hold as with the in-memory provider: keyPrefix hides other keys, readOnly refuses writes", async () => {
  const writer = await guest();
  assert.is(await writer.write("s/secret", "x"), 0n);
  assert.is(await writer.put("s/secret", [0, 1]), 0n);
  const scoped = await guest({ keyPrefix: "t/" });
  assert.is(await scoped.read("s/secret"), BigInt(AbiCode.PERMISSION_DENIED));
  assert.is(await scoped.write("s/other", "x"), BigInt(AbiCode.PERMISSION_DENIED));
  assert.is(await scoped.put("t/mine", [0, 1]), 0n);
  const hits = await scoped.search([0, 1], 10) as Array<{ key: string }>;
  assert.ok(hits.every((h) => h.key.startsWith("t/")), JSON.stringify(hits));
  const readOnly = await guest({ readOnly: true });
  assert.is(await readOnly.write("r/x", "x"), BigInt(AbiCode.PERMISSION_DENIED));
  assert.is(await readOnly.read("s/secret"), "x");
});

test("a worker-isolated plugin and an in-process one share the store and see each other's writes", async () => {
  const inWorker = await guest({}, { mode: "worker" });
  const other = await guest();
  assert.is(inWorker.plugin.info().mode, "worker");
  assert.is(await inWorker.write("w/shared", "from the worker"), 0n);
  assert.is(await other.read("w/shared"), "from the worker");
  assert.is(await other.write("w/shared", "and back"), 0n);
  assert.is(await inWorker.read("w/shared"), "and back");
  inWorker.runtime.unloadPlugin("p");
});

test("hostile pointers are refused before the provider is asked, and the plugin keeps serving", async () => {
  const g = await guest();
  const end = g.plugin.memory.byteLength;
  assert.is(await g.plugin.call("write", end - 2, 10, VALUE, 1), BigInt(AbiCode.INVALID_ARGUMENT));
  assert.is(await g.plugin.call("read", KEY, 0, OUT, 16), BigInt(AbiCode.INVALID_ARGUMENT));
  assert.is(await g.plugin.call("search", end - 4, 2, 1, OUT, 16), BigInt(AbiCode.INVALID_ARGUMENT));
  assert.is(g.plugin.state, "Ready");
  assert.is(await g.write("h/ok", "still serving"), 0n);
});

test.after(async () => {
  await (await store)?.close();
});

test.run();
