import { suite } from "uvu";
import * as assert from "uvu/assert";
import { defineRegistrar, grant, SandboxState, WasmSandboxRuntime } from "../mod.ts";
import { sandboxError } from "./_helpers/errors.ts";
import { wat } from "./_helpers/wat.ts";
import { tempDir } from "./_helpers/temp.ts";
import { writeFileSync } from "node:fs";

const test = suite("runtime");

const ADDER = `(module
  (memory (export "memory") 1)
  (global $bump (mut i32) (i32.const 1024))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "add64") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
  (func (export "half") (param f64) (result f64) (f64.div (local.get 0) (f64.const 2)))
  (func (export "boom") unreachable)
  (func (export "oob") (result i32) (i32.load (i32.const 0x7fffffff)))
  (func (export "alloc") (param $n i32) (result i32)
    (global.get $bump)
    (global.set $bump (i32.add (global.get $bump) (local.get $n))))
  (func (export "sum_bytes") (param $p i32) (param $n i32) (result i32) (local $s i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $s))
)`;

test("call() passes i32, i64 and f64 values and returns results", async () => {
  const runtime = new WasmSandboxRuntime();
  const plugin = await runtime.loadPlugin("adder", await wat(ADDER));
  assert.is(await plugin.call("add", 2, 3), 5);
  assert.is(plugin.callSync("add64", 1n << 40n, 2n), (1n << 40n) + 2n);
  assert.is(plugin.callSync("half", 5), 2.5);
  assert.is(plugin.callSync("add", { type: "i32", value: -1 }, 0), -1);
  assert.is(plugin.state, SandboxState.Ready);
});

test("strings and bytes are copied in through the guest's alloc export", async () => {
  const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(ADDER));
  assert.is(plugin.callSync("sum_bytes", new Uint8Array([1, 2, 3, 250])), 256);
  assert.is(plugin.callSync("sum_bytes", "AB"), 65 + 66);
});

test("a trap moves the sandbox to Trapped; calls are InvalidState until reset()", async () => {
  const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(ADDER));
  const trap = await sandboxError(plugin.call("boom"));
  assert.is(trap.code, "Trap");
  assert.match(trap.message, /unreachable/);
  assert.is(plugin.state, SandboxState.Trapped);
  assert.is((await sandboxError(plugin.call("add", 1, 2))).code, "InvalidState");
  await plugin.reset();
  assert.is(plugin.state, SandboxState.Ready);
  assert.is(await plugin.call("add", 1, 2), 3);
  assert.is(plugin.stats().traps, 1);
  assert.is(plugin.stats().resets, 1);
});

test("an out-of-bounds load is a Trap, not a host crash", async () => {
  const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(ADDER));
  assert.is((await sandboxError(plugin.call("oob"))).code, "Trap");
});

test("a missing export is NotFound and leaves the sandbox Ready", async () => {
  const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(ADDER));
  const e = await sandboxError(plugin.call("nope"));
  assert.is(e.code, "NotFound");
  assert.match(e.message, /add/);
  assert.is(plugin.state, SandboxState.Ready);
});

test("a wrong argument count is InvalidArgument and the guest never runs", async () => {
  const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(ADDER));
  assert.is((await sandboxError(plugin.call("add", 1))).code, "InvalidArgument");
  assert.is(plugin.state, SandboxState.Ready);
});

test("loading the same bytes twice compiles once", async () => {
  const runtime = new WasmSandboxRuntime();
  const bytes = await wat(ADDER);
  const a = await runtime.loadPlugin("a", bytes);
  const b = await runtime.loadPlugin("b", bytes.slice());
  assert.is(runtime.stats().modulesCompiled, 1);
  assert.is(runtime.stats().moduleCacheHits, 1);
  assert.is(a.info().hash, b.info().hash);
  assert.is(a.info().hash.length, 64);
});

test("plugins do not share memory", async () => {
  const runtime = new WasmSandboxRuntime();
  const bytes = await wat(ADDER);
  const a = await runtime.loadPlugin("a", bytes);
  const b = await runtime.loadPlugin("b", bytes);
  a.memory.write(100, new Uint8Array([42]));
  assert.equal(a.memory.read(100, 1), new Uint8Array([42]));
  assert.equal(b.memory.read(100, 1), new Uint8Array([0]));
});

test("loadPlugin accepts a file path and a file: URL; a missing file is NotFound", async () => {
  const dir = await tempDir();
  const path = `${dir}/adder.wasm`;
  writeFileSync(path, await wat(ADDER));
  const runtime = new WasmSandboxRuntime();
  assert.is(await (await runtime.loadPlugin("path", path)).call("add", 1, 1), 2);
  assert.is(await (await runtime.loadPlugin("url", new URL(`file://${path}`))).call("add", 2, 2), 4);
  assert.is((await sandboxError(runtime.loadPlugin("missing", `${dir}/nope.wasm`))).code, "NotFound");
});

