// End to end: every example plugin in guest/examples/, compiled from its
// AssemblyScript source with asc and run through the real runtime (real
// bridge, capability checks, soch provider, response slot, WASI, audit log).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DefaultHostContextProvider, grant, SandboxError, WasmSandboxRuntime } from "../../mod.ts";
import type { PluginOptions } from "../../mod.ts";
import type { GuestLogEntry } from "../../lib/host/mod.ts";
import { compileAssemblyScript } from "../_helpers/assemblyscript.ts";
import { tempDir } from "../_helpers/temp.ts";
import { DOC_INDEX_DIM, docIndexEmbedding } from "./_doc_index_embedding.ts";

const test = suite("guest examples, end to end");

const projectRoot = fileURLToPath(new URL("../../", import.meta.url));

/** Compiles guest/examples/<name>.ts; imports resolve to the real SDK. Cached per name. */
const compiled = new Map<string, Promise<Uint8Array>>();
function example(name: string, flags: string[] = []): Promise<Uint8Array> {
  let wasm = compiled.get(name);
  if (!wasm) {
    const path = `guest/examples/${name}.ts`;
    wasm = compileAssemblyScript(readFileSync(`${projectRoot}${path}`, "utf8"), { path, flags });
    compiled.set(name, wasm);
  }
  return wasm;
}

/** A runtime over `provider` whose guest log lines are collected in `logs`. */
function runtimeWith(provider = new DefaultHostContextProvider()) {
  const logs: GuestLogEntry[] = [];
  const runtime = new WasmSandboxRuntime({ provider, logger: (entry) => void logs.push(entry) });
  return { runtime, provider, logs };
}

const text = (bytes: Uint8Array | undefined) => bytes === undefined ? undefined : new TextDecoder().decode(bytes);

/** The audit events of one function, in call order. */
function callsTo(runtime: WasmSandboxRuntime, fn: string) {
  return runtime.audit.events().events.filter((e) => e.function === fn);
}

// --- kv_counter ---------------------------------------------------------------

const COUNTER_CAPS = () => [grant("soch:read"), grant("soch:write"), grant("sandbox:log")];

test("kv_counter: increment() counts 1 then 2 in the soch store and logs each value", async () => {
  const { runtime, provider, logs } = runtimeWith();
  const plugin = await runtime.loadPlugin("counter", await example("kv_counter"), { capabilities: COUNTER_CAPS() });
  assert.is(plugin.callSync("increment"), 1n);
  assert.is(text(provider.read("counter")), "1");
  assert.is(await plugin.call("increment"), 2n);
  assert.is(text(provider.read("counter")), "2");
  assert.equal(logs.map((l) => [l.pluginId, l.level, l.message]), [
    ["counter", "info", "counter is now 1"],
    ["counter", "info", "counter is now 2"],
  ]);
  assert.equal(callsTo(runtime, "soch_read").map((e) => e.result), [-1n, 1n], "absent first, then one byte");
  assert.ok(runtime.audit.events().events.every((e) => e.decision === "allow"));
});

test("kv_counter: continues from a value the host stored", async () => {
  const { runtime, provider } = runtimeWith();
  provider.write("counter", new TextEncoder().encode("41"));
  const plugin = await runtime.loadPlugin("counter", await example("kv_counter"), { capabilities: COUNTER_CAPS() });
  assert.is(plugin.callSync("increment"), 42n);
  assert.is(text(provider.read("counter")), "42");
});

test("kv_counter: without soch:write the load is refused, naming the capability", async () => {
  const { runtime } = runtimeWith();
  const err = await runtime.loadPlugin("counter", await example("kv_counter"), {
    capabilities: [grant("soch:read"), grant("sandbox:log")],
  }).then(() => undefined, (e: unknown) => e);
  assert.instance(err, SandboxError);
  assert.is((err as SandboxError).code, "CapabilityDenied");
  assert.match((err as SandboxError).message, "soch:write");
});

