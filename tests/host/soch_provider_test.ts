import { test } from "uvu";
import * as assert from "uvu/assert";
import { DefaultHostContextProvider } from "../../lib/host/soch_provider.ts";
import { SochProviderError } from "../../lib/host/soch_namespace.ts";
import type { HostContextProvider } from "../../lib/host/soch_namespace.ts";
import { decodeSochKey, validateSochKey } from "../../lib/host/soch_keys.ts";
import { decodeBase64, encodeBase64 } from "../../lib/host/soch_snapshot.ts";
import { AbiCode } from "../../lib/host/abi_codes.ts";
import { SandboxError } from "../../lib/errors.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

function abiCodeOf(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    assert.instance(err, SochProviderError);
    return (err as SochProviderError).abiCode;
  }
  throw new Error("expected a SochProviderError");
}

function throwsInvalid(fn: () => unknown, message?: string): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, SandboxError);
    assert.is((err as SandboxError).code, "InvalidArgument");
    if (message) assert.match((err as Error).message, message);
    return;
  }
  throw new Error("expected InvalidArgument");
}

test("write() then read() round-trips copies, not shared buffers", () => {
  const soch: HostContextProvider = new DefaultHostContextProvider();
  const value = bytes("hello");
  soch.write("k", value);
  value[0] = 0;
  const read = soch.read("k")!;
  assert.equal(read, bytes("hello"));
  read[0] = 0;
  assert.equal(soch.read("k"), bytes("hello"));
  assert.is(soch.read("absent"), undefined);
});

test("keys: empty and lone surrogates are INVALID_ARGUMENT, oversized is LIMIT_EXCEEDED", () => {
  const soch = new DefaultHostContextProvider({ limits: { maxKeyBytes: 8 } });
  assert.is(abiCodeOf(() => soch.write("", bytes("x"))), AbiCode.INVALID_ARGUMENT);
  assert.is(abiCodeOf(() => soch.read("a\ud800b")), AbiCode.INVALID_ARGUMENT);
  assert.is(abiCodeOf(() => soch.write("\udc00", bytes("x"))), AbiCode.INVALID_ARGUMENT);
  assert.is(abiCodeOf(() => soch.write("123456789", bytes("x"))), AbiCode.LIMIT_EXCEEDED);
  // 3 × 3-byte characters = 9 UTF-8 bytes although only 3 UTF-16 units.
  assert.is(abiCodeOf(() => soch.write("€€€", bytes("x"))), AbiCode.LIMIT_EXCEEDED);
  soch.write("🎉€", bytes("ok")); // 4 + 3 bytes: a valid pair is fine
  assert.equal(soch.read("🎉€"), bytes("ok"));
});

test("decodeSochKey() refuses invalid UTF-8, overlong forms and empty keys", () => {
  assert.is(decodeSochKey(bytes("user/1")), "user/1");
  assert.is(abiCodeOf(() => decodeSochKey(new Uint8Array([0xff]))), AbiCode.INVALID_ARGUMENT);
  assert.is(abiCodeOf(() => decodeSochKey(new Uint8Array([0xc0, 0xaf]))), AbiCode.INVALID_ARGUMENT);
  assert.is(abiCodeOf(() => decodeSochKey(new Uint8Array([0xed, 0xa0, 0x80]))), AbiCode.INVALID_ARGUMENT);
  assert.is(abiCodeOf(() => decodeSochKey(new Uint8Array(0))), AbiCode.INVALID_ARGUMENT);
  assert.is(abiCodeOf(() => decodeSochKey(new Uint8Array(2000))), AbiCode.LIMIT_EXCEEDED);
  assert.is(validateSochKey("é"), 2);
});

