import { test } from "uvu";
import * as assert from "uvu/assert";
import { runCommand } from "./_probe.ts";
import { deterministicClock, seededRandom } from "../../lib/wasi/mod.ts";

/** Writes realtime (8 bytes), monotonic (8 bytes) and 16 random bytes to stdout. */
const CLOCK_AND_RANDOM = `(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $clock (i32.const 0) (i64.const 0) (i32.const 100)))
    (drop (call $clock (i32.const 1) (i64.const 0) (i32.const 108)))
    (drop (call $random (i32.const 116) (i32.const 16)))
    (i32.store (i32.const 0) (i32.const 100))
    (i32.store (i32.const 4) (i32.const 32))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`;

async function deterministicRun(): Promise<Uint8Array> {
  const { wasi } = await runCommand(CLOCK_AND_RANDOM, {
    clock: deterministicClock(1_700_000_000_000, 1),
    random: seededRandom(7),
  });
  return wasi.stdoutBytes();
}

test("deterministic clock and seeded random give identical runs", async () => {
  const first = await deterministicRun();
  const second = await deterministicRun();
  assert.is(first.byteLength, 32);
  assert.equal(first, second);
  const view = new DataView(first.buffer);
  assert.is(view.getBigUint64(0, true), 1_700_000_000_000n * 1_000_000n);
  assert.is(view.getBigUint64(8, true), 1_000_000n); // monotonic, after one 1 ms step
  assert.ok(first.slice(16).some((b) => b !== 0));
});

test("seededRandom() is the same stream on every runtime and differs by seed", () => {
  const a = new Uint8Array(8);
  seededRandom(42)(a);
  assert.equal(Array.from(a), [172, 28, 30, 169, 233, 54, 123, 32]);
  const b = new Uint8Array(8);
  seededRandom(43)(b);
  assert.not.equal(Array.from(a), Array.from(b));
});

test("deterministicClock() advances by the step and by sleeps", () => {
  const clock = deterministicClock(1000, 2);
  assert.is(clock.realtimeNs(), 1_000_000_000n);
  assert.is(clock.realtimeNs(), 1_002_000_000n);
  clock.advanceNs(5_000_000n);
  assert.is(clock.monotonicNs(), 9_000_000n);
});

test.run();
