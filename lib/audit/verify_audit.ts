/**
 * Verifies a JSON-lines audit file: every line must be the canonical JSON of
 * a record whose `prev` is the previous record's `hash` (the genesis hash for
 * the first), whose `seq` follows on, and whose `hash` is recomputed
 * identically. The first failure is reported with its line number, so an
 * edited field, a deleted, inserted or reordered line, a truncated last line
 * and bad JSON are each pointed at. See docs/AUDIT.md.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { hostPlatform } from "../platform/host_platform.ts";
import { HostNotFoundError } from "../platform/types.ts";
import type { HostPlatform } from "../platform/types.ts";
import { canonicalJson } from "./canonical_json.ts";
import type { JsonValue } from "./canonical_json.ts";
import { chainHash, chainLine, GENESIS_HASH } from "./hash_chain.ts";

/** The end of a verified chain: the last sequence number it covers and the last hash. */
export interface AuditChainHead {
  seq: number;
  hash: string;
}

/** Where and why verification stopped. */
export interface AuditBreak {
  /** 1-based line number in the file. */
  line: number;
  /** The record's `seq`, when the line could be read that far. */
  seq?: number;
  reason: string;
}

/** The outcome of {@linkcode verifyAuditFile}. */
export interface AuditVerification {
  /** True when every line verified. */
  ok: boolean;
  /** How many records verified before the first break (all of them when ok). */
  records: number;
  /** The first broken record; absent when ok. */
  firstBroken?: AuditBreak;
  /** The last verified record's seq and hash; absent when none verified. Compare it with an anchored copy. */
  head?: AuditChainHead;
}

const HASH_PATTERN = /^[0-9a-f]{64}$/;
const CALL_FIELDS: Readonly<Record<string, "string" | "number" | "string?" | "absent or string" | "absent or object" | "result">> = {
  pluginId: "string",
  namespace: "string",
  function: "string",
  capability: "string?",
  decision: "string",
  durationNs: "number",
  bytesIn: "number",
  bytesOut: "number",
  result: "result",
  reason: "absent or string",
  detail: "absent or object",
};

function isPositiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 1;
}

/** Why a parsed record is malformed, or undefined when its fields are well typed. */
function shapeProblem(record: { [key: string]: JsonValue }): string | undefined {
  if (!isPositiveInteger(record.seq)) return "seq is missing or not a positive integer";
  if (typeof record.time !== "number") return "time is missing or not a number";
  if (typeof record.hash !== "string" || !HASH_PATTERN.test(record.hash)) return "hash is missing or not 64 hex digits";
  if (typeof record.prev !== "string" || !HASH_PATTERN.test(record.prev)) return "prev is missing or not 64 hex digits";
  if (record.kind === "dropped") {
    // Older versions wrote this marker when their queue overflowed; the records it stands for are gone.
    return "a \"dropped\" marker: records are missing (the audit log no longer drops records)";
  }
  if (record.kind !== "call") return `unknown kind ${JSON.stringify(record.kind ?? null)}`;
  for (const [field, type] of Object.entries(CALL_FIELDS)) {
    const value = record[field];
    const fits = type === "string?"
      ? value === null || typeof value === "string"
      : type === "absent or string"
      ? value === undefined || typeof value === "string"
      : type === "absent or object"
      ? value === undefined || (typeof value === "object" && value !== null && !Array.isArray(value))
      : type === "result"
      ? value === null || typeof value === "number" || typeof value === "string"
      : typeOf(value) === type;
    if (!fits) return `${field} is missing or has the wrong type`;
  }
  if (record.decision !== "allow" && record.decision !== "deny") return "decision is neither allow nor deny";
  return undefined;
}

/**
 * Verifies the text of an audit file (see {@linkcode verifyAuditFile}).
 *
 * @example
 * ```ts
 * const result = verifyAuditText(text);
 * if (!result.ok) console.log(`line ${result.firstBroken!.line}: ${result.firstBroken!.reason}`);
 * ```
 */
