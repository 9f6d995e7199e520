// Hostile use of the built-in host functions: trace with a huge string, a log
// flood in deterministic mode, sandbox_exec with a bad out-pointer, and a
// capability scope changed after grant().
import { existsSync } from "node:fs";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { grant, WasmSandboxRuntime } from "../../mod.ts";
import { SandboxError } from "../../lib/errors.ts";
import { execPolicyOf } from "../../lib/host/sandbox_exec.ts";
import type { GuestLogEntry } from "../../lib/host/guest_logger.ts";
import { GuestLogGate } from "../../lib/host/guest_logger.ts";
import { GuestMemory } from "../../lib/memory/guest_memory.ts";
import { readAssemblyScriptStringPrefix } from "../../lib/memory/assemblyscript_strings.ts";
import { tempDir } from "../_helpers/temp.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("security: host functions");

// --- env.trace ------------------------------------------------------------------

const TRACE_GUEST = `(module
  (import "env" "trace" (func $trace (param i32 i32 f64 f64 f64 f64 f64)))
  (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
  (memory (export "memory") 300)
  (func (export "trace") (param i32) (call $trace (local.get 0) (i32.const 1) (f64.const 7) (f64.const 0) (f64.const 0) (f64.const 0) (f64.const 0)))
  (func (export "abort") (param i32) (call $abort (local.get 0) (i32.const 0) (i32.const 1) (i32.const 2))))`;

/** Writes an AssemblyScript String header claiming `units` UTF-16 units at `ptr`, and fills the payload with 'A'. */
function forgeString(memory: { write(ptr: number, bytes: Uint8Array): void }, ptr: number, units: number): void {
  const header = new DataView(new ArrayBuffer(8));
  header.setUint32(0, 2, true); // class id of String
  header.setUint32(4, units * 2, true);
  memory.write(ptr - 8, new Uint8Array(header.buffer));
  const payload = new Uint8Array(units * 2);
  for (let i = 0; i < payload.length; i += 2) payload[i] = 0x41;
  memory.write(ptr, payload);
}

/** Runs `body` while recording the largest range any GuestMemory read or view covers. */
function largestRead(body: () => void): number {
  const proto = GuestMemory.prototype;
  const { read, view } = proto;
  let largest = 0;
  proto.read = function (ptr: number, len: number) {
    largest = Math.max(largest, len >>> 0);
    return read.call(this, ptr, len);
  };
  proto.view = function (ptr: number, len: number) {
    largest = Math.max(largest, len >>> 0);
    return view.call(this, ptr, len);
  };
  try {
    body();
  } finally {
    proto.read = read;
    proto.view = view;
  }
  return largest;
}

test("trace of a 16 MiB string decodes only the 4096 characters it shows, and says it cut", async () => {
  const traces: string[] = [];
  const runtime = new WasmSandboxRuntime();
  const plugin = await runtime.loadPlugin("t", await wat(TRACE_GUEST), {
    capabilities: [grant("sandbox:log")],
    onTrace: (m) => traces.push(m),
  });
  const units = 8 * 1024 * 1024; // 16 MiB of UTF-16
  forgeString(plugin.memory, 64, units);
  const largest = largestRead(() => plugin.callSync("trace", 64));
  assert.ok(largest <= 4096 * 2, `the host read ${largest} bytes of guest memory`);
  assert.is(traces.length, 1);
  assert.is(traces[0], `trace: ${"A".repeat(4096)}… [cut: ${units} characters in all] 7`);
  // A short string is shown whole, without a mark.
  forgeString(plugin.memory, 64, 3);
  plugin.callSync("trace", 64);
  assert.is(traces[1], "trace: AAA 7");
  assert.is(plugin.state, "Ready");
});

test("abort with a huge message is bounded the same way and still traps with the message", async () => {
  const runtime = new WasmSandboxRuntime();
  const plugin = await runtime.loadPlugin("t", await wat(TRACE_GUEST), { linkDeniedAsStubs: true });
  forgeString(plugin.memory, 64, 8 * 1024 * 1024);
  let error: unknown;
  const largest = largestRead(() => {
    try {
      plugin.callSync("abort", 64);
    } catch (err) {
      error = err;
    }
  });
  assert.ok(largest <= 4096 * 2, `the host read ${largest} bytes of guest memory`);
  assert.instance(error, SandboxError);
  assert.match((error as Error).message, `[cut: ${8 * 1024 * 1024} characters in all]`);
});