test("values: size, count and total-bytes limits are LIMIT_EXCEEDED and leave the store unchanged", () => {
  const soch = new DefaultHostContextProvider({ limits: { maxValueBytes: 4, maxEntries: 2, maxTotalValueBytes: 6 } });
  assert.is(abiCodeOf(() => soch.write("a", new Uint8Array(5))), AbiCode.LIMIT_EXCEEDED);
  soch.write("a", new Uint8Array(4));
  soch.write("b", new Uint8Array(2));
  assert.is(abiCodeOf(() => soch.write("c", new Uint8Array(1))), AbiCode.LIMIT_EXCEEDED);
  assert.is(abiCodeOf(() => soch.write("b", new Uint8Array(3))), AbiCode.LIMIT_EXCEEDED);
  soch.write("b", new Uint8Array(1)); // replacing frees the old bytes
  soch.delete("a");
  soch.write("c", new Uint8Array(4));
  assert.is(soch.size, 2);
  assert.is(abiCodeOf(() => soch.write("d", "text" as unknown as Uint8Array)), AbiCode.INVALID_ARGUMENT);
});

test("vectorSearch() ranks by cosine similarity, best first, at most k", () => {
  const soch = new DefaultHostContextProvider();
  soch.upsertVector("x", new Float32Array([1, 0, 0]));
  soch.upsertVector("y", [0, 2, 0]);
  soch.upsertVector("xy", [3, 3, 0]);
  soch.upsertVector("minus-x", [-5, 0, 0]);
  const hits = soch.vectorSearch(new Float32Array([10, 1, 0]), 3);
  assert.equal(hits.map((h) => h.key), ["x", "xy", "y"]);
  assert.ok(Math.abs(hits[0].score - 10 / Math.sqrt(101)) < 1e-6);
  assert.ok(Math.abs(hits[1].score - 11 / Math.sqrt(202)) < 1e-6);
  const all = soch.vectorSearch(new Float32Array([1, 0, 0]), 10);
  assert.is(all.length, 4);
  assert.is(all[3].key, "minus-x");
  assert.ok(Math.abs(all[3].score + 1) < 1e-6);
  assert.ok(all.every((h) => h.score <= 1 && h.score >= -1));
});

test("vectorSearch() breaks ties by key and honours a filter", () => {
  const soch = new DefaultHostContextProvider();
  for (const key of ["b", "a", "c", "other/a"]) soch.upsertVector(key, [1, 1]);
  assert.equal(soch.vectorSearch(new Float32Array([1, 1]), 2).map((h) => h.key), ["a", "b"]);
  assert.equal(
    soch.vectorSearch(new Float32Array([1, 1]), 5, (key) => key.startsWith("other/")).map((h) => h.key),
    ["other/a"],
  );
});

test("vectorSearch() agrees with a full sort on a random store", () => {
  const soch = new DefaultHostContextProvider();
  const dim = 16;
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1;
  const vectors = new Map<string, number[]>();
  for (let i = 0; i < 2000; i++) {
    const v = Array.from({ length: dim }, random);
    vectors.set(`k${i}`, v);
    soch.upsertVector(`k${i}`, v);
  }
  const query = new Float32Array(Array.from({ length: dim }, random));
  const cosine = (v: number[]) => {
    let dot = 0, nq = 0, nv = 0;
    for (let i = 0; i < dim; i++) {
      dot += query[i] * v[i];
      nq += query[i] ** 2;
      nv += v[i] ** 2;
    }
    return dot / Math.sqrt(nq * nv);
  };
  const expected = [...vectors].map(([key, v]) => ({ key, score: cosine(v) })).sort((a, b) => b.score - a.score).slice(0, 25);
  const hits = soch.vectorSearch(query, 25);
  assert.equal(hits.map((h) => h.key), expected.map((h) => h.key));
  hits.forEach((h, i) => assert.ok(Math.abs(h.score - expected[i].score) < 1e-5));
});

