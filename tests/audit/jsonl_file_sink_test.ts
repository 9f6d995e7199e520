import { test } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { AuditLog } from "../../lib/audit/audit_log.ts";
import { jsonLinesFileSink } from "../../lib/audit/jsonl_file_sink.ts";
import { readAuditTail, verifyAuditFile } from "../../lib/audit/verify_audit.ts";
import type { AuditEventInput, SealedAuditRecord } from "../../lib/audit/audit_event.ts";
import { SandboxError } from "../../lib/errors.ts";
import { tempDir } from "../_helpers/temp.ts";

const input: AuditEventInput = {
  pluginId: "p", namespace: "wasi_snapshot_preview1", function: "fd_write", capability: "wasi:stdio",
  decision: "allow", durationNs: 900, bytesIn: 12, bytesOut: 4, result: 0,
};

test("jsonLinesFileSink() writes one verifiable line per record, across flushes", async () => {
  const path = join(await tempDir(), "audit.jsonl");
  const log = new AuditLog({ sinks: [jsonLinesFileSink(path)] });
  log.record(input);
  log.record({ ...input, decision: "deny", result: 76 });
  await log.flush();
  log.record(input);
  await log.close();
  const lines = readFileSync(path, "utf8").split("\n");
  assert.is(lines.length, 4);
  assert.is(lines[3], "");
  assert.is(JSON.parse(lines[1]).decision, "deny");
  const result = await verifyAuditFile(path);
  assert.ok(result.ok);
  assert.is(result.records, 3);
});

test("a second log continues the file's chain with resumeFrom", async () => {
  const path = join(await tempDir(), "audit.jsonl");
  const first = new AuditLog({ sinks: [jsonLinesFileSink(path)] });
  first.record(input);
  await first.close();
  const second = new AuditLog({ resumeFrom: await readAuditTail(path), sinks: [jsonLinesFileSink(path)] });
  second.record(input);
  second.record(input);
  await second.close();
  const result = await verifyAuditFile(path);
  assert.ok(result.ok, JSON.stringify(result.firstBroken));
  assert.is(result.records, 3);
});

test("a fresh log refuses to append to a file holding another chain, surfacing it on flush", async () => {
  const path = join(await tempDir(), "audit.jsonl");
  const first = new AuditLog({ sinks: [jsonLinesFileSink(path)] });
  first.record(input);
  await first.close();
  const before = readFileSync(path, "utf8");
  const second = new AuditLog({ sinks: [jsonLinesFileSink(path)] });
  second.record(input);
  try {
    await second.flush();
    assert.unreachable();
  } catch (err) {
    assert.instance(err, SandboxError);
    assert.is((err as SandboxError).code, "IoError");
    assert.match((err as Error).message, "resumeFrom");
  }
  assert.is(readFileSync(path, "utf8"), before, "nothing appended");
  await second.close().catch(() => {});
});

test("a sink whose file cannot be opened rejects the flush", async () => {
  const dir = await tempDir();
  const path = join(dir, "no-such-dir", "audit.jsonl");
  const log = new AuditLog({ sinks: [jsonLinesFileSink(path)] });
  log.record(input);
  try {
    await log.close();
    assert.unreachable();
  } catch (err) {
    assert.is((err as SandboxError).code, "IoError");
  }
});

test("a truncated file is not appended to", async () => {
  const path = join(await tempDir(), "audit.jsonl");
  const first = new AuditLog({ sinks: [jsonLinesFileSink(path)] });
  first.record(input);
  await first.close();
  writeFileSync(path, readFileSync(path, "utf8").slice(0, -10));
  const second = new AuditLog({ sinks: [jsonLinesFileSink(path)] });
  second.record(input);
  try {
    await second.close();
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, "does not verify");
  }
});

test("before ready() writeSync() takes nothing; after it, a batch is in the file when writeSync() returns", async () => {
  const path = join(await tempDir(), "audit.jsonl");
  const sink = jsonLinesFileSink(path);
  let lines: string[] = [];
  let records: SealedAuditRecord[] = [];
  const log = new AuditLog({ sinks: [{ write: (r, l) => void (records = [...r], lines = [...l]) }] });
  log.record(input);
  await log.close();
  assert.is(sink.writeSync!(records, lines), false, "not open yet");
  await sink.ready!();
  assert.is(sink.writeSync!(records, lines), true);
  assert.is(readFileSync(path, "utf8"), lines[0] + "\n");
  await sink.close?.();
  assert.ok((await verifyAuditFile(path)).ok);
});

test.run();
