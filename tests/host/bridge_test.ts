// The bridge's contract (lib/host/bridge.ts): it charges fuel for host work
// (per byte a call moves between guest memory and the host, at the cost
// table's per-byte rate, and whatever a host function asks for through
// ctx.chargeFuel); linking fails closed (unknown imports, every missing
// capability in one error, signature mismatches); a host function that
// throws is contained and audited; nested calls keep their own token and
// byte counts; a revoked token denies the next call.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { defineRegistrar, grant, SandboxError, SandboxState, WasmSandboxRuntime } from "../../mod.ts";
import { AbiCode } from "../../lib/host/abi_codes.ts";
import { abiErrorConvention, type HostCallRecord, linkHostFunctions } from "../../lib/host/bridge.ts";
import { CapabilitySet } from "../../lib/host/capabilities.ts";
import type { HostCallContext } from "../../lib/host/registrar.ts";
import { ResponseSlot } from "../../lib/host/response_slot.ts";
import type { HostContextProvider } from "../../lib/host/soch_namespace.ts";
import { GuestMemory } from "../../lib/memory/guest_memory.ts";
import { errorCode, sandboxError } from "../_helpers/errors.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("bridge: fuel for host work");

function mapProvider(): HostContextProvider {
  const values = new Map<string, Uint8Array>();
  return { read: (k) => values.get(k), write: (k, v) => void values.set(k, v), vectorSearch: () => [] };
}

/** Charges whatever the guest asks for: a stand-in for host work that grows with guest input. */
const work = defineRegistrar("work", {
  crunch: { params: ["i32"], results: ["i32"], call: (ctx, units: number) => (ctx.chargeFuel(units), 0) },
});

const GUEST = `(module
  (import "soch" "soch_write" (func $write (param i32 i32 i32 i32) (result i64)))
  (import "work" "crunch" (func $crunch (param i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "k")
  (func (export "write") (param $len i32) (result i64)
    (call $write (i32.const 0) (i32.const 1) (i32.const 16) (local.get $len)))
  (func (export "crunch") (param $units i32) (result i32) (call $crunch (local.get $units)))
  ;; crunch twice, then loop once: the loop header is a fuel check.
  (func (export "crunch_then_loop") (param $units i32) (result i32)
    (drop (call $crunch (local.get $units)))
    (drop (call $crunch (local.get $units)))
    (loop $once)
    (i32.const 1)))`;

async function load(config: ConstructorParameters<typeof WasmSandboxRuntime>[0] = {}) {
  const runtime = new WasmSandboxRuntime({ provider: mapProvider(), ...config });
  return await runtime.loadPlugin("p", await wat(GUEST), { capabilities: [grant("soch:write")], registrars: [work] });
}

/** Fuel one call of `name` consumes. */
function cost(plugin: Awaited<ReturnType<typeof load>>, name: string, arg: number): bigint {
  const before = plugin.fuelConsumed;
  plugin.callSync(name, arg);
  return plugin.fuelConsumed - before;
}

test("a host call is charged one unit per byte it moves (bytesIn + bytesOut), like memory.copy", async () => {
  const plugin = await load({ fuel: 1_000_000n });
  assert.is(cost(plugin, "write", 1000) - cost(plugin, "write", 0), 1000n);
  assert.is(cost(plugin, "write", 4096) - cost(plugin, "write", 96), 4000n);
});

test("the per-byte rate follows the cost table's bulkPerUnit", async () => {
  const plugin = await load({ fuel: 1_000_000n, fuelCosts: { bulkPerUnit: 3 } });
  assert.is(cost(plugin, "write", 1000) - cost(plugin, "write", 0), 3000n);
});

test("ctx.chargeFuel() takes exactly what it is asked for", async () => {
  const plugin = await load({ fuel: 1_000_000n });
  assert.is(cost(plugin, "crunch", 5000) - cost(plugin, "crunch", 0), 5000n);
});

test("over budget after a charge, the guest traps with OutOfFuel at its next check", async () => {
  const plugin = await load({ fuel: 10_000n });
  assert.is(await errorCode(plugin.call("crunch_then_loop", 20_000)), "OutOfFuel");
  assert.is(plugin.fuelRemaining, 0n);
});