test("a string whose claimed size runs past memory is unreadable, not partly shown", async () => {
  const traces: string[] = [];
  const runtime = new WasmSandboxRuntime();
  const plugin = await runtime.loadPlugin("t", await wat(TRACE_GUEST), {
    capabilities: [grant("sandbox:log")],
    onTrace: (m) => traces.push(m),
  });
  const end = plugin.memory.byteLength;
  const header = new DataView(new ArrayBuffer(8));
  header.setUint32(0, 2, true);
  header.setUint32(4, 64, true);
  plugin.memory.write(end - 16, new Uint8Array(header.buffer)); // payload at end - 8, 64 bytes: past the end
  plugin.callSync("trace", end - 8);
  assert.is(traces[0], `trace: <unreadable string at ${end - 8}> 7`);
});

test("a prefix cut never splits a surrogate pair", () => {
  const buffer = new WebAssembly.Memory({ initial: 1 });
  const memory = new GuestMemory(() => buffer);
  const text = "ab\u{1F600}cd";
  const bytes = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) new DataView(bytes.buffer).setUint16(i * 2, text.charCodeAt(i), true);
  const header = new DataView(new ArrayBuffer(8));
  header.setUint32(0, 2, true);
  header.setUint32(4, bytes.length, true);
  memory.write(100, new Uint8Array(header.buffer));
  memory.write(108, bytes);
  assert.equal(readAssemblyScriptStringPrefix(memory, 108, 3), { text: "ab", units: 6 });
  assert.equal(readAssemblyScriptStringPrefix(memory, 108, 4), { text: "ab\u{1F600}", units: 6 });
  assert.equal(readAssemblyScriptStringPrefix(memory, 108, 100), { text, units: 6 });
});

// --- log_message rate limit -----------------------------------------------------

const LOG_GUEST = `(module
  (import "platform_sandbox" "log_message" (func $log (param i32 i32 i32)))
  (import "platform_sandbox" "get_timestamp" (func $ts (result i64)))
  (memory (export "memory") 1)
  (func (export "flood") (param $n i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (call $log (i32.const 2) (i32.const 0) (i32.const 4096))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next))))
  (func (export "ts") (result i64) (call $ts)))`;

test("the log rate limit holds in deterministic mode, where the guest's clock leaps a window per reading", async () => {
  const entries: GuestLogEntry[] = [];
  const runtime = new WasmSandboxRuntime({ logger: (e) => entries.push(e), deterministic: true, clockStartMs: 0, clockStepMs: 1000 });
  const plugin = await runtime.loadPlugin("flood", await wat(LOG_GUEST), {
    capabilities: [grant("sandbox:log"), grant("sandbox:time")],
  });
  const messages = 2000;
  const start = performance.now();
  plugin.callSync("flood", messages);
  const windows = Math.floor((performance.now() - start) / 1000) + 1; // real 1 s windows the flood touched
  // Not a timing assertion: the bound grows with however long the flood really took.
  assert.ok(entries.length <= 100 * (windows + 1), `${entries.length} of ${messages} messages passed in ${windows} real window(s)`);
  assert.is(entries.length + plugin.stats().logMessagesDropped, messages);
  // The guest-visible clock is untouched by the limiter: every call read it once, admitted or not.
  assert.equal(entries.slice(0, 3).map((e) => e.time), [0, 1000, 2000]);
  assert.is(plugin.callSync("ts"), BigInt(messages * 1000));
});

test("GuestLogGate counts windows on the clock it is given, not on anything the guest passes", () => {
  let now = 0;
  const gate = new GuestLogGate({ maxMessagesPerWindow: 3, windowMs: 1000 }, () => now);
  assert.equal([gate.admit(), gate.admit(), gate.admit(), gate.admit()], [true, true, true, false]);
  now = 999;
  assert.is(gate.admit(), false);
  now = 1000;
  assert.equal([gate.admit(), gate.admit(), gate.admit(), gate.admit()], [true, true, true, false]);
  assert.is(gate.dropped, 3);
});

// --- sandbox_exec out-pointer ---------------------------------------------------

const EXEC_GUEST = `(module
  (import "platform_sandbox" "sandbox_exec" (func $exec (param i32 i32 i32 i32) (result i64)))
  (memory (export "memory") 1)
  (func (export "exec") (param i32 i32 i32 i32) (result i64)
    (call $exec (local.get 0) (local.get 1) (local.get 2) (local.get 3))))`;

