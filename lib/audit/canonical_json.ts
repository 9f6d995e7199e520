/**
 * Canonical JSON: the byte-exact text the audit hash chain is computed over.
 * Object keys sorted by UTF-16 code units, no whitespace, strings and numbers
 * as `JSON.stringify` writes them. Parsing a canonical text and writing it
 * again gives the same text, which is what lets a verifier recompute hashes
 * from a parsed line.
 *
 * @module
 */

/** A JSON value as `JSON.parse` returns it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * The canonical text of `value`. Throws `TypeError` for values JSON cannot
 * represent exactly (non-finite numbers, bigint, undefined, functions).
 *
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [true, null] }); // '{"a":[true,null],"b":1}'
 * ```
 */
export function canonicalJson(value: JsonValue): string {
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`${value} has no JSON form`);
      return JSON.stringify(value);
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
      const keys = Object.keys(value).sort();
      let text = "{";
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        const item = value[key];
        if (item === undefined) throw new TypeError(`property "${key}" is undefined`);
        text += `${i === 0 ? "" : ","}${JSON.stringify(key)}:${canonicalJson(item)}`;
      }
      return text + "}";
    }
    default:
      throw new TypeError(`a ${typeof value} has no JSON form`);
  }
}