test("chargeFuel() and the per-byte charge are no-ops for an unmetered plugin", async () => {
  const plugin = await load();
  assert.is(plugin.callSync("crunch_then_loop", 0x7fffffff), 1);
  assert.is(plugin.callSync("write", 4096), 0n);
  assert.is(plugin.fuelRemaining, undefined);
});

test.run();

const contract = suite("bridge: linking, containment, nesting, revocation");

/** Three functions, each behind its own capability. */
const keyed = defineRegistrar("k", {
  one: { params: [], results: ["i32"], capability: "k:one", call: () => 1 },
  two: { params: [], results: ["i32"], capability: "k:two", call: () => 2 },
  three: { params: [], results: ["i32"], capability: "k:three", call: () => 3 },
});

contract("an import no namespace provides is InvalidModule, naming each one, and nothing is loaded", async () => {
  const runtime = new WasmSandboxRuntime();
  const bytes = await wat(`(module
    (import "k" "one" (func (result i32)))
    (import "k" "nope" (func (result i32)))
    (import "elsewhere" "x" (func)))`);
  const err = await sandboxError(runtime.loadPlugin("p", bytes, { registrars: [keyed], capabilities: [grant("k:one")] }));
  assert.is(err.code, "InvalidModule");
  assert.match(err.message, "k.nope");
  assert.match(err.message, "elsewhere.x");
  assert.not.match(err.message, "k.one");
  assert.equal(runtime.listPlugins(), []);
});

contract("every missing capability is listed in one CapabilityDenied", async () => {
  const runtime = new WasmSandboxRuntime();
  const bytes = await wat(`(module
    (import "k" "one" (func (result i32)))
    (import "k" "two" (func (result i32)))
    (import "k" "three" (func (result i32))))`);
  const err = await sandboxError(runtime.loadPlugin("p", bytes, { registrars: [keyed], capabilities: [grant("k:two")] }));
  assert.is(err.code, "CapabilityDenied");
  assert.match(err.message, "k:one, k:three");
  assert.not.match(err.message, "k:two");
  assert.equal(runtime.listPlugins(), []);
});

contract("a signature mismatch is InvalidModule naming the guest's and the host's signatures", async () => {
  const runtime = new WasmSandboxRuntime();
  const bytes = await wat(`(module (import "k" "one" (func (param i64) (result i32))))`);
  const err = await sandboxError(runtime.loadPlugin("p", bytes, { registrars: [keyed], capabilities: [grant("k:one")] }));
  assert.is(err.code, "InvalidModule");
  assert.match(err.message, "k.one (i64) -> (i32)");
  assert.match(err.message, "the host's is () -> (i32)");
});

contract("a host function that throws answers its namespace's error code; the guest goes on and the call is audited", async () => {
  const flaky = defineRegistrar("flaky", {
    act: {
      params: ["i32"],
      results: ["i64"],
      call: (_ctx, mode: number) => {
        if (mode === 1) throw new Error("the host's own bug");
        if (mode === 2) throw new SandboxError("InvalidArgument", "bad guest input");
        return 7n;
      },
    },
  });
  const runtime = new WasmSandboxRuntime();
  // The guest adds 1000 after the call: a result above 900 shows it ran on.
  const plugin = await runtime.loadPlugin("p", await wat(`(module
    (import "flaky" "act" (func $act (param i32) (result i64)))
    (func (export "go") (param i32) (result i64) (i64.add (call $act (local.get 0)) (i64.const 1000))))`), {
    registrars: [flaky],
  });
  assert.is(plugin.callSync("go", 1), BigInt(AbiCode.UNAVAILABLE) + 1000n);
  assert.is(plugin.callSync("go", 2), BigInt(AbiCode.INVALID_ARGUMENT) + 1000n);
  assert.is(plugin.state, SandboxState.Ready);
  assert.is(plugin.callSync("go", 0), 1007n);
  const records = runtime.audit.events().events.filter((e) => e.namespace === "flaky");
  assert.equal(records.map((e) => [e.function, e.decision, e.result]), [
    ["act", "allow", BigInt(AbiCode.UNAVAILABLE)],
    ["act", "allow", BigInt(AbiCode.INVALID_ARGUMENT)],
    ["act", "allow", 7n],
  ]);
});