test("a precompiled module is refused unless allowPrecompiledModules is set", async () => {
  const module = await WebAssembly.compile(await wat(ADDER) as Uint8Array<ArrayBuffer>);
  assert.is((await sandboxError(new WasmSandboxRuntime().loadPlugin("m", module))).code, "InvalidArgument");
  const plugin = await new WasmSandboxRuntime({ allowPrecompiledModules: true }).loadPlugin("m", module);
  assert.is(await plugin.call("add", 20, 22), 42);
});

test("duplicate ids are refused; unload frees the id and terminates the sandbox", async () => {
  const runtime = new WasmSandboxRuntime();
  const bytes = await wat(ADDER);
  const first = await runtime.loadPlugin("p", bytes);
  assert.is((await sandboxError(runtime.loadPlugin("p", bytes))).code, "InvalidState");
  assert.equal(runtime.listPlugins().map((p) => p.id), ["p"]);
  assert.ok(runtime.unloadPlugin("p"));
  assert.is(first.state, SandboxState.Terminated);
  assert.is((await sandboxError(first.call("add", 1, 2))).code, "InvalidState");
  assert.not.ok(runtime.unloadPlugin("p"));
  await runtime.loadPlugin("p", bytes);
  assert.is(runtime.stats().pluginsUnloaded, 1);
});

test("info() describes exports, imports and capabilities", async () => {
  const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(ADDER), { capabilities: [grant("soch:read")] });
  const info = plugin.info();
  assert.ok(info.exports.includes("add"));
  assert.equal(info.capabilities, ["soch:read"]);
  assert.is(info.isCommand, false);
});

const USES_HOST = `(module
  (import "demo" "double" (func $double (param i32) (result i64)))
  (func (export "go") (param i32) (result i64) (call $double (local.get 0))))`;

const demo = defineRegistrar("demo", {
  double: { params: ["i32"], results: ["i64"], capability: "demo:double", call: (_ctx, x: number) => BigInt(x * 2) },
});

test("a registrar's function runs only with its capability token", async () => {
  const runtime = new WasmSandboxRuntime();
  const token = grant("demo:double");
  const plugin = await runtime.loadPlugin("p", await wat(USES_HOST), { registrars: [demo], capabilities: [token] });
  assert.is(await plugin.call("go", 21), 42n);
  token.revoke();
  assert.is(await plugin.call("go", 21), -2n);
  assert.is(plugin.stats().deniedHostCalls, 1);
});

test("without the capability the load fails with CapabilityDenied naming it", async () => {
  const e = await sandboxError(new WasmSandboxRuntime().loadPlugin("p", await wat(USES_HOST), { registrars: [demo] }));
  assert.is(e.code, "CapabilityDenied");
  assert.match(e.message, /demo:double/);
});

test("linkDeniedAsStubs links refused imports to stubs returning PERMISSION_DENIED", async () => {
  const records: string[] = [];
  const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(USES_HOST), {
    registrars: [demo],
    linkDeniedAsStubs: true,
    recorder: { record: (e) => records.push(`${e.namespace}.${e.function}:${e.decision}`) },
  });
  assert.is(await plugin.call("go", 1), -2n);
  assert.equal(records, ["demo.double:deny"]);
});

test("a look-alike object is not a capability token", async () => {
  const fake = { capability: "demo:double", revoked: false, allows: () => true };
  const e = await sandboxError(
    new WasmSandboxRuntime().loadPlugin("p", await wat(USES_HOST), { registrars: [demo], capabilities: [fake as never] }),
  );
  assert.is(e.code, "CapabilityDenied");
});

test("every host call lands in runtime.audit by default; audit: false records nothing but still counts", async () => {
  const audited = new WasmSandboxRuntime();
  const plugin = await audited.loadPlugin("p", await wat(USES_HOST), { registrars: [demo], capabilities: [grant("demo:double")] });
  plugin.callSync("go", 1);
  plugin.callSync("go", 2);
  const { events } = audited.audit.events();
  assert.equal(events.map((e) => `${e.seq}:${e.function}:${e.decision}:${String(e.result)}`), ["1:double:allow:2", "2:double:allow:4"]);
  assert.ok(Math.abs(events[1].time - Date.now()) < 60_000);
  audited.unloadPlugin("p");
  assert.is(audited.stats().hostCalls, 2, "an unloaded plugin's calls stay counted");

  const quiet = new WasmSandboxRuntime({ audit: false });
  const q = await quiet.loadPlugin("q", await wat(USES_HOST), { registrars: [demo], capabilities: [grant("demo:double")] });
  q.callSync("go", 1);
  assert.is(quiet.audit.events().events.length, 0);
  assert.is(q.stats().hostCalls, 1);
});

test("a registrar may not take over a built-in namespace", async () => {
  const evil = defineRegistrar("sandbox", {});
  assert.is((await sandboxError(new WasmSandboxRuntime().loadPlugin("p", await wat(ADDER), { registrars: [evil] }))).code, "InvalidArgument");
});

test.run();
