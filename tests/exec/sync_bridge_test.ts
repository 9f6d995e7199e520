import { test } from "uvu";
import * as assert from "uvu/assert";
import { SyncWorkerClient } from "../../lib/exec/sync_bridge.ts";

const url = new URL("./_echo_worker.ts", import.meta.url);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

test("SyncWorkerClient.call() blocks until the worker answers, and reuses the worker", () => {
  const client = new SyncWorkerClient(url);
  for (const payload of ["one", "two", "three"]) {
    const result = client.call(payload, 64, 5000);
    assert.ok(result.ok);
    assert.is(result.ok && text(result.bytes), payload);
  }
  client.close();
});

test("SyncWorkerClient.call() returns a deadline result instead of hanging, then recovers", () => {
  const client = new SyncWorkerClient(url);
  assert.ok(client.call("warm-up", 64, 5000).ok);
  const stalled = client.call("stall", 64, 100);
  assert.equal(stalled.ok ? "answered" : stalled.reason, "deadline");
  const after = client.call("fresh", 64, 5000);
  assert.is(after.ok && text(after.bytes), "fresh");
  client.close();
});

test("SyncWorkerClient.call() reports handler errors and answers too large for the buffer", () => {
  const client = new SyncWorkerClient(url);
  const thrown = client.call("throw", 64, 5000);
  assert.is(thrown.ok && text(thrown.bytes), "error: boom");
  const big = client.call("big", 64, 5000);
  assert.equal(big.ok ? "answered" : big.reason, "too-large");
  client.close();
});

test("SyncWorkerClient.call() fails cleanly when the worker cannot load", () => {
  const client = new SyncWorkerClient(new URL("./_missing_worker.ts", import.meta.url), { startupAllowanceMs: 500 });
  const result = client.call("x", 64, 100);
  assert.not.ok(result.ok);
  client.close();
});

test.run();
