import { test } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { AuditLog } from "../../lib/audit/audit_log.ts";
import { chainHash, chainLine } from "../../lib/audit/hash_chain.ts";
import { canonicalJson } from "../../lib/audit/canonical_json.ts";
import { readAuditTail, verifyAuditFile, verifyAuditText } from "../../lib/audit/verify_audit.ts";
import type { SandboxError } from "../../lib/errors.ts";
import { tempDir } from "../_helpers/temp.ts";

/** Five sealed lines from a real log (the third a denied call). */
async function chainLines(): Promise<string[]> {
  let lines: string[] = [];
  const log = new AuditLog({ sinks: [{ write: (_r, l) => void (lines = lines.concat(l)) }], now: () => 1_700_000_000_000 });
  for (let i = 0; i < 5; i++) {
    log.record({
      pluginId: "p", namespace: "soch", function: "soch_write", capability: "soch:write",
      decision: i === 2 ? "deny" : "allow", durationNs: 100 + i, bytesIn: i, bytesOut: 0, result: i === 2 ? -2n : 0n,
      ...(i === 2 ? { reason: "the key is outside the token's prefix" } : {}),
    });
  }
  await log.close();
  return lines;
}

const text = (lines: string[]) => lines.map((l) => l + "\n").join("");

test("an untouched chain verifies and reports its head", async () => {
  const lines = await chainLines();
  const result = verifyAuditText(text(lines));
  assert.ok(result.ok);
  assert.is(result.records, 5);
  assert.is(result.head?.seq, 5);
  assert.is(result.firstBroken, undefined);
});

test("a denied call's reason is part of the chain: editing it is pointed at", async () => {
  const lines = await chainLines();
  assert.match(lines[2], /"reason":"the key is outside the token's prefix"/);
  lines[2] = lines[2].replace("outside", "inside");
  const result = verifyAuditText(text(lines));
  assert.not.ok(result.ok);
  assert.is(result.firstBroken?.line, 3);
});

test("an empty file verifies with zero records", () => {
  assert.equal(verifyAuditText(""), { ok: true, records: 0 });
});

test("an edited field is pointed at", async () => {
  const lines = await chainLines();
  lines[2] = lines[2].replace('"decision":"deny"', '"decision":"allow"');
  const result = verifyAuditText(text(lines));
  assert.not.ok(result.ok);
  assert.equal(result.firstBroken, { line: 3, seq: 3, reason: result.firstBroken!.reason });
  assert.match(result.firstBroken!.reason, "edited");
  assert.is(result.records, 2);
});

test("an edit with a recomputed hash breaks the next record's link", async () => {
  const lines = await chainLines();
  const record = JSON.parse(lines[1]);
  delete record.hash;
  record.bytesIn = 999;
  const body = canonicalJson(record);
  lines[1] = chainLine(body, chainHash(record.prev, body));
  const result = verifyAuditText(text(lines));
  assert.is(result.firstBroken?.line, 3);
  assert.match(result.firstBroken!.reason, "previous record");
});

test("a deleted line is pointed at", async () => {
  const lines = await chainLines();
  lines.splice(1, 1);
  const result = verifyAuditText(text(lines));
  assert.equal(result.firstBroken?.line, 2);
  assert.is(result.firstBroken?.seq, 3);
});

test("a deleted first line is pointed at", async () => {
  const lines = await chainLines();
  const result = verifyAuditText(text(lines.slice(1)));
  assert.is(result.firstBroken?.line, 1);
  assert.match(result.firstBroken!.reason, "genesis");
});

test("reordered lines are pointed at", async () => {
  const lines = await chainLines();
  [lines[3], lines[4]] = [lines[4], lines[3]];
  const result = verifyAuditText(text(lines));
  assert.is(result.firstBroken?.line, 4);
  assert.is(result.firstBroken?.seq, 5);
});

test("a truncated last line is pointed at", async () => {
  const lines = await chainLines();
  const full = text(lines);
  const result = verifyAuditText(full.slice(0, full.length - 20));
  assert.is(result.firstBroken?.line, 5);
  assert.match(result.firstBroken!.reason, "truncated");
  assert.is(result.records, 4);
  // Even a complete last record without its newline counts as cut off.
  assert.is(verifyAuditText(full.slice(0, -1)).firstBroken?.line, 5);
});

test("bad JSON, a non-object, an empty line and whitespace edits are pointed at", async () => {
  const lines = await chainLines();
  const cases: Array<[string[], number, string]> = [
    [[lines[0], "{not json", ...lines.slice(1)], 2, "JSON"],
    [[lines[0], "[1,2]", ...lines.slice(1)], 2, "object"],
    [[lines[0], "", ...lines.slice(1)], 2, "empty"],
    [[lines[0], lines[1].replace(",", ", "), ...lines.slice(2)], 2, "canonical"],
    [[lines[0].replace(/"seq":1/, '"seq":"1"')], 1, "seq"],
    [[lines[0].replace(/"hash":"[0-9a-f]+"/, '"hash":"00"')], 1, "hash"],
    [[lines[0].replace('"kind":"call"', '"kind":"other"')], 1, "kind"],
  ];
  for (const [variant, line, reason] of cases) {
    const result = verifyAuditText(text(variant));
    assert.is(result.firstBroken?.line, line, reason);
    assert.match(result.firstBroken!.reason, reason);
  }
});

test("verifyAuditFile() reads the file; a missing file is NotFound", async () => {
  const dir = await tempDir();
  const path = join(dir, "audit.jsonl");
  const lines = await chainLines();
  writeFileSync(path, text(lines));
  assert.ok((await verifyAuditFile(path)).ok);
  writeFileSync(path, text(lines.slice(0, 2)) + "garbage\n");
  assert.equal((await verifyAuditFile(path)).firstBroken, { line: 3, reason: "not valid JSON" });
  try {
    await verifyAuditFile(join(dir, "missing.jsonl"));
    assert.unreachable();
  } catch (err) {
    assert.is((err as SandboxError).code, "NotFound");
  }
});

test("verifyAuditFile() refuses a file that is not UTF-8", async () => {
  const dir = await tempDir();
  const path = join(dir, "audit.jsonl");
  writeFileSync(path, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d, 0x0a]));
  try {
    await verifyAuditFile(path);
    assert.unreachable();
  } catch (err) {
    assert.is((err as SandboxError).code, "InvalidArgument");
  }
});

test("readAuditTail() returns the head, undefined for a missing file, and refuses a broken one", async () => {
  const dir = await tempDir();
  const path = join(dir, "audit.jsonl");
  assert.is(await readAuditTail(path), undefined);
  const lines = await chainLines();
  writeFileSync(path, text(lines));
  assert.is((await readAuditTail(path))?.seq, 5);
  writeFileSync(path, text(lines.slice(1)));
  try {
    await readAuditTail(path);
    assert.unreachable();
  } catch (err) {
    assert.is((err as SandboxError).code, "InvalidState");
  }
});

test.run();