test("kv_counter: without soch:write, linked as refusing stubs, the guest gets PERMISSION_DENIED (-2)", async () => {
  const { runtime, provider, logs } = runtimeWith();
  const plugin = await runtime.loadPlugin("counter", await example("kv_counter"), {
    capabilities: [grant("soch:read"), grant("sandbox:log")],
    linkDeniedAsStubs: true,
  });
  assert.is(plugin.callSync("increment"), -2n);
  assert.is(plugin.state, "Ready", "an ABI error is an answer, not a trap");
  assert.is(provider.read("counter"), undefined, "nothing was written");
  assert.equal(logs.map((l) => [l.level, l.message]), [["warn", "writing the counter failed: PERMISSION_DENIED"]]);
  const writes = callsTo(runtime, "soch_write");
  assert.is(writes.length, 1);
  assert.is(writes[0].decision, "deny");
  assert.is(writes[0].capability, "soch:write");
  assert.is(plugin.stats().deniedHostCalls, 1);
});

test("kv_counter: a revoked soch:read token makes the read fail with PERMISSION_DENIED", async () => {
  const { runtime, provider } = runtimeWith();
  const read = grant("soch:read");
  const plugin = await runtime.loadPlugin("counter", await example("kv_counter"), {
    capabilities: [read, grant("soch:write"), grant("sandbox:log")],
  });
  assert.is(plugin.callSync("increment"), 1n);
  read.revoke();
  assert.is(plugin.callSync("increment"), -2n, "the read error is returned, not mistaken for an absent counter");
  assert.is(text(provider.read("counter")), "1", "the counter was not reset to 1");
});

test("kv_counter: a token scoped to another key prefix refuses the counter key", async () => {
  const { runtime } = runtimeWith();
  const plugin = await runtime.loadPlugin("counter", await example("kv_counter"), {
    capabilities: [grant("soch:read", { keyPrefix: "other/" }), grant("soch:write"), grant("sandbox:log")],
  });
  assert.is(plugin.callSync("increment"), -2n);
});

// --- vector_demo ----------------------------------------------------------------

const VECTOR_CAPS = () => [grant("soch:vector_search"), grant("soch:write"), grant("sandbox:log")];

test("vector_demo: search() finds the nearest stored vector, best first", async () => {
  const { runtime, provider, logs } = runtimeWith();
  provider.upsertVector("north", [0, 1, 0]);
  provider.upsertVector("east", [1, 0, 0]);
  provider.upsertVector("up", [0, 0, 1]);
  const plugin = await runtime.loadPlugin("vectors", await example("vector_demo"), { capabilities: VECTOR_CAPS() });
  const size = plugin.callSync("search", 0.9, 0.1, 0, 2) as number;
  const stored = text(provider.read("last_search"))!;
  assert.is(size, new TextEncoder().encode(stored).byteLength);
  const hits = JSON.parse(stored) as Array<{ key: string; score: number }>;
  assert.equal(hits.map((h) => h.key), ["east", "north"]);
  assert.ok(hits[0].score > hits[1].score);
  assert.ok(Math.abs(hits[0].score - 0.9 / Math.hypot(0.9, 0.1)) < 1e-5);
  assert.equal(logs.map((l) => l.message), [`nearest: ${stored}`]);
  assert.is(callsTo(runtime, "take_response").length, 0, "a short result fits the SDK's static buffer");
});

test("vector_demo: a result longer than the SDK's 256-byte buffer comes through take_response intact", async () => {
  const { runtime, provider } = runtimeWith();
  for (let i = 0; i < 20; i++) {
    const angle = (i / 20) * (Math.PI / 2);
    provider.upsertVector(`documents/section-${String(i).padStart(2, "0")}`, [Math.cos(angle), Math.sin(angle), 0]);
  }
  const plugin = await runtime.loadPlugin("vectors", await example("vector_demo"), { capabilities: VECTOR_CAPS() });
  const size = plugin.callSync("search", 1, 0, 0, 20) as number;
  assert.ok(size > 256, `the result is ${size} bytes`);
  const stored = text(provider.read("last_search"))!;
  assert.is(new TextEncoder().encode(stored).byteLength, size);
  const expected = provider.vectorSearch(new Float32Array([1, 0, 0]), 20);
  assert.equal(JSON.parse(stored), JSON.parse(JSON.stringify(expected)));
  assert.is(JSON.parse(stored)[0].key, "documents/section-00");
  const searches = callsTo(runtime, "vector_search");
  const takes = callsTo(runtime, "take_response");
  assert.is(searches.length, 1, "the search ran once");
  assert.is(searches[0].result, BigInt(size), "vector_search announced the size");
  assert.is(takes.length, 1);
  assert.is(takes[0].result, BigInt(size), "take_response delivered exactly that many bytes");
});

