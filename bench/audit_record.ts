// Cost of AuditLog.record() on the host-call hot path, next to an empty
// recorder, measured in the same run: ns per call and the ratio. Then the
// cost of sealing (the hash chain, off the hot path) per record.
// Run: node --import tsx bench/audit_record.ts   (or: deno run -A bench/audit_record.ts)
import { AuditLog } from "../lib/audit/audit_log.ts";
import type { AuditEventInput } from "../lib/audit/audit_event.ts";
import { isQuick, recordTable, recordValue, reportRatio } from "./_harness.ts";

const CALLS = isQuick() ? 50_000 : 200_000;
const ROUNDS = isQuick() ? 3 : 15;

interface Recorder {
  record(event: AuditEventInput): unknown;
}

// Each driver builds the event the way the bridge does (one literal per call),
// so the figures differ only by what record() itself does. The drivers are
// deliberately separate copies: each keeps its own call site, which stays
// monomorphic for its recorder, as the bridge's is in real use.
function driveEmpty(recorder: Recorder, n: number): number {
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    recorder.record({
      pluginId: "plugin", namespace: "soch", function: "soch_read", capability: "soch:read",
      decision: "allow", durationNs: i & 1023, bytesIn: 8, bytesOut: 32, result: 32,
    });
  }
  return performance.now() - start;
}

function driveKeep(recorder: Recorder, n: number): number {
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    recorder.record({
      pluginId: "plugin", namespace: "soch", function: "soch_read", capability: "soch:read",
      decision: "allow", durationNs: i & 1023, bytesIn: 8, bytesOut: 32, result: 32,
    });
  }
  return performance.now() - start;
}

function driveRing(recorder: Recorder, n: number): number {
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    recorder.record({
      pluginId: "plugin", namespace: "soch", function: "soch_read", capability: "soch:read",
      decision: "allow", durationNs: i & 1023, bytesIn: 8, bytesOut: 32, result: 32,
    });
  }
  return performance.now() - start;
}

// Records in chunks of 1024 (the default flush threshold) and flushes between
// chunks outside the timed part, as the log does in use; returns [record ms, flush ms].
async function driveSink(log: AuditLog, n: number): Promise<[number, number]> {
  let recording = 0;
  let sealing = 0;
  for (let done = 0; done < n; done += 1024) {
    const chunk = Math.min(1024, n - done);
    const start = performance.now();
    for (let i = 0; i < chunk; i++) {
      log.record({
        pluginId: "plugin", namespace: "soch", function: "soch_read", capability: "soch:read",
        decision: "allow", durationNs: i & 1023, bytesIn: 8, bytesOut: 32, result: 32,
      });
    }
    const recorded = performance.now();
    await log.flush();
    recording += recorded - start;
    sealing += performance.now() - recorded;
  }
  return [recording, sealing];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

let sink = 0;
const empty: Recorder = {
  record(event) {
    sink += event.bytesIn; // touch the event so the call is not optimized away
  },
};
// A second baseline: a recorder that keeps the last 10 000 events, so the
// allocation cannot be optimized away — the floor for any log that retains events.
const kept: AuditEventInput[] = new Array(10_000);
let keptIndex = 0;
const keep: Recorder = {
  record(event) {
    kept[keptIndex] = event;
    keptIndex = keptIndex + 1 === kept.length ? 0 : keptIndex + 1;
  },
};
const ringOnly = new AuditLog({ ringCapacity: 10_000 });
let sealedLines = 0;
const withSink = new AuditLog({
  sinks: [{ write: (_records, lines) => void (sealedLines += lines.length) }],
  flushThreshold: 2048, // driveSink flushes every 1024 records itself
  flushIntervalMs: 60_000,
});

const times = { empty: [] as number[], keep: [] as number[], ring: [] as number[], sink: [] as number[], seal: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  times.empty.push(driveEmpty(empty, CALLS));
  times.keep.push(driveKeep(keep, CALLS));
  times.ring.push(driveRing(ringOnly, CALLS));
  const [recording, sealing] = await driveSink(withSink, CALLS);
  times.sink.push(recording);
  times.seal.push(sealing);
}
await withSink.close();

const ns = (ms: number) => (ms * 1e6) / CALLS;
const emptyNs = ns(median(times.empty));
const keepNs = ns(median(times.keep));
const ringNs = ns(median(times.ring));
const sinkNs = ns(median(times.sink));
const sealNs = ns(median(times.seal));
const runtime = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined" ? "deno" : "node";
console.log(`audit record() on ${runtime}, ${CALLS} calls x ${ROUNDS} rounds (median round)`);
console.log(`  empty recorder            ${emptyNs.toFixed(1).padStart(8)} ns/call`);
console.log(`  keep-last-10k recorder    ${keepNs.toFixed(1).padStart(8)} ns/call   ratio ${(keepNs / emptyNs).toFixed(2)}x`);
console.log(`  AuditLog, ring only       ${ringNs.toFixed(1).padStart(8)} ns/call   ratio ${(ringNs / emptyNs).toFixed(2)}x`);
console.log(`  AuditLog, ring + sink     ${sinkNs.toFixed(1).padStart(8)} ns/call   ratio ${(sinkNs / emptyNs).toFixed(2)}x`);
console.log(`  sealing on flush (off the hot path): ${sealNs.toFixed(0)} ns/record (${sealedLines} lines, checksum ${sink % 7})`);
const method = `median of ${ROUNDS} rounds of ${CALLS} calls`;
recordTable({
  title: "AuditLog.record() on the host-call hot path",
  baseline: "empty recorder",
  method,
  cases: [
    { name: "empty recorder", value: emptyNs, unit: "ns/call", ratio: 1 },
    { name: "keep-last-10k recorder", value: keepNs, unit: "ns/call", ratio: keepNs / emptyNs },
    { name: "AuditLog, ring only", value: ringNs, unit: "ns/call", ratio: ringNs / emptyNs },
    { name: "AuditLog, ring + sink", value: sinkNs, unit: "ns/call", ratio: sinkNs / emptyNs },
  ],
});
recordValue({ label: "sealing on flush (off the hot path)", value: sealNs, unit: "ns/record" });
reportRatio("audit record: AuditLog ring ÷ keep-last-10k recorder", ringNs / keepNs);
