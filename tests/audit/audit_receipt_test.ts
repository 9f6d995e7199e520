// In deterministic mode the audit chain's head is a receipt: the same plugin,
// input, fuel and grants give the same head on every runtime and every run.
// The head is pinned, so Node 20, Node 24 and Deno each check the same value.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { AuditLog, grant, WasmSandboxRuntime } from "../../mod.ts";
import { callbackSink } from "../../lib/audit/mod.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("audit receipt");

const GUEST = `(module
  (import "soch" "soch_write" (func $write (param i32 i32 i32 i32) (result i64)))
  (import "soch" "soch_read" (func $read (param i32 i32 i32 i32) (result i64)))
  (import "platform_sandbox" "get_timestamp" (func $ts (result i64)))
  (import "platform_sandbox" "log_message" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "key")
  (data (i32.const 16) "a value")
  (func (export "run") (result i64)
    (drop (call $write (i32.const 0) (i32.const 3) (i32.const 16) (i32.const 7)))
    (drop (call $read (i32.const 0) (i32.const 3) (i32.const 64) (i32.const 2)))
    (drop (call $read (i32.const 1) (i32.const 2) (i32.const 64) (i32.const 16)))
    (call $log (i32.const 1) (i32.const 16) (i32.const 7))
    (call $ts)))`;

/** The chain head after one run of the guest; denied calls included (no sandbox:log grant). Records are chained when the log has a sink. */
async function headOfOneRun(deterministic: boolean): Promise<{ head: string; seq: number; fuel: bigint; ts: unknown }> {
  const audit = new AuditLog({ sinks: [callbackSink(() => {})] });
  const runtime = new WasmSandboxRuntime({ deterministic, fuel: 1_000_000n, logger: { log: () => {} }, audit });
  const plugin = await runtime.loadPlugin("receipt", await wat(GUEST), {
    capabilities: [grant("soch:read"), grant("soch:write"), grant("sandbox:time")],
    linkDeniedAsStubs: true,
  });
  const ts = plugin.callSync("run");
  await audit.flush();
  const { hash, seq } = audit.head;
  return { head: hash, seq, fuel: plugin.fuelConsumed, ts };
}

// What the guest above leaves in a deterministic run: the same on Node 20, Node 24 and Deno.
const PINNED_HEAD = "616ed8ee88fdbbf9f16f3794a9a441304ee3adf2366dede7439a60519fc3af23";

test("deterministic mode: two runs give the same chain head, and it is the pinned one on every runtime", async () => {
  const first = await headOfOneRun(true);
  const second = await headOfOneRun(true);
  assert.is(first.seq, 5, "five host calls recorded, the denied log_message included");
  assert.equal(second, first);
  assert.is(first.head, PINNED_HEAD, `head ${first.head}, fuel ${first.fuel}, ts ${first.ts}`);
});

test("with the real clock, record times and durations differ, so the heads do too", async () => {
  const a = await headOfOneRun(false);
  const b = await headOfOneRun(false);
  assert.is(a.seq, b.seq);
  assert.is.not(a.head, b.head);
});

test.run();