contract("a token revoked between calls denies the next call, audited as deny", async () => {
  let ran = 0;
  const clock = defineRegistrar("clock", {
    now: { params: [], results: ["i64"], capability: "clock:read", call: () => BigInt(++ran) },
  });
  const token = grant("clock:read");
  const runtime = new WasmSandboxRuntime();
  const plugin = await runtime.loadPlugin("p", await wat(`(module
    (import "clock" "now" (func $now (result i64)))
    (func (export "now") (result i64) (call $now)))`), { registrars: [clock], capabilities: [token] });
  assert.is(plugin.callSync("now"), 1n);
  token.revoke();
  assert.is(plugin.callSync("now"), BigInt(AbiCode.PERMISSION_DENIED));
  assert.is(ran, 1, "the host function did not run once revoked");
  const records = runtime.audit.events().events.filter((e) => e.namespace === "clock");
  assert.equal(records.map((e) => [e.decision, e.capability, e.result]), [
    ["allow", "clock:read", 1n],
    ["deny", "clock:read", BigInt(AbiCode.PERMISSION_DENIED)],
  ]);
  assert.is(plugin.stats().deniedHostCalls, 1);
});

contract("a nested call (host -> guest -> host) keeps its own token, bytes and reason; the outer call's are restored", async () => {
  const module = new WebAssembly.Module(await wat(`(module
    (import "n" "outer" (func $outer (result i32)))
    (import "n" "inner" (func $inner (result i32)))
    (memory (export "memory") 1)
    (func (export "run") (result i32) (call $outer))
    (func (export "inner") (result i32) (call $inner)))`) as Uint8Array<ArrayBuffer>);
  let instance: WebAssembly.Instance | undefined = undefined;
  const seen: Array<[string, unknown]> = [];
  const outerToken = grant("n:outer");
  const innerToken = grant("n:inner");
  const nested = defineRegistrar("n", {
    outer: {
      params: [],
      results: ["i32"],
      capability: "n:outer",
      call: (ctx: HostCallContext) => {
        seen.push(["outer before", ctx.token]);
        ctx.memory.read(0, 10);
        const inner = (instance!.exports.inner as () => number)();
        seen.push(["outer after", ctx.token]);
        ctx.memory.read(0, 5);
        ctx.memory.write(0, new Uint8Array(3));
        return inner + 1;
      },
    },
    inner: {
      params: [],
      results: ["i32"],
      capability: "n:inner",
      call: (ctx: HostCallContext) => {
        seen.push(["inner", ctx.token]);
        ctx.memory.read(0, 100);
        ctx.memory.write(0, new Uint8Array(7));
        ctx.explain("the inner call's reason");
        return 41;
      },
    },
  });
  const records: HostCallRecord[] = [];
  const imports = linkHostFunctions(WebAssembly.Module.imports(module), {
    pluginId: "p",
    memory: new GuestMemory(() => instance?.exports.memory as WebAssembly.Memory | undefined),
    capabilities: new CapabilitySet([outerToken, innerToken]),
    namespaces: [{ registrar: nested, errors: abiErrorConvention }],
    slot: new ResponseSlot(),
    recorder: { record: (event) => records.push(event) },
    linkDeniedAsStubs: false,
    counters: { hostCalls: 0, deniedHostCalls: 0 },
  });
  instance = new WebAssembly.Instance(module, imports as WebAssembly.Imports);
  assert.is((instance.exports.run as () => number)(), 42);
  assert.equal(seen.map(([at]) => at), ["outer before", "inner", "outer after"]);
  assert.ok(seen[0]![1] === outerToken && seen[1]![1] === innerToken && seen[2]![1] === outerToken, "each call sees its own token");
  // The inner call ends (and is recorded) first.
  assert.equal(records.map((r) => [r.function, r.capability, r.bytesIn, r.bytesOut, r.reason]), [
    ["inner", "n:inner", 100, 7, "the inner call's reason"],
    ["outer", "n:outer", 15, 3, undefined],
  ]);
});

contract.run();