export function verifyAuditText(text: string): AuditVerification {
  const lines = text.split("\n");
  // A well-formed file ends with a newline, leaving one empty piece after the last split.
  const partial = lines.pop();
  let prev = GENESIS_HASH;
  let nextSeq = 1;
  let head: AuditChainHead | undefined;
  const broken = (index: number, reason: string, seq?: number): AuditVerification => ({
    ok: false,
    records: index,
    firstBroken: seq === undefined ? { line: index + 1, reason } : { line: index + 1, seq, reason },
    ...(head ? { head } : {}),
  });

  // Audit files are written without a byte-order mark; one in front is an edit
  // (and would otherwise be invisible to anyone reading the file).
  if (text.charCodeAt(0) === 0xfeff) {
    return broken(0, "the file starts with a byte-order mark (U+FEFF), which the audit log never writes: it was edited");
  }
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.length === 0) return broken(i, "empty line");
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return broken(i, "not valid JSON");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      return broken(i, "not a JSON object");
    }
    const record = parsed as { [key: string]: JsonValue };
    const seq = isPositiveInteger(record.seq) ? record.seq : undefined;
    const problem = shapeProblem(record);
    if (problem) return broken(i, problem, seq);
    const { hash, ...rest } = record;
    if (record.prev !== prev) {
      return broken(
        i,
        i === 0
          ? "prev is not the genesis hash: the file does not start at the beginning of a chain"
          : "prev does not match the previous record's hash: a record was deleted, inserted or moved",
        seq,
      );
    }
    if (seq !== nextSeq) {
      return broken(i, `seq ${seq} where ${nextSeq} was expected: records are missing or out of order`, seq);
    }
    const body = canonicalJson(rest);
    if (chainHash(prev, body) !== hash) return broken(i, "hash does not match the record: a field was edited", seq);
    if (chainLine(body, hash as string) !== line) {
      return broken(i, "the line is not in canonical form: it was edited", seq);
    }
    prev = hash as string;
    nextSeq = seq + 1;
    head = { seq, hash: prev };
  }
  if (partial !== undefined && partial.length > 0) {
    return broken(lines.length, "the last line has no newline: the file was truncated or a write was cut off");
  }
  return { ok: true, records: lines.length, ...(head ? { head } : {}) };
}

/** Reads a file as strict UTF-8, mapping failures to SandboxError. */
async function readAuditText(path: string, platform: HostPlatform | undefined): Promise<string | undefined> {
  const fs = (platform ?? await hostPlatform()).fs;
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (err) {
    if (err instanceof HostNotFoundError) return undefined;
    throw new SandboxError("IoError", `could not read audit file ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    // ignoreBOM keeps a leading byte-order mark in the text, so the verifier sees and refuses it.
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (err) {
    throw new SandboxError("InvalidArgument", `audit file ${path} is not valid UTF-8`, { cause: err });
  }
}

/**
 * Verifies the audit file at `path`. A missing file is `NotFound`; a file
 * that is not UTF-8 is `InvalidArgument`; anything else is reported in the
 * result, never thrown.
 *
 * @example
 * ```ts
 * const { ok, records, firstBroken } = await verifyAuditFile("audit.jsonl");
 * ```
 */
export async function verifyAuditFile(
  path: string,
  options: { platform?: HostPlatform } = {},
): Promise<AuditVerification> {
  const text = await readAuditText(path, options.platform);
  if (text === undefined) throw new SandboxError("NotFound", `audit file ${path} does not exist`);
  return verifyAuditText(text);
}

/**
 * The head of the chain in the audit file at `path` (undefined when the file
 * is missing or empty), for continuing it with `new AuditLog({ resumeFrom })`.
 * Refuses, with `InvalidState`, a file that does not verify: appending to a
 * broken chain would hide the break.
 */
export async function readAuditTail(
  path: string,
  options: { platform?: HostPlatform } = {},
): Promise<AuditChainHead | undefined> {
  const text = await readAuditText(path, options.platform);
  if (text === undefined || text.length === 0) return undefined;
  const result = verifyAuditText(text);
  if (!result.ok) {
    const at = result.firstBroken!;
    throw new SandboxError("InvalidState", `audit file ${path} does not verify at line ${at.line} (${at.reason}); start a new file`);
  }
  return result.head;
}

/** `typeof value`, as a string to compare with a field's expected type name. */
function typeOf(value: unknown): string {
  return typeof value;
}
