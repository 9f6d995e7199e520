// A host-imposed stop cannot be caught: wasm exception handling (legacy
// try/catch_all, try_table) catches what a host import throws, so a guest
// could swallow a refused call and carry on. The stop forces the fuel global
// negative, refuses every later host call of the instance without running
// it, and the sandbox reports the stop's error however the guest ended.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { grant, SandboxError, SandboxState, WasmSandboxRuntime } from "../../mod.ts";
import type { HostContextProvider } from "../../lib/host/soch_namespace.ts";
import type { HostCallRecord } from "../../lib/host/bridge.ts";
import { sandboxError } from "../_helpers/errors.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("security: host-imposed stops cannot be caught");

function mapProvider(): HostContextProvider & { values: Map<string, Uint8Array> } {
  const values = new Map<string, Uint8Array>();
  return {
    values,
    read: (key) => values.get(key),
    write: (key, value) => void values.set(key, value),
    vectorSearch: () => [],
  };
}

/** `key1` at 0, `key2` at 8, a value at 16. */
const PRELUDE = `
  (import "soch" "soch_write" (func $soch_write (param i32 i32 i32 i32) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "key1")
  (data (i32.const 8) "key2")
  (data (i32.const 16) "value")`;
// The writes are inline, not in helper functions: a helper's entry is a fuel
// check, which would trap a stopped (metered) guest before the bridge sees
// its second call. Inline, the second call reaches the bridge in both modes.
const WRITE1 = "(drop (call $soch_write (i32.const 0) (i32.const 4) (i32.const 16) (i32.const 5)))";
const WRITE2 = "(drop (call $soch_write (i32.const 8) (i32.const 4) (i32.const 16) (i32.const 5)))";

/** Catches with legacy exception handling: `try` ... `catch_all`. */
const LEGACY = `(module ${PRELUDE}
  ;; Swallows whatever the first write throws, tries the second, and returns normally.
  (func (export "swallow") (result i32)
    (try (do ${WRITE1}) (catch_all))
    (try (do ${WRITE2}) (catch_all))
    (i32.const 7))
  ;; Swallows it and tries again, forever.
  (func (export "persist")
    (loop $again
      (try (do ${WRITE1}) (catch_all))
      (br $again))))`;

/** Catches with the current proposal: `try_table` with `catch_all`. */
const TRY_TABLE = `(module ${PRELUDE}
  (func (export "swallow") (result i32)
    (block $caught (try_table (catch_all $caught) ${WRITE1}))
    (block $caught (try_table (catch_all $caught) ${WRITE2}))
    (i32.const 7))
  (func (export "persist")
    (loop $again
      (block $caught (try_table (catch_all $caught) ${WRITE1}))
      (br $again))))`;

/** A plugin of its own runtime, whose audit log the test may close. */
async function load(source: string, options: { fuel?: bigint; recorder?: { record(e: HostCallRecord): void; admit?(): SandboxError | undefined } } = {}) {
  const provider = mapProvider();
  const runtime = new WasmSandboxRuntime({ provider, fuel: options.fuel });
  const plugin = await runtime.loadPlugin("p", await wat(source), {
    capabilities: [grant("soch:write")],
    recorder: options.recorder,
  });
  return { runtime, plugin, provider };
}

async function checkClosedLogStopsCall(source: string, fuel: bigint | undefined) {
  const { runtime, plugin, provider } = await load(source, { fuel });
  await runtime.audit.close();
  const err = await sandboxError(plugin.call("swallow"));
  assert.is(err.code, "InvalidState");
  assert.match(err.message, "audit log is closed");
  assert.is(provider.values.size, 0, "neither soch_write took effect");
  assert.is(plugin.state, SandboxState.Trapped);
  assert.is(plugin.stats().deniedHostCalls, 2);
  if (fuel !== undefined) {
    assert.ok(plugin.fuelRemaining! > 0n && plugin.fuelRemaining! < fuel, "consumption counts up to the stop only");
    // A guest that keeps trying is not left looping: its next fuel check traps, and the stop is what is reported.
    await plugin.reset();
    const again = await sandboxError(plugin.call("persist"));
    assert.is(again.code, "InvalidState");
    assert.is(provider.values.size, 0);
  }
}

test("after audit.close(), soch_write is refused before it runs, and catch_all cannot swallow it (metered)", async () => {
  await checkClosedLogStopsCall(LEGACY, 1_000_000n);
});

test("after audit.close(), the same holds for an unmetered plugin: the call still ends InvalidState", async () => {
  await checkClosedLogStopsCall(LEGACY, undefined);
});

const tryTableSupported = WebAssembly.validate(await wat(`(module (func (block $h (try_table (catch_all $h) (nop)))))`));
if (tryTableSupported) {
  test("after audit.close(), try_table's catch_all cannot swallow the refusal either (metered and not)", async () => {
    await checkClosedLogStopsCall(TRY_TABLE, 1_000_000n);
    await checkClosedLogStopsCall(TRY_TABLE, undefined);
  });
} else {
  console.log("skipping the try_table host-stop case: this runtime's WebAssembly does not validate try_table");
}

test("once stopped, every later host call of the instance is refused unrun, even one the recorder would admit", async () => {
  for (const fuel of [1_000_000n, undefined]) {
    let asked = 0;
    const records: HostCallRecord[] = [];
    // Refuses only the first call it is asked about.
    const recorder = {
      record: (event: HostCallRecord) => void records.push(event),
      admit: () => asked++ === 0 ? new SandboxError("InvalidState", "stopped by the test") : undefined,
    };
    const { plugin, provider } = await load(LEGACY, { fuel, recorder });
    const err = await sandboxError(plugin.call("swallow"));
    assert.is(err.message, "stopped by the test");
    assert.is(provider.values.size, 0, "the second write was refused although the recorder admitted it");
    assert.equal(records.map((r) => [r.function, r.decision]), [["soch_write", "deny"]], "the refused second call is audited");
  }
});

test("the host keeps serving: other plugins, and a reset of the stopped one on a working log", async () => {
  const stopped = await load(LEGACY, { fuel: 1_000_000n });
  await stopped.runtime.audit.close();
  assert.is((await sandboxError(stopped.plugin.call("swallow"))).code, "InvalidState");

  const other = await load(LEGACY, { fuel: 1_000_000n });
  assert.is(await other.plugin.call("swallow"), 7);
  assert.equal([...other.provider.values.keys()].sort(), ["key1", "key2"]);
  await other.plugin.reset();
  assert.is(await other.plugin.call("swallow"), 7);
  assert.is(other.runtime.audit.events().events.length, 4);
});

test.run();