test("vectors: dimension mismatch, NaN, infinity, zero vectors and bad k are refused with stable codes", () => {
  const soch = new DefaultHostContextProvider({ limits: { maxResults: 10, maxDimensions: 4, maxVectors: 2 } });
  assert.equal(soch.vectorSearch(new Float32Array([1, 0]), 3), [], "an empty store finds nothing");
  soch.upsertVector("a", [1, 0]);
  assert.is(soch.dimension, 2);
  assert.is(abiCodeOf(() => soch.upsertVector("b", [1, 0, 0])), AbiCode.INVALID_ARGUMENT);
  assert.is(abiCodeOf(() => soch.upsertVector("b", [Number.NaN, 0])), AbiCode.INVALID_ARGUMENT);
  assert.is(abiCodeOf(() => soch.upsertVector("b", [Infinity, 0])), AbiCode.INVALID_ARGUMENT);
  assert.is(abiCodeOf(() => soch.upsertVector("b", [0, 0])), AbiCode.INVALID_ARGUMENT);
  assert.is(abiCodeOf(() => soch.upsertVector("b", [1e200, 1e200])), AbiCode.INVALID_ARGUMENT);
  assert.is(abiCodeOf(() => soch.upsertVector("b", [])), AbiCode.INVALID_ARGUMENT);
  assert.is(abiCodeOf(() => soch.upsertVector("b", [1, 2, 3, 4, 5])), AbiCode.LIMIT_EXCEEDED);
  assert.is(abiCodeOf(() => soch.vectorSearch(new Float32Array([1, 0, 0]), 1)), AbiCode.INVALID_ARGUMENT);
  assert.is(abiCodeOf(() => soch.vectorSearch(new Float32Array([0, 0]), 1)), AbiCode.INVALID_ARGUMENT);
  assert.is(abiCodeOf(() => soch.vectorSearch(new Float32Array([Number.NaN, 1]), 1)), AbiCode.INVALID_ARGUMENT);
  assert.is(abiCodeOf(() => soch.vectorSearch(new Float32Array([1, 0]), 0)), AbiCode.INVALID_ARGUMENT);
  assert.is(abiCodeOf(() => soch.vectorSearch(new Float32Array([1, 0]), -3)), AbiCode.INVALID_ARGUMENT);
  assert.is(abiCodeOf(() => soch.vectorSearch(new Float32Array([1, 0]), 1.5)), AbiCode.INVALID_ARGUMENT);
  assert.is(abiCodeOf(() => soch.vectorSearch(new Float32Array([1, 0]), 11)), AbiCode.LIMIT_EXCEEDED);
  assert.is(abiCodeOf(() => soch.vectorSearch(new Float32Array([1, 0]), 2 ** 40)), AbiCode.LIMIT_EXCEEDED);
  soch.upsertVector("b", [0, 1]);
  assert.is(abiCodeOf(() => soch.upsertVector("c", [1, 1])), AbiCode.LIMIT_EXCEEDED);
  soch.upsertVector("a", [0, -1]); // replacing does not count against maxVectors
  assert.is(soch.vectorSearch(new Float32Array([0, 1]), 1)[0].key, "b");
});

test("delete() removes value and vector; the remaining vectors still search correctly", () => {
  const soch = new DefaultHostContextProvider();
  for (let i = 0; i < 50; i++) soch.upsertVector(`v${i}`, [Math.cos(i / 10), Math.sin(i / 10)]);
  soch.write("v0", bytes("doc"));
  assert.ok(soch.delete("v0"));
  assert.ok(soch.delete("v25"));
  assert.not.ok(soch.delete("v25"));
  assert.is(soch.read("v0"), undefined);
  assert.is(soch.vectorCount, 48);
  const hits = soch.vectorSearch(new Float32Array([1, 0]), 2);
  assert.equal(hits.map((h) => h.key), ["v1", "v2"]);
  assert.equal(soch.vectorSearch(new Float32Array([Math.cos(4.9), Math.sin(4.9)]), 1)[0].key, "v49");
});

