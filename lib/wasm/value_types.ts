/**
 * Value, reference, heap and function types of the binary format, read into
 * their text-format names. GC types (structs, arrays, `anyref`...) are refused
 * by name: the sandbox neither summarises nor rewrites GC modules.
 *
 * @module
 */
import { unsupportedFeature } from "./feature_error.ts";
import type { WasmReader } from "./reader.ts";

/**
 * A value type in text-format spelling: `"i32"`, `"i64"`, `"f32"`, `"f64"`,
 * `"v128"`, `"funcref"`, `"externref"`, `"exnref"`, or a typed reference such
 * as `"(ref func)"`, `"(ref null 3)"` (3 = a type index).
 */
export type ValType =
  | "i32"
  | "i64"
  | "f32"
  | "f64"
  | "v128"
  | "funcref"
  | "externref"
  | "exnref"
  | `(ref ${string})`;

/** A function signature. */
export interface FuncType {
  params: ValType[];
  results: ValType[];
}

/** Binary codes of the value types with a one-byte encoding. */
export const ValTypeCode = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
  funcref: 0x70,
  externref: 0x6f,
  exnref: 0x69,
  /** `(ref null ht)`, followed by a heap type. */
  refNull: 0x63,
  /** `(ref ht)`, followed by a heap type. */
  ref: 0x64,
} as const;

const SIMPLE: Record<number, ValType> = {
  0x7f: "i32",
  0x7e: "i64",
  0x7d: "f32",
  0x7c: "f64",
  0x7b: "v128",
  0x70: "funcref",
  0x6f: "externref",
  0x69: "exnref",
};

/** GC-only type codes (abstract heap types and shorthands, composite types). */
const GC_CODES = new Set([0x6e, 0x6d, 0x6c, 0x6b, 0x6a, 0x71, 0x72, 0x73, 0x74, 0x4e, 0x50, 0x4f, 0x5f, 0x5e]);

/** True for a byte that starts a value type (so a block type is a value type, not an index). */
export function isValTypeStart(byte: number): boolean {
  return SIMPLE[byte] !== undefined || byte === 0x63 || byte === 0x64 || GC_CODES.has(byte);
}

/** Reads a heap type: an abstract one (`func`, `extern`, `exn`) or a type index. */
export function readHeapType(reader: WasmReader): string {
  const start = reader.offset;
  const code = reader.readS33();
  if (code >= 0) return String(code);
  const byte = code & 0x7f;
  if (byte === 0x70) return "func";
  if (byte === 0x6f) return "extern";
  if (byte === 0x69) return "exn";
  if (GC_CODES.has(byte)) throw unsupportedFeature("GC heap types", start);
  if (byte === 0x65) throw unsupportedFeature("shared heap types", start);
  throw reader.error(`unknown heap type 0x${byte.toString(16)}`, start);
}

/** Reads one value type. */
export function readValType(reader: WasmReader): ValType {
  const start = reader.offset;
  const byte = reader.readU8();
  const simple = SIMPLE[byte];
  if (simple !== undefined) return simple;
  if (byte === 0x63) return `(ref null ${readHeapType(reader)})`;
  if (byte === 0x64) return `(ref ${readHeapType(reader)})`;
  if (GC_CODES.has(byte)) throw unsupportedFeature("GC reference types", start);
  throw reader.error(`unknown value type 0x${byte.toString(16)}`, start);
}

/** Reads a reference type (the element type of a table). */
export function readRefType(reader: WasmReader): ValType {
  const start = reader.offset;
  const type = readValType(reader);
  if (type === "funcref" || type === "externref" || type === "exnref" || type.startsWith("(ref")) return type;
  throw reader.error(`${type} is not a reference type`, start);
}

/** Reads a vector of value types (params, results, `select` annotations). */
export function readValTypes(reader: WasmReader): ValType[] {
  const count = reader.readCount(1);
  const types: ValType[] = [];
  for (let i = 0; i < count; i++) types.push(readValType(reader));
  return types;
}

/**
 * Reads one entry of the type section. Only plain function types (`0x60`)
 * are accepted; recursion groups and struct/array types belong to GC.
 */
export function readTypeEntry(reader: WasmReader): FuncType {
  const start = reader.offset;
  const form = reader.readU8();
  if (form === 0x60) {
    const params = readValTypes(reader);
    const results = readValTypes(reader);
    return { params, results };
  }
  if (GC_CODES.has(form)) throw unsupportedFeature("GC type definitions (rec/sub/struct/array)", start);
  throw reader.error(`unknown type form 0x${form.toString(16)}`, start);
}

/**
 * Encodes a value type (the inverse of {@linkcode readValType}), appending
 * its bytes to `out`.
 *
 * @example
 * ```ts
 * const bytes: number[] = [];
 * encodeValType("(ref null 3)", bytes); // bytes = [0x63, 0x03]
 * ```
 */
export function encodeValType(type: ValType, out: number[]): void {
  const simple = (ValTypeCode as Record<string, number>)[type];
  if (simple !== undefined) {
    out.push(simple);
    return;
  }
  const match = /^\(ref (null )?(func|extern|exn|\d+)\)$/.exec(type);
  if (match === null) throw new RangeError(`not an encodable value type: ${type}`);
  out.push(match[1] === undefined ? ValTypeCode.ref : ValTypeCode.refNull);
  const heap = match[2]!;
  if (heap === "func") out.push(0x70);
  else if (heap === "extern") out.push(0x6f);
  else if (heap === "exn") out.push(0x69);
  else {
    // A type index as a non-negative s33.
    let rest = Number(heap);
    for (;;) {
      const byte = rest % 128;
      rest = Math.floor(rest / 128);
      if (rest === 0 && (byte & 0x40) === 0) {
        out.push(byte);
        return;
      }
      out.push(byte | 0x80);
    }
  }
}
