// Capability tokens cannot be forged, copied, wrapped or revived, and a
// revocation takes effect in the middle of a running guest call.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CapabilityToken, defineRegistrar, grant, WasmSandboxRuntime } from "../../mod.ts";
import type { HostCallRecord } from "../../lib/audit/mod.ts";
import { memoryTree } from "../../lib/wasi/mod.ts";
import { errorCode } from "../_helpers/errors.ts";
import { wat } from "../_helpers/wat.ts";

const SOCH_READER = `(module
  (import "soch" "soch_read" (func $read (param i32 i32 i32 i32) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "k")
  (func (export "read") (result i64) (call $read (i32.const 0) (i32.const 1) (i32.const 100) (i32.const 10))))`;

async function loadWith(capability: unknown): Promise<string> {
  const bytes = await wat(SOCH_READER);
  return await errorCode(new WasmSandboxRuntime().loadPlugin("p", bytes, { capabilities: [capability as CapabilityToken] }));
}

test("a plain object shaped like a soch token is refused with CapabilityDenied", async () => {
  const fake = { capability: "soch:read", scope: undefined, revoked: false, allows: () => true };
  assert.is(await loadWith(fake), "CapabilityDenied");
});

test("an object made from the token prototype is refused", async () => {
  const fake = Object.create(CapabilityToken.prototype, { capability: { value: "soch:read" } });
  assert.is(await loadWith(fake), "CapabilityDenied");
});

test("a Proxy around a real token is refused", async () => {
  const real = grant("soch:read");
  assert.is(await loadWith(new Proxy(real, {})), "CapabilityDenied");
});

test("a structured clone of a real token is refused", async () => {
  assert.is(await loadWith(structuredClone({ ...grant("soch:read") })), "CapabilityDenied");
});

test("the token constructor refuses any key but the module's own", () => {
  for (const key of [Symbol("mint"), Symbol.for("mint"), undefined]) {
    try {
      new CapabilityToken(key as symbol, "soch:read");
      assert.unreachable("constructed");
    } catch (err) {
      assert.is((err as { code?: string }).code, "CapabilityDenied");
    }
  }
});

test("a token minted by another copy of the library is not a token here", async () => {
  // A second module instance of capabilities.ts has its own registry of minted tokens.
  const other = await import(new URL("../../lib/host/capabilities.ts?other-copy", import.meta.url).href) as {
    grant: typeof grant;
  };
  const foreign = other.grant("soch:read");
  assert.ok(foreign.allows("soch:read"), "it works in its own copy");
  assert.is(await loadWith(foreign), "CapabilityDenied");
});

test("a token is frozen: its capability and revoked state cannot be rewritten", () => {
  const token = grant("soch:read", { keyPrefix: "public/" });
  token.revoke();
  assert.throws(() => Object.defineProperty(token, "capability", { value: "sandbox:exec" }));
  assert.throws(() => ((token.scope as { keyPrefix: string }).keyPrefix = ""));
  assert.is(token.capability, "soch:read");
  assert.is((token.scope as { keyPrefix: string }).keyPrefix, "public/");
  assert.is(token.revoked, true);
  assert.is(token.allows("soch:read"), false);
});

test("revoking a soch token inside a running guest call denies the calls after it, in the same call", async () => {
  const read = grant("soch:read");
  const revoker = defineRegistrar("ctl", {
    revoke: { params: [], results: [], capability: "ctl:revoke", call: () => read.revoke() },
  });
  const records: HostCallRecord[] = [];
  const runtime = new WasmSandboxRuntime();
  const bytes = await wat(`(module
    (import "soch" "soch_read" (func $read (param i32 i32 i32 i32) (result i64)))
    (import "ctl" "revoke" (func $revoke))
    (memory (export "memory") 1)
    (data (i32.const 0) "k")
    (func (export "go") (result i64)
      (i64.store (i32.const 200) (call $read (i32.const 0) (i32.const 1) (i32.const 100) (i32.const 10)))
      (call $revoke)
      (call $read (i32.const 0) (i32.const 1) (i32.const 100) (i32.const 10))))`);
  const plugin = await runtime.loadPlugin("p", bytes, {
    registrars: [revoker],
    capabilities: [read, grant("ctl:revoke")],
    recorder: { record: (r) => records.push(r) },
  });
  assert.is(plugin.callSync("go"), -2n, "PERMISSION_DENIED after the revocation");
  assert.is(plugin.memory.read(200, 8)[0], 0xff, "the first read ran (NOT_FOUND, -1)");
  assert.equal(records.map((r) => `${r.function}:${r.decision}`), ["soch_read:allow", "revoke:allow", "soch_read:deny"]);
  assert.is(plugin.state, "Ready");
});

test("revoking a WASI token mid-run makes later calls NOTCAPABLE, audited as denied", async () => {
  const stdio = grant("wasi:stdio");
  const revoker = defineRegistrar("ctl", {
    revoke: { params: [], results: [], capability: "ctl:revoke", call: () => stdio.revoke() },
  });
  const records: HostCallRecord[] = [];
  const bytes = await wat(`(module
    (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
    (import "ctl" "revoke" (func $revoke))
    (memory (export "memory") 1)
    (data (i32.const 16) "hi\\n")
    (func (export "_start")
      (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 3))
      (i32.store (i32.const 100) (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (call $revoke)
      (i32.store (i32.const 104) (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`);
  const plugin = await new WasmSandboxRuntime().loadPlugin("p", bytes, {
    registrars: [revoker],
    capabilities: [stdio, grant("ctl:revoke")],
    recorder: { record: (r) => records.push(r) },
    wasi: { preopens: [{ guestPath: "/d", dir: memoryTree({}) }] },
  });
  const result = await plugin.run();
  assert.is(new TextDecoder().decode(result.stdout), "hi\n", "only the write before the revocation got out");
  assert.equal(records.filter((r) => r.function === "fd_write").map((r) => `${r.decision}:${String(r.result)}`), ["allow:0", "deny:76"]);
});

test("a token granted to one plugin gives nothing to another plugin that was not given it", async () => {
  const runtime = new WasmSandboxRuntime();
  const read = grant("soch:read");
  await runtime.loadPlugin("a", await wat(SOCH_READER), { capabilities: [read] });
  const b = await runtime.loadPlugin("b", await wat(SOCH_READER), { linkDeniedAsStubs: true });
  assert.is(b.callSync("read"), -2n);
});

test.run();
