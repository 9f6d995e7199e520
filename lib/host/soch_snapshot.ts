/**
 * The JSON form of a soch store (the CLI's `--soch FILE.json`):
 *
 * ```json
 * {
 *   "dimension": 3,
 *   "values": { "greeting": "hello", "blob": { "base64": "AAEC/w==" } },
 *   "vectors": { "doc:1": [0.1, 0.2, 0.3] }
 * }
 * ```
 *
 * A value is a string (stored as its UTF-8 bytes) or `{ "base64": "…" }`
 * (standard alphabet, padded) for bytes that are not UTF-8 text. Every part
 * is optional; unknown fields are refused so typos do not pass silently.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";

/** A value in the JSON form. */
export type SochJsonValue = string | { base64: string };

/** The JSON form of a soch store. */
export interface SochSnapshot {
  dimension?: number;
  values?: Record<string, SochJsonValue>;
  vectors?: Record<string, number[]>;
}

/** The decoded contents, in file order. */
export interface DecodedSochSnapshot {
  dimension: number | undefined;
  values: Array<[string, Uint8Array]>;
  vectors: Array<[string, number[]]>;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

function invalid(message: string): never {
  throw new SandboxError("InvalidArgument", `soch data: ${message}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Strict base64: the standard alphabet with padding, nothing else (no whitespace, no URL alphabet). */
export function decodeBase64(text: string): Uint8Array {
  if (!BASE64.test(text)) throw new SandboxError("InvalidArgument", "not strict base64 (standard alphabet, padded)");
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Standard padded base64 of `bytes`. */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.byteLength; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

function decodeValue(key: string, value: unknown): Uint8Array {
  if (typeof value === "string") return encoder.encode(value);
  if (isPlainObject(value) && Object.keys(value).length === 1 && typeof value.base64 === "string") {
    try {
      return decodeBase64(value.base64);
    } catch {
      invalid(`values[${JSON.stringify(key)}].base64 is not strict base64`);
    }
  }
  invalid(`values[${JSON.stringify(key)}] must be a string or { "base64": "..." }`);
}

/** Checks and decodes the JSON form. Structural problems are `InvalidArgument` naming the bad part. */
export function decodeSochSnapshot(data: unknown): DecodedSochSnapshot {
  if (!isPlainObject(data)) invalid("the top level must be an object");
  for (const field of Object.keys(data)) {
    if (field !== "dimension" && field !== "values" && field !== "vectors") invalid(`unknown field ${JSON.stringify(field)}`);
  }
  const { dimension, values = {}, vectors = {} } = data;
  if (dimension !== undefined && (typeof dimension !== "number" || !Number.isSafeInteger(dimension) || dimension < 1)) {
    invalid("dimension must be a positive integer");
  }
  if (!isPlainObject(values)) invalid("values must be an object of key → value");
  if (!isPlainObject(vectors)) invalid("vectors must be an object of key → array of numbers");
  const decoded: DecodedSochSnapshot = { dimension: dimension as number | undefined, values: [], vectors: [] };
  for (const key of Object.keys(values)) decoded.values.push([key, decodeValue(key, values[key])]);
  for (const key of Object.keys(vectors)) {
    const vector = vectors[key];
    if (!Array.isArray(vector) || !vector.every((x) => typeof x === "number")) {
      invalid(`vectors[${JSON.stringify(key)}] must be an array of numbers`);
    }
    decoded.vectors.push([key, vector as number[]]);
  }
  return decoded;
}

/** The JSON form of a store: values that are UTF-8 text as strings, other bytes as base64. */
export function encodeSochSnapshot(store: {
  dimension: number | undefined;
  values: ReadonlyMap<string, Uint8Array>;
  vectors: ReadonlyMap<string, Float32Array>;
}): SochSnapshot {
  const values: Record<string, SochJsonValue> = {};
  for (const [key, bytes] of store.values) {
    let text: string | undefined;
    try {
      text = strictUtf8.decode(bytes);
    } catch {
      text = undefined;
    }
    // A leading BOM would be eaten by decode(), so such bytes go as base64 to round-trip exactly.
    Object.defineProperty(values, key, {
      value: text !== undefined && encoder.encode(text).byteLength === bytes.byteLength ? text : { base64: encodeBase64(bytes) },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  const vectors: Record<string, number[]> = {};
  for (const [key, vector] of store.vectors) {
    Object.defineProperty(vectors, key, { value: Array.from(vector), enumerable: true, writable: true, configurable: true });
  }
  return {
    ...(store.dimension !== undefined ? { dimension: store.dimension } : {}),
    values,
    vectors,
  };
}