test("sandbox_exec with an out buffer outside memory is INVALID_ARGUMENT and runs nothing", async () => {
  const dir = await tempDir();
  const records: string[] = [];
  const runtime = new WasmSandboxRuntime();
  const policy = { allowedCommands: ["touch"], workingDirectory: dir, networkIsolation: "none" };
  const plugin = await runtime.loadPlugin("p", await wat(EXEC_GUEST), {
    capabilities: [grant("sandbox:exec", policy)],
    recorder: { record: (e) => records.push(`${e.function}:${e.decision}:${String(e.result)}`) },
  });
  const end = plugin.memory.byteLength;
  const bad: Array<[number, number, string]> = [
    [end, 1, "out_ptr at the end of memory"],
    [end - 10, 11, "out buffer one byte past the end"],
    [0, 0x7fffffff, "out_cap larger than memory"],
    [-1, 16, "out_ptr near 2^32"],
    [end + 4096, 0, "out_ptr past the end with out_cap 0"],
  ];
  for (const [outPtr, outCap, what] of bad) {
    const name = `ran-${records.length}`;
    const len = plugin.memory.writeUtf8(0, JSON.stringify({ command: "touch", args: [name] }));
    assert.is(await plugin.call("exec", 0, len, outPtr, outCap), -3n, what);
    assert.not.ok(existsSync(`${dir}/${name}`), `${what}: the command ran`);
  }
  assert.is(plugin.stats().executions, 0);
  assert.is(plugin.state, "Ready");
  assert.equal(records, bad.map(() => "sandbox_exec:allow:-3"));
  // A valid buffer, even of size 0 (the output is parked), runs the command once.
  const len = plugin.memory.writeUtf8(0, JSON.stringify({ command: "touch", args: ["ok"] }));
  assert.ok((await plugin.call("exec", 0, len, end, 0) as bigint) > 0n);
  assert.ok(existsSync(`${dir}/ok`));
  assert.is(plugin.stats().executions, 1);
});

// --- grant() scopes ---------------------------------------------------------------

test("a scope changed after grant() does not change the token", () => {
  const allowed = ["echo"];
  const limits = { cpuSeconds: 1 };
  const scope = { allowedCommands: allowed, workingDirectory: "/tmp", limits, filesystem: { readOnly: ["/usr"], readWrite: [] as string[] } };
  const token = grant("sandbox:exec", scope);
  allowed.push("sh");
  limits.cpuSeconds = 1000;
  scope.filesystem.readWrite.push("/");
  scope.workingDirectory = "/";
  const policy = execPolicyOf(token.scope);
  assert.equal(policy.allowedCommands, ["echo"]);
  assert.equal(policy.limits, { cpuSeconds: 1 });
  assert.equal(policy.filesystem, { readOnly: ["/usr"], readWrite: [] });
  assert.is(policy.workingDirectory, "/tmp");
});

test("a granted scope is frozen all the way down", () => {
  const token = grant("sandbox:exec", { allowedCommands: ["echo"], limits: { cpuSeconds: 1 }, nested: [{ a: [1] }] });
  const scope = token.scope as { allowedCommands: string[]; limits: { cpuSeconds: number }; nested: Array<{ a: number[] }> };
  assert.ok(Object.isFrozen(scope));
  assert.ok(Object.isFrozen(scope.allowedCommands));
  assert.ok(Object.isFrozen(scope.limits));
  assert.ok(Object.isFrozen(scope.nested[0].a));
  assert.throws(() => scope.allowedCommands.push("sh"));
  assert.throws(() => {
    scope.limits.cpuSeconds = 9;
  });
  assert.equal(scope.allowedCommands, ["echo"]);
});

test("a granted scope keeps a __proto__ key as data and reads getters once", () => {
  const parsed = JSON.parse('{"keyPrefix":"a/","__proto__":{"readOnly":false}}');
  const token = grant("soch:read", parsed);
  const scope = token.scope as Record<string, unknown>;
  assert.is(Object.getPrototypeOf(scope), Object.prototype);
  assert.equal(Object.keys(scope), ["keyPrefix", "__proto__"]);
  let reads = 0;
  const tricky = grant("soch:read", {
    get keyPrefix() {
      reads++;
      return reads === 1 ? "safe/" : "";
    },
  });
  const prefix = (tricky.scope as { keyPrefix: string }).keyPrefix;
  assert.is(prefix, "safe/");
  assert.is((tricky.scope as { keyPrefix: string }).keyPrefix, "safe/");
  assert.is(reads, 1);
});

test("a scope that is not plain data is refused with InvalidArgument", () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  for (const [scope, what] of [
    [{ check: () => true }, "a function"],
    [{ when: new Date(0) }, "a Date"],
    [{ bytes: new Uint8Array(2) }, "a typed array"],
    [{ names: new Set(["x"]) }, "a Set"],
    [cyclic, "a cycle"],
  ] as const) {
    try {
      grant("my:cap", scope);
      assert.unreachable(`${what} was accepted`);
    } catch (err) {
      assert.instance(err, SandboxError, what);
      assert.is((err as SandboxError).code, "InvalidArgument", what);
    }
  }
  // Shared (non-cyclic) sub-objects are fine.
  const shared = ["x"];
  assert.equal((grant("my:cap", { a: shared, b: shared }).scope as { b: string[] }).b, ["x"]);
});

test.run();
