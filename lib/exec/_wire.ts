/**
 * Binary form of an {@linkcode ExecOutcome} for the trip from the exec
 * worker to the waiting thread: u32 meta length, meta JSON, u32 stdout
 * length, stdout, u32 stderr length, stderr (little-endian). Output bytes
 * travel raw, so the buffer is sized by the output cap, not by JSON escaping.
 *
 * @module
 */
import type { ExecOutcome, ExecResponse } from "./outcome.ts";

/** Room for everything but stdout/stderr (reasons and errors are bounded well below this). */
export const WIRE_META_BYTES = 64 * 1024;

/** Bytes needed for an outcome whose streams are capped at `maxOutputBytes` each. */
export function wireCapacity(maxOutputBytes: number): number {
  return 12 + WIRE_META_BYTES + 2 * maxOutputBytes;
}

type Meta =
  | { kind: "denied" | "invalid"; reason: string }
  | { kind: "ran"; response: Omit<ExecResponse, "stdout" | "stderr"> };

/** Encodes `outcome`. */
export function encodeOutcome(outcome: ExecOutcome): Uint8Array {
  let meta: Meta;
  let stdout: Uint8Array = new Uint8Array();
  let stderr: Uint8Array = new Uint8Array();
  if (outcome.kind === "ran") {
    const { stdout: out, stderr: err, ...rest } = outcome.response;
    meta = { kind: "ran", response: rest };
    stdout = out;
    stderr = err;
  } else {
    meta = { kind: outcome.kind, reason: outcome.reason.slice(0, 4096) };
  }
  const metaBytes = new TextEncoder().encode(JSON.stringify(meta));
  const bytes = new Uint8Array(12 + metaBytes.byteLength + stdout.byteLength + stderr.byteLength);
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (const part of [metaBytes, stdout, stderr]) {
    view.setUint32(at, part.byteLength, true);
    bytes.set(part, at + 4);
    at += 4 + part.byteLength;
  }
  return bytes;
}

/** Decodes what {@linkcode encodeOutcome} wrote (trusted: it comes from our own worker). */
export function decodeOutcome(bytes: Uint8Array): ExecOutcome {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; i < 3; i++) {
    const length = view.getUint32(at, true);
    parts.push(bytes.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  const meta = JSON.parse(new TextDecoder().decode(parts[0])) as Meta;
  if (meta.kind !== "ran") return meta;
  return { kind: "ran", response: { ...meta.response, stdout: parts[1], stderr: parts[2] } };
}