test("fromJSON() reads UTF-8 and base64 values and vectors; toJSON() round-trips", () => {
  const soch = DefaultHostContextProvider.fromJSON({
    values: { greeting: "héllo", blob: { base64: "AAEC/w==" }, __proto__: "own key" },
    vectors: { "doc:1": [1, 0, 0], "doc:2": [0, 3, 4] },
  });
  assert.equal(soch.read("greeting"), bytes("héllo"));
  assert.equal(soch.read("blob"), new Uint8Array([0, 1, 2, 255]));
  assert.is(soch.read("__proto__"), undefined, "an object literal __proto__ is a prototype, not a key");
  const parsed = JSON.parse('{"values":{"__proto__":"own key","bom":{"base64":"77u/eA=="}}}');
  const fromText = DefaultHostContextProvider.fromJSON(parsed);
  assert.equal(fromText.read("__proto__"), bytes("own key"));
  const again = DefaultHostContextProvider.fromJSON(JSON.parse(JSON.stringify(fromText.toJSON())));
  assert.equal(again.read("__proto__"), bytes("own key"));
  assert.equal(again.read("bom"), new Uint8Array([0xef, 0xbb, 0xbf, 0x78]));

  const json = soch.toJSON();
  assert.is(json.dimension, 3);
  assert.equal(json.values!.blob, { base64: "AAEC/w==" });
  assert.is(json.values!.greeting, "héllo");
  assert.equal(json.vectors!["doc:2"].map((x) => Math.round(x * 1000) / 1000), [0, 0.6, 0.8]);
  const copy = DefaultHostContextProvider.fromJSON(JSON.parse(JSON.stringify(json)));
  assert.equal(copy.vectorSearch(new Float32Array([0, 1, 1]), 2), soch.vectorSearch(new Float32Array([0, 1, 1]), 2));
});

test("fromJSON() refuses malformed data with InvalidArgument naming the part", () => {
  throwsInvalid(() => DefaultHostContextProvider.fromJSON(null), "top level");
  throwsInvalid(() => DefaultHostContextProvider.fromJSON([]), "top level");
  throwsInvalid(() => DefaultHostContextProvider.fromJSON({ valeus: {} }), "unknown field");
  throwsInvalid(() => DefaultHostContextProvider.fromJSON({ values: { a: 1 } }), 'values["a"]');
  throwsInvalid(() => DefaultHostContextProvider.fromJSON({ values: { a: { base64: "A A=" } } }), "base64");
  throwsInvalid(() => DefaultHostContextProvider.fromJSON({ values: { a: { base64: "AA", extra: 1 } } }));
  throwsInvalid(() => DefaultHostContextProvider.fromJSON({ vectors: { a: [1, "2"] } }), 'vectors["a"]');
  throwsInvalid(() => DefaultHostContextProvider.fromJSON({ vectors: { a: [1, 0], b: [1, 0, 0] } }), 'vectors["b"]');
  throwsInvalid(() => DefaultHostContextProvider.fromJSON({ vectors: { a: [0, 0] } }), "direction");
  throwsInvalid(() => DefaultHostContextProvider.fromJSON({ dimension: 0 }), "dimension");
  throwsInvalid(() => DefaultHostContextProvider.fromJSON({ values: { "": "x" } }), "empty");
  throwsInvalid(() => DefaultHostContextProvider.fromJSON({ values: { a: "x" } }, { limits: { maxValueBytes: 0 } }));
});

test("base64 helpers are strict and round-trip every byte", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.equal(decodeBase64(encodeBase64(all)), all);
  assert.equal(decodeBase64(""), new Uint8Array(0));
  for (const bad of ["A", "AA", "AA=", "AAA", "A===", "AA==AA==", "AA-_", "AA\n==", " AAA"]) {
    assert.throws(() => decodeBase64(bad), (e: unknown) => e instanceof SandboxError, bad);
  }
});

test.run();
