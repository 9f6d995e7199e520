/**
 * The audit hash chain: each record's `hash` is
 * `SHA-256(prev || canonicalJson(record without hash))`, where `prev` is the
 * previous record's hash as 64 hex digits ({@linkcode GENESIS_HASH} for the
 * first record) and the record itself carries `prev`. Editing, deleting or
 * reordering any record breaks every later link. See docs/AUDIT.md.
 *
 * @module
 */
import type { AuditRecord, SealedAuditRecord } from "./audit_event.ts";
import { canonicalJson } from "./canonical_json.ts";
import type { JsonValue } from "./canonical_json.ts";
import { sha256Hex } from "../module/sha256.ts";

/** The `prev` of the first record in a chain: 64 zeros. */
export const GENESIS_HASH: string = "0".repeat(64);


/** i64 results beyond 2^53 are written as decimal strings so no digit is lost. */
function resultJson(result: number | bigint | undefined): JsonValue {
  if (result === undefined) return null;
  if (typeof result === "bigint") {
    return result >= BigInt(Number.MIN_SAFE_INTEGER) && result <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(result)
      : result.toString();
  }
  return typeof result === "number" && Number.isFinite(result) ? result : String(result);
}

/**
 * The JSON of a record's `detail`: a flat object of scalars and string
 * lists. Anything else a caller slipped in is coerced (non-finite numbers
 * to null, other values to strings), so that sealing can never throw and jam
 * the log, and the text is always canonical.
 */
export function detailJson(detail: unknown): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  if (typeof detail !== "object" || detail === null) return out;
  for (const key of Object.keys(detail)) {
    const value = (detail as Record<string, unknown>)[key];
    if (value === undefined) continue;
    out[key] = value === null || typeof value === "string" || typeof value === "boolean"
      ? value
      : typeof value === "number"
      ? (Number.isFinite(value) ? value : null)
      : Array.isArray(value)
      ? value.map((item) => String(item))
      : String(value);
  }
  return out;
}

function finiteOrZero(value: number): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/** The JSON object of a record with `prev` but without `hash` (what is hashed). */
export function recordBody(record: AuditRecord, prev: string): { [key: string]: JsonValue } {
  return {
    seq: record.seq,
    time: finiteOrZero(record.time),
    kind: "call",
    // Coerced so that a malformed input can never make sealing throw and jam the log.
    pluginId: String(record.pluginId),
    namespace: String(record.namespace),
    function: String(record.function),
    capability: record.capability === undefined ? null : String(record.capability),
    decision: record.decision === "allow" ? "allow" : "deny",
    ...(record.detail === undefined ? {} : { detail: detailJson(record.detail) }),
    durationNs: finiteOrZero(record.durationNs),
    bytesIn: finiteOrZero(record.bytesIn),
    bytesOut: finiteOrZero(record.bytesOut),
    result: resultJson(record.result),
    ...(record.reason === undefined ? {} : { reason: String(record.reason) }),
    prev,
  };
}

/** The hash of a canonical body text that links to `prev` (SHA-256 of the UTF-8 text, through node:crypto). */
export function chainHash(prev: string, body: string): string {
  return sha256Hex(prev + body);
}

/** The JSON line (without newline) of a body and its hash: the canonical body with `hash` appended last. */
export function chainLine(canonicalBody: string, hash: string): string {
  return `${canonicalBody.slice(0, -1)},"hash":"${hash}"}`;
}

/**
 * The canonical text of `recordBody(record, prev)`, written directly with the
 * keys already in sorted order: sealing runs for every record, and this is
 * several times faster than building the object and sorting its keys. The
 * tests check it against `canonicalJson(recordBody(record, prev))`.
 */
export function canonicalBody(record: AuditRecord, prev: string): string {
  const capability = record.capability === undefined ? "null" : JSON.stringify(String(record.capability));
  const result = JSON.stringify(resultJson(record.result));
  return `{"bytesIn":${finiteOrZero(record.bytesIn)},"bytesOut":${finiteOrZero(record.bytesOut)},"capability":${capability},` +
    `"decision":"${record.decision === "allow" ? "allow" : "deny"}",` +
    (record.detail === undefined ? "" : `"detail":${canonicalJson(detailJson(record.detail))},`) +
    `"durationNs":${finiteOrZero(record.durationNs)},` +
    `"function":${JSON.stringify(String(record.function))},"kind":"call","namespace":${JSON.stringify(String(record.namespace))},` +
    `"pluginId":${JSON.stringify(String(record.pluginId))},"prev":"${prev}",` +
    (record.reason === undefined ? "" : `"reason":${JSON.stringify(String(record.reason))},`) +
    `"result":${result},"seq":${record.seq},` +
    `"time":${finiteOrZero(record.time)}}`;
}

/**
 * Seals `records` in order after `prev`: sets their `prev` and `hash` and
 * returns their JSON lines plus the new chain head.
 */
export function sealRecords(
  records: readonly AuditRecord[],
  prev: string,
): { lines: string[]; head: string } {
  const lines: string[] = new Array(records.length);
  let head = prev;
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    const body = canonicalBody(record, head);
    const hash = chainHash(head, body);
    record.prev = head;
    record.hash = hash;
    lines[i] = chainLine(body, hash);
    head = hash;
  }
  return { lines, head };
}

/** Narrows a record whose `prev` and `hash` were set by {@linkcode sealRecords}. */
export function isSealed(record: AuditRecord): record is SealedAuditRecord {
  return record.hash !== undefined && record.prev !== undefined;
}
