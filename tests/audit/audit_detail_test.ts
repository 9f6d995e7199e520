import { suite } from "uvu";
import * as assert from "uvu/assert";
import { AuditLog } from "../../lib/audit/audit_log.ts";
import type { AuditEvent } from "../../lib/audit/audit_event.ts";
import { canonicalJson } from "../../lib/audit/canonical_json.ts";
import { canonicalBody, GENESIS_HASH, recordBody } from "../../lib/audit/hash_chain.ts";
import { verifyAuditText } from "../../lib/audit/verify_audit.ts";

const test = suite("audit record detail");

const DETAIL = { method: "GET", host: "api.example:443", status: 200, bytesSent: 0, bytesReceived: 12, decision: "allow", hops: ["GET a:443 1.2.3.4 302", "GET b:443 5.6.7.8 200"] };

async function lines(detail: Record<string, unknown> | undefined): Promise<string[]> {
  let out: string[] = [];
  const log = new AuditLog({ sinks: [{ write: (_r, l) => void (out = out.concat(l)) }], now: () => 1_700_000_000_000 });
  for (let i = 0; i < 3; i++) {
    log.record({
      pluginId: "p", namespace: "platform_network", function: "http_request", capability: "network:http",
      decision: "allow", durationNs: 1, bytesIn: 40, bytesOut: 0, result: 120n,
      ...(i === 1 && detail !== undefined ? { detail: detail as AuditEvent["detail"] } : {}),
    });
  }
  await log.close();
  return out;
}

const text = (ls: string[]) => ls.map((l) => l + "\n").join("");

test("canonicalBody() equals canonicalJson(recordBody()) with a detail, odd values included", () => {
  const base: AuditEvent = {
    kind: "call", seq: 1, time: 1, pluginId: "p", namespace: "n", function: "f", capability: undefined,
    decision: "allow", durationNs: 0, bytesIn: 0, bytesOut: 0, result: undefined, prev: undefined, hash: undefined,
  };
  const details: unknown[] = [
    DETAIL,
    {},
    { z: 1, a: "quote \" \n", m: null, n: true },
    { nan: Number.NaN, inf: Infinity, big: 10n, nested: { a: 1 }, list: [1, "x"], gone: undefined },
  ];
  for (const detail of details) {
    const record = { ...base, detail: detail as AuditEvent["detail"] };
    assert.is(canonicalBody(record, GENESIS_HASH), canonicalJson(recordBody(record, GENESIS_HASH)));
  }
});

test("a record's detail is in the hashed line and the chain verifies", async () => {
  const sealed = await lines(DETAIL);
  assert.match(sealed[1], /"detail":\{"bytesReceived":12,"bytesSent":0,"decision":"allow","hops":\["GET a:443 1.2.3.4 302","GET b:443 5.6.7.8 200"\],"host":"api.example:443","method":"GET","status":200\}/);
  assert.not.match(sealed[0], /detail/, "absent when the host function added none");
  assert.ok(verifyAuditText(text(sealed)).ok);
});

test("editing, adding or removing a detail breaks the chain at that record", async () => {
  const sealed = await lines(DETAIL);
  const edits = [
    sealed[1].replace('"status":200', '"status":201'),
    sealed[1].replace('"host":"api.example:443"', '"host":"other.example:443"'),
    sealed[1].replace(/"detail":\{[^}]*\},/, ""),
    sealed[0].replace('"durationNs"', '"detail":{"status":200},"durationNs"'),
  ];
  for (const [i, edited] of edits.entries()) {
    const copy = [...sealed];
    copy[i === 3 ? 0 : 1] = edited;
    const result = verifyAuditText(text(copy));
    assert.not.ok(result.ok, `edit ${i}`);
    assert.is(result.firstBroken?.line, i === 3 ? 1 : 2, `edit ${i}`);
  }
});

test("a detail that is not an object is a malformed record", async () => {
  const sealed = await lines(DETAIL);
  const copy = [...sealed];
  copy[1] = sealed[1].replace(/"detail":\{[^}]*\]\,[^}]*\}/, '"detail":"x"');
  assert.not.equal(copy[1], sealed[1]);
  const result = verifyAuditText(text(copy));
  assert.is(result.firstBroken?.reason, "detail is missing or has the wrong type");
});

test.run();
