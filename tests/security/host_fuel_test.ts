// A guest cannot make the host do unbounded work for free: every host call
// is charged per byte it moves, so a huge buffer under a small budget ends
// in OutOfFuel after the host did that work at most once.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { grant, WasmSandboxRuntime } from "../../mod.ts";
import type { HostContextProvider } from "../../lib/host/soch_namespace.ts";
import { errorCode } from "../_helpers/errors.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("security: host work is paid for in fuel");

/** Writes a 512 KiB value ten times; the loop itself costs far less than the budget below. */
const HUGE_WRITES = `(module
  (import "soch" "soch_write" (func $write (param i32 i32 i32 i32) (result i64)))
  (memory (export "memory") 9)
  (data (i32.const 0) "k")
  (func (export "flood") (result i32) (local $i i32)
    (loop $again
      (drop (call $write (i32.const 0) (i32.const 1) (i32.const 1024) (i32.const 524288)))
      (local.tee $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (i32.const 10))))
    (local.get $i)))`;

test("soch_write of a 512 KiB buffer, in a loop, under a 10,000 budget ends OutOfFuel after one write", async () => {
  let writes = 0;
  const provider: HostContextProvider = { read: () => undefined, write: () => void writes++, vectorSearch: () => [] };
  const runtime = new WasmSandboxRuntime({ provider, fuel: 10_000n });
  const plugin = await runtime.loadPlugin("p", await wat(HUGE_WRITES), { capabilities: [grant("soch:write")] });
  assert.is(await errorCode(plugin.call("flood")), "OutOfFuel");
  assert.is(writes, 1, "the loop header after the first write traps");
  assert.ok(plugin.fuelConsumed >= 524_288n, "the bytes moved are in the consumption");

  // The same loop with a budget that covers the bytes runs to the end: the budget, not the host, decides.
  const rich = await new WasmSandboxRuntime({ provider, fuel: 10n * 524_289n + 10_000n })
    .loadPlugin("q", await wat(HUGE_WRITES), { capabilities: [grant("soch:write")] });
  assert.is(await rich.call("flood"), 10);
});

/** Writes 512 KiB to stdout ten times with fd_write. */
const HUGE_STDOUT = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 9)
  (func (export "flood") (result i32) (local $i i32)
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 524288))
    (loop $again
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (local.tee $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (i32.const 10))))
    (local.get $i)))`;

test("WASI fd_write of a 512 KiB buffer, in a loop, under a 10,000 budget ends OutOfFuel; the record shows the bytes", async () => {
  let chunks = 0;
  const runtime = new WasmSandboxRuntime({ fuel: 10_000n });
  const plugin = await runtime.loadPlugin("p", await wat(HUGE_STDOUT), {
    capabilities: [grant("wasi:stdio")],
    wasi: { onStdout: () => void chunks++ },
  });
  assert.is(await errorCode(plugin.call("flood")), "OutOfFuel");
  assert.is(chunks, 1, "one write reached the host");
  const [record] = runtime.audit.events().events;
  // In: the 8-byte iovec and the 512 KiB it points at; out: the 4-byte nwritten.
  assert.equal([record.function, record.bytesIn, record.bytesOut, record.result], ["fd_write", 524_296, 4, 0]);
});

test.run();