test("vector_demo: an empty store answers [] and a bad k is INVALID_ARGUMENT (-3)", async () => {
  const { runtime, provider, logs } = runtimeWith();
  const plugin = await runtime.loadPlugin("vectors", await example("vector_demo"), { capabilities: VECTOR_CAPS() });
  assert.is(plugin.callSync("search", 1, 0, 0, 3), 2);
  assert.is(text(provider.read("last_search")), "[]");
  assert.is(plugin.callSync("search", 1, 0, 0, 0), -3);
  assert.equal(logs.at(-1)?.message, "vector_search failed: INVALID_ARGUMENT");
});

// --- doc_index ------------------------------------------------------------------

const DOC_CAPS = () => [grant("soch:write"), grant("soch:vector_write"), grant("soch:vector_search"), grant("soch:read")];

const DOCS: Record<string, string> = {
  "docs/fuel": "Fuel metering rewrites the module so that every loop and call spends fuel; an infinite loop runs out of fuel and stops.",
  "docs/wasi": "WASI gives the plugin a virtual filesystem, clocks, random numbers and stdio, each behind its own capability.",
  "docs/audit": "Every host call is recorded in the audit log; with a file sink the records form a hash chain that verify checks.",
  "docs/exec": "sandbox_exec runs a host command under bubblewrap with the network off, or not at all unless the policy allows it.",
  "docs/long": "A long document about capabilities and tokens. ".repeat(12),
};

/** A runtime with doc_index loaded and DOCS indexed by the guest. */
async function docIndex(capabilities = DOC_CAPS(), provider = new DefaultHostContextProvider()) {
  const { runtime } = runtimeWith(provider);
  const plugin = await runtime.loadPlugin("docs", await example("doc_index", ["--exportRuntime"]), { capabilities });
  /** search() through the plugin: the parsed answer, or the guest's error code. */
  const search = (query: string, k: number): Array<{ key: string; score: number; text: string | null }> | number => {
    const ptr = plugin.callSync("search", query, k) as number;
    if (ptr === 0) return plugin.callSync("lastErrorCode") as number;
    return JSON.parse(plugin.memory.readAssemblyScriptString(ptr));
  };
  return { runtime, provider, plugin, search };
}

test("doc_index: the guest indexes documents and answers a search with the nearest texts, best first", async () => {
  const { runtime, provider, plugin, search } = await docIndex();
  for (const [key, text] of Object.entries(DOCS)) assert.is(await plugin.call("index", key, text), 0, key);
  assert.is(provider.size, 5);
  assert.is(provider.vectorCount, 5);
  assert.is(provider.dimension, DOC_INDEX_DIM, "the first vector the guest stored fixed the dimension");
  // The vectors are the embedding the example documents (stored as unit vectors).
  const stored = provider.toJSON().vectors!;
  for (const [key, text] of Object.entries(DOCS)) {
    const expected = docIndexEmbedding(text);
    const norm = Math.hypot(...expected);
    assert.ok(stored[key].every((x, i) => Math.abs(x - expected[i] / norm) < 1e-6), key);
  }

  const query = "how does an infinite loop stop when it runs out of fuel";
  const hits = search(query, 3);
  assert.ok(Array.isArray(hits), `search failed: ${hits}`);
  assert.is(hits[0].key, "docs/fuel");
  assert.is(hits[0].text, DOCS["docs/fuel"]);
  // Scores and order are the provider's own for the guest's query embedding; every text is the indexed one.
  const expected = provider.vectorSearch(docIndexEmbedding(query), 3);
  assert.equal(hits.map((h) => [h.key, h.score]), expected.map((h) => [h.key, h.score]));
  assert.ok(hits.every((h) => h.text === DOCS[h.key]));

  // All of it went through the audited host functions, allowed.
  const fns = (name: string) => callsTo(runtime, name);
  assert.is(fns("soch_write").length, 5);
  assert.is(fns("vector_put").length, 5);
  assert.is(fns("vector_search").length, 1);
  assert.is(fns("soch_read").length, 3);
  assert.ok(runtime.audit.events().events.every((e) => e.decision === "allow"));
});

