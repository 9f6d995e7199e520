import { test } from "uvu";
import * as assert from "uvu/assert";
import { AuditRing } from "../../lib/audit/audit_ring.ts";
import type { AuditEvent } from "../../lib/audit/audit_event.ts";

function event(seq: number): AuditEvent {
  return {
    kind: "call", seq, time: 0, pluginId: "p", namespace: "n", function: "f", capability: undefined,
    decision: "allow", durationNs: 0, bytesIn: 0, bytesOut: 0, result: 0, prev: undefined, hash: undefined,
  };
}

test("snapshot() returns events oldest first before the ring fills", () => {
  const ring = new AuditRing(4);
  for (let seq = 1; seq <= 3; seq++) ring.push(event(seq));
  const { events, dropped } = ring.snapshot();
  assert.equal(events.map((e) => e.seq), [1, 2, 3]);
  assert.is(dropped, 0);
});

test("push() overwrites the oldest when full and counts it as dropped", () => {
  const ring = new AuditRing(3);
  for (let seq = 1; seq <= 8; seq++) ring.push(event(seq));
  const { events, dropped } = ring.snapshot();
  assert.equal(events.map((e) => e.seq), [6, 7, 8]);
  assert.is(dropped, 5);
});

test("a ring of one keeps the latest event", () => {
  const ring = new AuditRing(1);
  ring.push(event(1));
  ring.push(event(2));
  assert.equal(ring.snapshot().events.map((e) => e.seq), [2]);
  assert.is(ring.snapshot().dropped, 1);
});

test("the constructor refuses a capacity below 1", () => {
  assert.throws(() => new AuditRing(0), (e: unknown) => e instanceof RangeError);
  assert.throws(() => new AuditRing(1.5), (e: unknown) => e instanceof RangeError);
});

test.run();
