import { test } from "uvu";
import * as assert from "uvu/assert";
import { canonicalJson } from "../../lib/audit/canonical_json.ts";
import type { JsonValue } from "../../lib/audit/canonical_json.ts";

test("canonicalJson() sorts keys at every depth and writes no whitespace", () => {
  assert.is(canonicalJson({ b: 1, a: { d: [3, { z: null, y: true }], c: "x" } }), '{"a":{"c":"x","d":[3,{"y":true,"z":null}]},"b":1}');
});

test("canonicalJson() is stable under parse and re-serialize", () => {
  const value = { "é": "line\nbreak \u2028 \"quoted\"", n: -0.1, big: 2 ** 60, list: [1e-7, 1e21] };
  const text = canonicalJson(value);
  assert.is(canonicalJson(JSON.parse(text)), text);
});

test("canonicalJson() refuses values JSON cannot carry exactly", () => {
  assert.throws(() => canonicalJson(Number.NaN), (e: unknown) => e instanceof TypeError);
  assert.throws(() => canonicalJson({ a: Infinity }), (e: unknown) => e instanceof TypeError);
  assert.throws(() => canonicalJson({ a: undefined } as unknown as JsonValue), (e: unknown) => e instanceof TypeError);
  assert.throws(() => canonicalJson(1n as unknown as JsonValue), (e: unknown) => e instanceof TypeError);
});

test.run();