test("doc_index: long texts and long hit lists come through take_response intact", async () => {
  const { runtime, plugin, search } = await docIndex();
  for (const [key, text] of Object.entries(DOCS)) assert.is(plugin.callSync("index", key, text), 0, key);
  const hits = search("capabilities and tokens", 5);
  assert.ok(Array.isArray(hits));
  assert.is(hits.length, 5);
  assert.is(hits[0].key, "docs/long");
  assert.is(hits[0].text, DOCS["docs/long"]);
  assert.ok(new TextEncoder().encode(DOCS["docs/long"]).byteLength > 256);
  assert.ok(callsTo(runtime, "take_response").length >= 1, "the long text did not fit the SDK's buffer");
});

test("doc_index: re-indexing a key replaces its text and vector; a text without words is -3 and stores nothing", async () => {
  const { provider, plugin, search } = await docIndex();
  assert.is(plugin.callSync("index", "docs/a", "apples and pears"), 0);
  assert.is(plugin.callSync("index", "docs/a", "rivers and mountains"), 0);
  assert.is(provider.vectorCount, 1);
  assert.is(text(provider.read("docs/a")), "rivers and mountains");
  const hits = search("mountains", 1);
  assert.ok(Array.isArray(hits));
  assert.equal(hits.map((h) => h.text), ["rivers and mountains"]);
  assert.is(plugin.callSync("index", "docs/b", " ... !!! "), -3);
  assert.is(provider.read("docs/b"), undefined);
  assert.is(search("?!", 1), -3, "a query without words");
  assert.is(search("mountains", 0), -3, "k 0, refused by the host");
});

test("doc_index: scoped tokens confine the guest to docs/: writes elsewhere are -2, other keys never show up", async () => {
  const provider = new DefaultHostContextProvider();
  // A host-side document outside the scope that would be the best match.
  provider.write("private/salary", new TextEncoder().encode("secret fuel budget"));
  provider.upsertVector("private/salary", docIndexEmbedding("fuel"));
  const scope = { keyPrefix: "docs/" };
  const caps = [grant("soch:write", scope), grant("soch:vector_write", scope), grant("soch:vector_search", scope), grant("soch:read", scope)];
  const { plugin, search } = await docIndex(caps, provider);
  assert.is(plugin.callSync("index", "docs/fuel", DOCS["docs/fuel"]), 0);
  assert.is(plugin.callSync("index", "private/notes", "fuel notes"), -2);
  assert.is(provider.read("private/notes"), undefined);
  assert.is(provider.vectorCount, 2);
  const hits = search("fuel", 5);
  assert.ok(Array.isArray(hits));
  assert.equal(hits.map((h) => h.key), ["docs/fuel"]);
});

test("doc_index: a store of another dimension refuses the vector (-3) and the audit record says why", async () => {
  const { runtime, provider, plugin } = await docIndex(DOC_CAPS(), new DefaultHostContextProvider({ dimension: 64 }));
  assert.is(plugin.callSync("index", "docs/fuel", DOCS["docs/fuel"]), -3);
  assert.is(provider.vectorCount, 0);
  assert.is(text(provider.read("docs/fuel")), DOCS["docs/fuel"], "the text was stored first; index() reports the failure");
  const [put] = callsTo(runtime, "vector_put");
  assert.is(put.result, -3n);
  assert.match(put.reason ?? "", "32 components; the store's vectors have 64");
});

test("doc_index: without soch:vector_write the load is refused, naming the capability", async () => {
  const { runtime } = runtimeWith();
  const err = await runtime.loadPlugin("docs", await example("doc_index", ["--exportRuntime"]), {
    capabilities: [grant("soch:write"), grant("soch:vector_search"), grant("soch:read")],
  }).then(() => undefined, (e: unknown) => e);
  assert.instance(err, SandboxError);
  assert.is((err as SandboxError).code, "CapabilityDenied");
  assert.match((err as SandboxError).message, "soch:vector_write");
});

// --- hello_wasi -----------------------------------------------------------------

const HELLO_FLAGS = ["--exportStart", "_start", "--use", "abort=guest/examples/hello_wasi/abortToExit"];

