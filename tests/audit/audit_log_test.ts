import { test } from "uvu";
import * as assert from "uvu/assert";
import { AuditLog } from "../../lib/audit/audit_log.ts";
import { callbackSink } from "../../lib/audit/audit_sink.ts";
import type { AuditSink } from "../../lib/audit/audit_sink.ts";
import type { AuditEventInput, SealedAuditRecord } from "../../lib/audit/audit_event.ts";
import { GENESIS_HASH } from "../../lib/audit/hash_chain.ts";
import { verifyAuditText } from "../../lib/audit/verify_audit.ts";
import { SandboxError } from "../../lib/errors.ts";

function call(overrides: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    pluginId: "plugin-a",
    namespace: "soch",
    function: "soch_read",
    capability: "soch:read",
    decision: "allow",
    durationNs: 1500,
    bytesIn: 3,
    bytesOut: 10,
    result: 10n,
    ...overrides,
  };
}

/** A sink keeping every line it accepted, as a file would. */
function memorySink(): AuditSink & { text(): string; records: SealedAuditRecord[] } {
  let text = "";
  const records: SealedAuditRecord[] = [];
  return {
    records,
    text: () => text,
    write(batch, lines) {
      records.push(...batch);
      text += lines.map((l) => l + "\n").join("");
    },
  };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<SandboxError> {
  try {
    await promise;
  } catch (err) {
    assert.instance(err, SandboxError);
    assert.is((err as SandboxError).code, code);
    return err as SandboxError;
  }
  throw new Error(`expected a rejection with ${code}`);
}

test("record() numbers events from 1, stamps the time and copies every field", () => {
  let clock = 1000;
  const log = new AuditLog({ now: () => clock++ });
  const first = log.record(call());
  const second = log.record(call({ decision: "deny", result: -2n, capability: "sandbox:exec" }));
  assert.is(first.seq, 1);
  assert.is(second.seq, 2);
  assert.is(first.time, 1000);
  assert.is(second.time, 1001);
  assert.is(second.decision, "deny");
  assert.is(second.capability, "sandbox:exec");
  assert.is(first.hash, undefined, "no hashing on the hot path");
  const { events, dropped } = log.events();
  assert.equal(events.map((e) => e.seq), [1, 2]);
  assert.is(dropped, 0);
});

test("record() does not keep a reference to the caller's object", () => {
  const log = new AuditLog();
  const input = call();
  log.record(input);
  input.pluginId = "changed";
  assert.is(log.events().events[0].pluginId, "plugin-a");
});

test("events() reports what the ring overwrote", () => {
  const log = new AuditLog({ ringCapacity: 2 });
  for (let i = 0; i < 5; i++) log.record(call());
  const { events, dropped } = log.events();
  assert.equal(events.map((e) => e.seq), [4, 5]);
  assert.is(dropped, 3);
});

test("ringCapacity 0 keeps nothing in memory but still feeds sinks", async () => {
  const sink = memorySink();
  const log = new AuditLog({ ringCapacity: 0, sinks: [sink] });
  log.record(call());
  assert.equal(log.events(), { events: [], dropped: 0 });
  await log.close();
  assert.is(sink.records.length, 1);
});

test("flush() seals records into a chain that verifies, starting from the genesis hash", async () => {
  const sink = memorySink();
  const log = new AuditLog({ sinks: [sink] });
  for (let i = 0; i < 5; i++) log.record(call({ result: i % 2 === 0 ? BigInt(i) : undefined }));
  assert.is(log.pending, 5);
  await log.flush();
  assert.is(log.pending, 0);
  log.record(call({ namespace: "wasi_snapshot_preview1", function: "fd_write", capability: "wasi:stdio", result: 0 }));
  await log.close();
  assert.is(sink.records[0].prev, GENESIS_HASH);
  for (let i = 1; i < sink.records.length; i++) assert.is(sink.records[i].prev, sink.records[i - 1].hash);
  const verdict = verifyAuditText(sink.text());
  assert.ok(verdict.ok, JSON.stringify(verdict.firstBroken));
  assert.is(verdict.records, 6);
  assert.equal(verdict.head, { seq: 6, hash: sink.records[5].hash });
  assert.equal(log.head, verdict.head);
  // The ring's events are the same objects, now sealed.
  assert.is(log.events().events[0].hash, sink.records[0].hash);
});

test("a JSON line carries seq, prev, hash and every field; i64 results beyond 2^53 stay exact", async () => {
  const sink = memorySink();
  const log = new AuditLog({ sinks: [sink], now: () => 42 });
  log.record(call({ result: 2n ** 63n - 1n, capability: undefined }));
  await log.close();
  const line = JSON.parse(sink.text());
  assert.equal(Object.keys(line).sort(), [
    "bytesIn", "bytesOut", "capability", "decision", "durationNs", "function", "hash", "kind",
    "namespace", "pluginId", "prev", "result", "seq", "time",
  ]);
  assert.is(line.result, "9223372036854775807");
  assert.is(line.capability, null);
  assert.is(line.time, 42);
  assert.is(line.seq, 1);
});

test("several sinks receive the same sealed records", async () => {
  const a = memorySink();
  const seen: number[] = [];
  const log = new AuditLog({ sinks: [a, callbackSink((r) => seen.push(r.seq))] });
  log.record(call());
  log.record(call());
  await log.flush();
  assert.equal(seen, [1, 2]);
  assert.is(a.records.length, 2);
  await log.close();
});

test("admit() with maxPending records waiting writes them synchronously: the caller waits, nothing is dropped", async () => {
  const sink = memorySink();
  const writeSync = (records: readonly SealedAuditRecord[], lines: readonly string[]) => (sink.write(records, lines), true);
  const log = new AuditLog({ sinks: [{ write: sink.write, writeSync }], maxPending: 3, flushThreshold: 1000 });
  for (let i = 0; i < 10; i++) {
    assert.is(log.admit(), undefined, `call ${i + 1} admitted`);
    log.record(call());
    assert.ok(log.pending < 3 || sink.records.length + log.pending === i + 1);
  }
  assert.is(sink.records.length, 9, "three synchronous writes of three records, without a flush()");
  await log.close();
  assert.equal(sink.records.map((r) => r.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const verdict = verifyAuditText(sink.text());
  assert.ok(verdict.ok, JSON.stringify(verdict.firstBroken));
  assert.is(verdict.head?.seq, 10);
});

test("a sink that cannot take records synchronously gets calls refused past maxPending, the guest stopped past twice that", async () => {
  const sink = memorySink();
  const log = new AuditLog({ sinks: [{ write: (r, l) => Promise.resolve(sink.write(r, l)) }], maxPending: 3, flushThreshold: 1000 });
  const answers: string[] = [];
  for (let i = 0; i < 7; i++) {
    const admission = log.admit();
    answers.push(admission instanceof SandboxError ? admission.code : admission ?? "go");
    if (!(admission instanceof SandboxError)) log.record(call({ decision: admission === "refuse" ? "deny" : "allow" }));
  }
  assert.equal(answers, ["go", "go", "go", "refuse", "refuse", "refuse", "IoError"]);
  await log.flush();
  assert.is(log.admit(), undefined, "admitted again once the sink drained");
  await log.close();
  assert.equal(sink.records.map((r) => r.decision), ["allow", "allow", "allow", "deny", "deny", "deny"]);
  assert.ok(verifyAuditText(sink.text()).ok);
});

test("a synchronous write never overtakes an asynchronous one in flight to the same sink", async () => {
  const sink = memorySink();
  let open = false;
  let release!: () => void;
  const opened = new Promise<void>((resolve) => release = resolve);
  const log = new AuditLog({
    sinks: [{
      // Like the file sink before ready(): only asynchronous writes until it is open.
      async write(records, lines) {
        await opened;
        open = true;
        sink.write(records, lines);
      },
      writeSync: (records, lines) => open && (sink.write(records, lines), true),
    }],
    maxPending: 1,
    flushThreshold: 1000,
  });
  log.record(call());
  const flushing = log.flush();
  await Promise.resolve();
  assert.is(log.admit(), undefined);
  log.record(call());
  assert.is(log.admit(), "refuse", "the sink is busy with the first record, so the second cannot be written now");
  log.record(call({ decision: "deny" }));
  release();
  await flushing;
  assert.is(log.admit(), undefined, "the second record goes out synchronously now");
  log.record(call());
  await log.close();
  assert.equal(sink.records.map((r) => r.seq), [1, 2, 3, 4]);
  assert.ok(verifyAuditText(sink.text()).ok);
});

test("admit() after close() is an InvalidState error, before anything runs", async () => {
  const log = new AuditLog();
  assert.is(log.admit(), undefined);
  await log.close();
  const admission = log.admit();
  assert.instance(admission, SandboxError);
  assert.is((admission as SandboxError).code, "InvalidState");
});

test("a failing sink makes flush() reject with IoError and gets the records again next time", async () => {
  let fail = true;
  const sink = memorySink();
  const flaky: AuditSink = {
    write(records, lines) {
      if (fail) throw new Error("disk full");
      return sink.write(records, lines);
    },
  };
  const log = new AuditLog({ sinks: [flaky] });
  log.record(call());
  const err = await rejectsWith(log.flush(), "IoError");
  assert.match(err.message, "disk full");
  log.record(call());
  fail = false;
  await log.flush();
  assert.equal(sink.records.map((r) => r.seq), [1, 2]);
  assert.ok(verifyAuditText(sink.text()).ok);
  await log.close();
});

test("a failure in a timer-driven flush is reported by the next flush()", async () => {
  const log = new AuditLog({
    sinks: [{ write: () => Promise.reject(new Error("sink gone")) }],
    flushIntervalMs: 0,
  });
  log.record(call());
  await new Promise((resolve) => setTimeout(resolve, 20));
  const err = await rejectsWith(log.flush(), "IoError");
  assert.match(err.message, "sink gone");
  await log.close().catch(() => {});
});

test("the timer flushes without an explicit flush()", async () => {
  const sink = memorySink();
  const log = new AuditLog({ sinks: [sink], flushIntervalMs: 5 });
  log.record(call());
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.is(sink.records.length, 1);
  await log.close();
});

test("reaching flushThreshold schedules an immediate flush", async () => {
  const sink = memorySink();
  const log = new AuditLog({ sinks: [sink], flushIntervalMs: 60_000, flushThreshold: 4 });
  for (let i = 0; i < 4; i++) log.record(call());
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.is(sink.records.length, 4);
  await log.close();
});

test("close() closes the sinks, and record() afterwards throws InvalidState", async () => {
  let closed = 0;
  const log = new AuditLog({ sinks: [{ write() {}, close: () => void closed++ }] });
  log.record(call());
  await log.close();
  await log.close();
  assert.is(closed, 1);
  try {
    log.record(call());
    assert.unreachable("record() after close()");
  } catch (err) {
    assert.instance(err, SandboxError);
    assert.is((err as SandboxError).code, "InvalidState");
  }
});

test("resumeFrom continues the sequence and the chain", async () => {
  const first = memorySink();
  const log1 = new AuditLog({ sinks: [first] });
  log1.record(call());
  log1.record(call());
  await log1.close();
  const second = memorySink();
  const log2 = new AuditLog({ sinks: [second], resumeFrom: log1.head });
  log2.record(call());
  await log2.close();
  assert.is(second.records[0].seq, 3);
  const verdict = verifyAuditText(first.text() + second.text());
  assert.ok(verdict.ok, JSON.stringify(verdict.firstBroken));
  assert.is(verdict.records, 3);
});

test("the constructor refuses nonsensical options", () => {
  assert.throws(() => new AuditLog({ maxPending: 0 }), (e: unknown) => e instanceof SandboxError && e.code === "InvalidArgument");
  assert.throws(() => new AuditLog({ ringCapacity: -1 }), (e: unknown) => e instanceof SandboxError);
  assert.throws(() => new AuditLog({ resumeFrom: { seq: 1, hash: "nope" } }), (e: unknown) => e instanceof SandboxError);
});

test("malformed input fields cannot jam sealing", async () => {
  const sink = memorySink();
  const log = new AuditLog({ sinks: [sink] });
  log.record(call({ durationNs: Number.NaN, result: Number.POSITIVE_INFINITY, pluginId: undefined as unknown as string }));
  await log.close();
  assert.ok(verifyAuditText(sink.text()).ok);
});

test.run();
