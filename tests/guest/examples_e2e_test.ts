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
  assert.is(plugin.callSync("run"), -2);
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
  const size = plugin.callSync("run") as number;
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