test("hello_wasi: run() prints its greeting on stdout and exits 0", async () => {
  const chunks: Uint8Array[] = [];
  const runtime = new WasmSandboxRuntime();
  const options: PluginOptions = {
    capabilities: [grant("wasi:stdio"), grant("wasi:proc")],
    wasi: { onStdout: (chunk) => void chunks.push(chunk.slice()) },
  };
  const plugin = await runtime.loadPlugin("hello", await example("hello_wasi", HELLO_FLAGS), options);
  const result = await plugin.run();
  assert.is(result.exitCode, 0);
  assert.is(text(result.stdout), "Hello from WASI!\n");
  assert.is(text(result.stderr), "");
  assert.is(chunks.map((c) => text(c)).join(""), "Hello from WASI!\n", "streamed as written");
  assert.is(plugin.state, "Terminated");
  assert.ok(callsTo(runtime, "fd_write").every((e) => e.decision === "allow" && e.capability === "wasi:stdio"));
});

test("hello_wasi: without wasi:stdio the write is refused (NOTCAPABLE) and nothing is printed", async () => {
  const runtime = new WasmSandboxRuntime();
  const plugin = await runtime.loadPlugin("hello", await example("hello_wasi", HELLO_FLAGS), { linkDeniedAsStubs: true });
  const result = await plugin.run();
  assert.is(text(result.stdout), "");
  const writes = callsTo(runtime, "fd_write");
  assert.is(writes.length, 1, "the guest gives up after the refused write");
  assert.is(writes[0].decision, "deny");
  assert.is(writes[0].result, 76, "errno NOTCAPABLE");
});

// --- exec_demo ------------------------------------------------------------------
// Runs only where the runtime provides platform_sandbox.sandbox_exec; elsewhere
// the load must fail closed (InvalidModule naming the import) and the rest is skipped.

const EXEC_CAPS = () => [grant("sandbox:time"), grant("sandbox:log"), grant("soch:write")];

/** Loads exec_demo, or returns undefined (after checking the refusal) when this runtime has no sandbox_exec. */
async function loadExecDemo(runtime: WasmSandboxRuntime, options: PluginOptions) {
  try {
    return await runtime.loadPlugin("exec", await example("exec_demo"), options);
  } catch (err) {
    assert.instance(err, SandboxError);
    assert.is((err as SandboxError).code, "InvalidModule");
    assert.match((err as SandboxError).message, "platform_sandbox.sandbox_exec");
    console.log("  note: exec_demo not run: this runtime provides no platform_sandbox.sandbox_exec");
    return undefined;
  }
}

test("exec_demo: without sandbox:exec the request is refused with PERMISSION_DENIED (-2) and nothing runs", async () => {
  const { runtime, provider, logs } = runtimeWith();
  const plugin = await loadExecDemo(runtime, { capabilities: EXEC_CAPS(), linkDeniedAsStubs: true });
  if (!plugin) return;
  assert.is(await plugin.call("run"), -2);
  assert.is(provider.read("exec_result"), undefined);
  assert.equal(logs.map((l) => [l.level, l.message]), [["warn", "sandbox_exec failed: PERMISSION_DENIED"]]);
  const execs = callsTo(runtime, "sandbox_exec");
  assert.is(execs.length, 1);
  assert.is(execs[0].decision, "deny");
});

test("exec_demo: a policy allowing echo runs it and the JSON response reaches the store", async () => {
  const { runtime, provider, logs } = runtimeWith();
  const policy = { allowedCommands: ["echo"], workingDirectory: await tempDir(), networkIsolation: "none", processIsolation: "group" };
  const plugin = await loadExecDemo(runtime, { capabilities: [...EXEC_CAPS(), grant("sandbox:exec", policy)] });
  if (!plugin) return;
  const size = (await plugin.call("run")) as number;
  const stored = text(provider.read("exec_result"))!;
  assert.is(size, new TextEncoder().encode(stored).byteLength);
  const response = JSON.parse(stored);
  assert.is(response.exit_code, 0);
  assert.is(response.stdout, "hello from the sandbox\n");
  assert.is(response.timed_out, false);
  assert.is(logs.length, 1);
  assert.match(logs[0].message, /^exec took \d+ ms: \{/);
});

test.run();
