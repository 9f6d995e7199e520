import { suite } from "uvu";
import * as assert from "uvu/assert";
import { grant, WasmSandboxRuntime } from "../../mod.ts";
import type { GuestLogEntry } from "../../lib/host/guest_logger.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("platform_sandbox: time and log");

const GUEST = `(module
  (import "platform_sandbox" "get_timestamp" (func $ts (result i64)))
  (import "platform_sandbox" "log_message" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "ts") (result i64) (call $ts))
  (func (export "log") (param i32 i32 i32) (call $log (local.get 0) (local.get 1) (local.get 2))))`;

async function load(config: Record<string, unknown> = {}) {
  const entries: GuestLogEntry[] = [];
  const runtime = new WasmSandboxRuntime({ logger: (e) => entries.push(e), ...config });
  const plugin = await runtime.loadPlugin("p", await wat(GUEST), {
    capabilities: [grant("sandbox:time"), grant("sandbox:log")],
  });
  return { plugin, entries };
}

test("get_timestamp returns real milliseconds since the epoch", async () => {
  const { plugin } = await load();
  const before = BigInt(Date.now());
  const ts = plugin.callSync("ts") as bigint;
  assert.ok(ts >= before && ts <= BigInt(Date.now()));
});

test("deterministic mode: a fixed start plus a fixed step, identical after reset", async () => {
  const { plugin } = await load({ deterministic: true, clockStartMs: 1000, clockStepMs: 5 });
  const first = [plugin.callSync("ts"), plugin.callSync("ts"), plugin.callSync("ts")];
  assert.equal(first, [1000n, 1005n, 1010n]);
  await plugin.reset();
  assert.is(plugin.callSync("ts"), 1000n);
});

test("log_message maps levels, clamps out-of-range ones and replaces invalid UTF-8", async () => {
  const { plugin, entries } = await load();
  const len = plugin.memory.writeUtf8(0, "hello");
  plugin.callSync("log", 2, 0, len);
  plugin.callSync("log", 99, 0, len);
  plugin.callSync("log", -3, 0, len);
  plugin.memory.write(100, new Uint8Array([0x61, 0xff, 0x62]));
  plugin.callSync("log", 4, 100, 3);
  assert.equal(entries.map((e) => e.level), ["info", "error", "trace", "error"]);
  assert.is(entries[0].message, "hello");
  assert.is(entries[0].pluginId, "p");
  assert.is(entries[3].message, "a\uFFFDb");
});

test("log messages are capped in size", async () => {
  const { plugin, entries } = await load();
  plugin.memory.write(0, new Uint8Array(10000).fill(0x41));
  plugin.callSync("log", 2, 0, 10000);
  assert.is(entries[0].message.length, 4096);
  assert.ok(entries[0].truncated);
});

test("the rate limit drops messages and counts them in stats", async () => {
  const { plugin, entries } = await load({ deterministic: true, clockStepMs: 0 });
  const len = plugin.memory.writeUtf8(0, "spam");
  const start = performance.now();
  for (let i = 0; i < 150; i++) plugin.callSync("log", 2, 0, len);
  // The limit runs on the host's real clock: the first 100 always pass, more only if a real second went by.
  const windows = Math.floor((performance.now() - start) / 1000) + 1;
  assert.ok(entries.length >= 100 && entries.length <= Math.min(150, 100 * windows), `${entries.length} passed`);
  assert.is(entries.length + plugin.stats().logMessagesDropped, 150);
});

test("an out-of-bounds message is refused without logging or crashing", async () => {
  const { plugin, entries } = await load();
  plugin.callSync("log", 2, 65530, 100);
  assert.is(entries.length, 0);
  assert.is(plugin.state, "Ready");
});

test("without sandbox:time the call is PERMISSION_DENIED", async () => {
  const runtime = new WasmSandboxRuntime({ logger: () => {} });
  const plugin = await runtime.loadPlugin("p", await wat(GUEST), { capabilities: [grant("sandbox:log")], linkDeniedAsStubs: true });
  assert.is(plugin.callSync("ts"), -2n);
});

test.run();
