/**
 * Encodes the messages an isolation worker sends the host as bytes: JSON
 * for the structure, with bigints, non-finite numbers, `-0` and byte arrays
 * (stored after the JSON, not inlined) tagged so they survive the trip.
 *
 * Layout: u32 JSON length, JSON (UTF-8), then the byte arrays back to back;
 * the JSON refers to each by offset and length.
 *
 * @module
 */
import { concatBytes } from "../memory/concat_bytes.ts";

type Tagged = { $bigint: string } | { $number: string } | { $bytes: [number, number] };

/**
 * Encodes `value` (plain objects, arrays, strings, numbers, booleans, null,
 * bigints, Uint8Arrays).
 *
 * @example
 * ```ts
 * const bytes = encodeMessage({ value: 1n, stdout: new Uint8Array([104, 105]) });
 * ```
 */
export function encodeMessage(value: unknown): Uint8Array {
  const blobs: Uint8Array[] = [];
  let blobBytes = 0;
  const json = JSON.stringify(value, (_key, v: unknown): unknown => {
    if (typeof v === "bigint") return { $bigint: v.toString() } satisfies Tagged;
    if (typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0))) return { $number: Object.is(v, -0) ? "-0" : String(v) } satisfies Tagged;
    if (v instanceof Uint8Array) {
      blobs.push(v);
      blobBytes += v.byteLength;
      return { $bytes: [blobBytes - v.byteLength, v.byteLength] } satisfies Tagged;
    }
    return v;
  }) ?? "null";
  const text = new TextEncoder().encode(json);
  // The length word first (filled in below), the JSON, then the byte arrays.
  const out = concatBytes([new Uint8Array(4), text, ...blobs]);
  new DataView(out.buffer).setUint32(0, text.byteLength, true);
  return out;
}

/**
 * Decodes what {@linkcode encodeMessage} produced.
 *
 * @throws {RangeError} when the bytes are not such a message.
 *
 * @example
 * ```ts
 * const message = decodeMessage(encodeMessage({ ok: true })) as { ok: boolean };
 * ```
 */
export function decodeMessage(bytes: Uint8Array): unknown {
  if (bytes.byteLength < 4) throw new RangeError("message too short");
  const textLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (4 + textLength > bytes.byteLength) throw new RangeError("message length out of range");
  const blobs = bytes.subarray(4 + textLength);
  const json = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(4, 4 + textLength));
  return JSON.parse(json, (_key, v: unknown): unknown => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const keys = Object.keys(v);
    if (keys.length !== 1) return v;
    const tagged = v as Partial<Record<"$bigint" | "$number", unknown>> & { $bytes?: unknown };
    if (typeof tagged.$bigint === "string") return BigInt(tagged.$bigint);
    if (typeof tagged.$number === "string") return tagged.$number === "-0" ? -0 : Number(tagged.$number);
    if (Array.isArray(tagged.$bytes)) {
      const [start, length] = tagged.$bytes as unknown[];
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(length) || (start as number) < 0 || (length as number) < 0 ||
        (start as number) + (length as number) > blobs.byteLength) {
        throw new RangeError("byte array out of range");
      }
      return blobs.slice(start as number, (start as number) + (length as number));
    }
    return v;
  });
}
