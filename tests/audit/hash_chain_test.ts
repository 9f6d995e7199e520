import { test } from "uvu";
import * as assert from "uvu/assert";
import { canonicalBody, chainHash, chainLine, GENESIS_HASH, recordBody, sealRecords } from "../../lib/audit/hash_chain.ts";
import { canonicalJson } from "../../lib/audit/canonical_json.ts";
import type { AuditEvent, AuditRecord } from "../../lib/audit/audit_event.ts";

function event(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    kind: "call", seq: 7, time: 1_700_000_000_123, pluginId: "p", namespace: "soch", function: "soch_read",
    capability: "soch:read", decision: "allow", durationNs: 1234, bytesIn: 5, bytesOut: 9, result: 9n,
    prev: undefined, hash: undefined, ...overrides,
  };
}

test("canonicalBody() equals canonicalJson(recordBody()) for every kind of field value", () => {
  const records: AuditRecord[] = [
    event(),
    event({ capability: undefined, result: undefined, decision: "deny" }),
    event({ pluginId: 'quote " backslash \\ newline \n nul \u0000 emoji 🎉 lone \ud800', result: -2n }),
    event({ result: 2n ** 64n, durationNs: Number.NaN, bytesIn: Infinity }),
    event({ result: 3.5, time: 0 }),
    event({ result: Number.NEGATIVE_INFINITY }),
    event({ decision: "deny", result: -2n, reason: 'ls is not on the allow list "quoted" \n' }),
  ];
  for (const record of records) {
    assert.is(canonicalBody(record, GENESIS_HASH), canonicalJson(recordBody(record, GENESIS_HASH)));
  }
});

/** SHA-256 through WebCrypto: an implementation independent of the one the chain uses. */
async function webCryptoHex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

test("chainHash() is SHA-256 over the UTF-8 of prev followed by the body", async () => {
  const body = canonicalBody(event(), GENESIS_HASH);
  assert.is(chainHash(GENESIS_HASH, body), await webCryptoHex(GENESIS_HASH + body));
  const long = "x".repeat(10_000) + "é\u{1F600}";
  assert.is(chainHash(GENESIS_HASH, long), await webCryptoHex(GENESIS_HASH + long));
  assert.is(chainHash("", "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "FIPS 180-4 vector");
});

test("sealRecords() links each record to the previous hash and appends hash last", () => {
  const records = [event({ seq: 1 }), event({ seq: 2 })];
  const { lines, head } = sealRecords(records, GENESIS_HASH);
  assert.is(records[0].prev, GENESIS_HASH);
  assert.is(records[1].prev, records[0].hash);
  assert.is(head, records[1].hash);
  assert.is(lines[1], chainLine(canonicalBody(records[1], records[0].hash!), records[1].hash!));
  assert.ok(lines[0].endsWith(`,"hash":"${records[0].hash}"}`));
});

test.run();
