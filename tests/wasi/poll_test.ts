import { test } from "uvu";
import * as assert from "uvu/assert";
import { E, Probe } from "./_probe.ts";
import { SandboxError } from "../../lib/errors.ts";
import { deterministicClock } from "../../lib/wasi/mod.ts";

/** Writes one relative clock subscription (monotonic, `timeoutNs`) at 0; events go to 1024. */
function clockSubscription(probe: Probe, at: number, userdata: bigint, timeoutNs: bigint): void {
  const view = probe.view;
  view.setBigUint64(at, userdata, true);
  view.setUint8(at + 8, 0); // EVENTTYPE_CLOCK
  view.setUint32(at + 16, 1, true); // CLOCKID_MONOTONIC
  view.setBigUint64(at + 24, timeoutNs, true);
  view.setUint16(at + 40, 0, true);
}

test("poll_oneoff() sleeping advances a fake clock instead of blocking", async () => {
  const clock = deterministicClock(0, 0);
  const probe = await Probe.create({ clock });
  clockSubscription(probe, 0, 99n, 30_000_000_000n); // 30 s: would block the test if it really slept
  assert.is(probe.fn.poll_oneoff!(0, 1024, 1, 2048), E.SUCCESS);
  assert.is(probe.view.getUint32(2048, true), 1);
  assert.is(probe.view.getBigUint64(1024, true), 99n);
  assert.is(clock.monotonicNs(), 30_000_000_000n);
});

test("poll_oneoff() really sleeps on the system clock and reports the clock event", async () => {
  const probe = await Probe.create({});
  clockSubscription(probe, 0, 5n, 20_000_000n); // 20 ms
  const before = performance.now();
  assert.is(probe.fn.poll_oneoff!(0, 1024, 1, 2048), E.SUCCESS);
  assert.ok(performance.now() >= before); // no timing assertion, only that it returned
  assert.is(probe.view.getUint32(2048, true), 1);
  assert.is(probe.view.getBigUint64(1024, true), 5n);
  assert.is(probe.view.getUint16(1024 + 8, true), E.SUCCESS);
});

test("poll_oneoff() beyond the sleep budget ends the run with Timeout", async () => {
  const probe = await Probe.create({ clock: deterministicClock(0, 0), maxSleepMs: 1000 });
  clockSubscription(probe, 0, 1n, 2_000_000_000n);
  assert.throws(
    () => probe.fn.poll_oneoff!(0, 1024, 1, 2048),
    (err: unknown) => err instanceof SandboxError && err.code === "Timeout",
  );
});

test("poll_oneoff() reports stdin readable and stdout writable without sleeping", async () => {
  const probe = await Probe.create({ stdin: new TextEncoder().encode("abc"), clock: deterministicClock(0, 0) });
  const view = probe.view;
  clockSubscription(probe, 0, 1n, 10_000_000_000n);
  view.setBigUint64(48, 2n, true);
  view.setUint8(48 + 8, 1); // FD_READ
  view.setUint32(48 + 16, 0, true); // stdin
  view.setBigUint64(96, 3n, true);
  view.setUint8(96 + 8, 2); // FD_WRITE
  view.setUint32(96 + 16, 1, true); // stdout
  view.setBigUint64(144, 4n, true);
  view.setUint8(144 + 8, 1);
  view.setUint32(144 + 16, 42, true); // not open
  assert.is(probe.fn.poll_oneoff!(0, 1024, 4, 2048), E.SUCCESS);
  assert.is(view.getUint32(2048, true), 3);
  const events = [0, 1, 2].map((i) => ({
    userdata: view.getBigUint64(1024 + i * 32, true),
    error: view.getUint16(1024 + i * 32 + 8, true),
    nbytes: view.getBigUint64(1024 + i * 32 + 16, true),
  }));
  assert.equal(events, [
    { userdata: 2n, error: E.SUCCESS, nbytes: 3n },
    { userdata: 3n, error: E.SUCCESS, nbytes: 0n },
    { userdata: 4n, error: E.BADF, nbytes: 0n },
  ]);
});

test("poll_oneoff() with no subscriptions or an unknown tag is INVAL", async () => {
  const probe = await Probe.create({});
  assert.is(probe.fn.poll_oneoff!(0, 1024, 0, 2048), E.INVAL);
  probe.view.setUint8(8, 9);
  assert.is(probe.fn.poll_oneoff!(0, 1024, 1, 2048), E.INVAL);
});

test.run();
