// Runs the AssemblyScript SDK and example plugins against a hand-written JS
// host implementing the ABI, without the real bridge: the out_cap /
// take_response protocol (including too-small buffers), error codes, and the
// WASI example's output.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AbiCode } from "../../lib/host/abi_codes.ts";
import { AS_STRING_ID, readAssemblyScriptString, writeUtf16 } from "../../lib/memory/assemblyscript_strings.ts";
import { compileAssemblyScript, compileGuestFile } from "../_helpers/assemblyscript.ts";
import { docIndexEmbedding } from "./_doc_index_embedding.ts";
import { FakeAbiHost } from "./_fake_abi_host.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const SCRATCH_CAP = 256; // guest/sdk/sandbox.ts

const PROBE = `
import { lastError, sochRead, sochReadString, sochWrite, takeResponse, SCRATCH_CAP } from "./sdk/index";

/** Reads "big" and writes it back under "copy": returns 0 or the ABI code. */
export function copyBig(): i32 {
  const value = sochRead("big");
  if (value === null) return lastError();
  return sochWrite("copy", value);
}

/** Reads "text" as a string and writes its length in UTF-16 units under "len". */
export function stringLength(): i32 {
  const value = sochReadString("text");
  if (value === null) return lastError();
  return value.length;
}

export function lastCode(): i32 {
  return lastError();
}

export function scratchCap(): i32 {
  return SCRATCH_CAP;
}

export function takeNothing(): i32 {
  const out = takeResponse(16);
  return out === null ? lastError() : out.byteLength;
}
`;

let probe: Promise<Uint8Array> | undefined;
const probeWasm = () => (probe ??= compileAssemblyScript(PROBE));

function bytesOfLength(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);
}

test("the SDK's scratch size is the one these tests assume", async () => {
  const host = new FakeAbiHost();
  const instance = await host.instantiate(await probeWasm());
  assert.is((instance.exports.scratchCap as () => number)(), SCRATCH_CAP);
});

test("a value that fits the scratch buffer is read in one call, without take_response", async () => {
  const host = new FakeAbiHost();
  const instance = await host.instantiate(await probeWasm());
  host.store.set("big", bytesOfLength(SCRATCH_CAP));
  assert.is((instance.exports.copyBig as () => number)(), 0);
  assert.equal(host.store.get("copy"), host.store.get("big"));
  assert.is(host.callsTo("soch_read").length, 1);
  assert.is(host.callsTo("take_response").length, 0);
});

test("a value larger than the buffer is parked and taken with exactly N bytes; the read runs once", async () => {
  const host = new FakeAbiHost();
  const instance = await host.instantiate(await probeWasm());
  for (const size of [SCRATCH_CAP + 1, 5000, 200_000]) {
    host.calls.length = 0;
    host.store.set("big", bytesOfLength(size));
    assert.is((instance.exports.copyBig as () => number)(), 0, `size ${size}`);
    assert.equal(host.store.get("copy"), host.store.get("big"));
    assert.is(host.callsTo("soch_read").length, 1, "the producing call never runs twice");
    const takes = host.callsTo("take_response");
    assert.is(takes.length, 1);
    assert.is(takes[0].args[1], size, "out_cap is exactly the announced size");
    assert.is(host.slot, undefined, "the slot is empty after the take");
  }
});

test("an empty value comes back as zero bytes, not an error", async () => {
  const host = new FakeAbiHost();
  const instance = await host.instantiate(await probeWasm());
  host.store.set("big", new Uint8Array(0));
  assert.is((instance.exports.copyBig as () => number)(), 0);
  assert.equal(host.store.get("copy"), new Uint8Array(0));
});

test("if the slot grew before the take, the SDK allocates the new size and takes again", async () => {
  const host = new FakeAbiHost();
  const instance = await host.instantiate(await probeWasm());
  host.store.set("big", bytesOfLength(1000));
  const larger = bytesOfLength(3000);
  let replaced = false;
  host.replaceSlotOnTake = () => (replaced ? undefined : (replaced = true, larger));
  assert.is((instance.exports.copyBig as () => number)(), 0);
  assert.equal(host.store.get("copy"), larger);
  assert.equal(host.callsTo("take_response").map((c) => c.args[1]), [1000, 3000]);
});

test("negative results become the SDK's error codes", async () => {
  const host = new FakeAbiHost();
  const instance = await host.instantiate(await probeWasm());
  const copyBig = instance.exports.copyBig as () => number;
  assert.is(copyBig(), AbiCode.NOT_FOUND);
  assert.is((instance.exports.lastCode as () => number)(), AbiCode.NOT_FOUND);
  for (const code of [AbiCode.PERMISSION_DENIED, AbiCode.INVALID_ARGUMENT, AbiCode.LIMIT_EXCEEDED, AbiCode.UNAVAILABLE]) {
    host.forced.set("soch_read", BigInt(code));
    assert.is(copyBig(), code);
  }
  host.forced.delete("soch_read");
  host.store.set("big", bytesOfLength(600));
  host.forced.set("take_response", BigInt(AbiCode.NO_RESPONSE));
  assert.is(copyBig(), AbiCode.NO_RESPONSE);
  host.forced.delete("take_response");
  host.forced.set("soch_write", BigInt(AbiCode.PERMISSION_DENIED));
  assert.is(copyBig(), AbiCode.PERMISSION_DENIED);
});

test("take_response with an empty slot reports NO_RESPONSE", async () => {
  const host = new FakeAbiHost();
  const instance = await host.instantiate(await probeWasm());
  assert.is((instance.exports.takeNothing as () => number)(), AbiCode.NO_RESPONSE);
});

test("a host that keeps announcing larger outputs is given up on, not looped on forever", async () => {
  const host = new FakeAbiHost();
  const instance = await host.instantiate(await probeWasm());
  host.store.set("big", bytesOfLength(300));
  let size = 300;
  host.replaceSlotOnTake = () => bytesOfLength((size *= 2));
  const result = (instance.exports.copyBig as () => number)();
  assert.is(result, AbiCode.INVALID_ARGUMENT);
  assert.is(host.callsTo("take_response").length, 4, "bounded retries");
});

test("UTF-8 values decode to strings, multi-byte characters included", async () => {
  const host = new FakeAbiHost();
  const instance = await host.instantiate(await probeWasm());
  const text = "héllo 🎉 ".repeat(40); // over 256 bytes: taken from the slot
  host.store.set("text", encoder.encode(text));
  assert.is((instance.exports.stringLength as () => number)(), text.length);
});

test("kv_counter increments a counter stored as decimal text and logs it", async () => {
  const host = new FakeAbiHost();
  const instance = await host.instantiate(await compileGuestFile("guest/examples/kv_counter.ts"));
  const increment = instance.exports.increment as () => bigint;
  assert.is(increment(), 1n);
  assert.is(increment(), 2n);
  assert.is(decoder.decode(host.store.get("counter")), "2");
  host.store.set("counter", encoder.encode("41"));
  assert.is(increment(), 42n);
  assert.equal(host.logs.at(-1), [2, "counter is now 42"]);
  host.forced.set("soch_read", BigInt(AbiCode.PERMISSION_DENIED));
  assert.is(increment(), BigInt(AbiCode.PERMISSION_DENIED));
  assert.equal(host.logs.at(-1), [3, "reading the counter failed: PERMISSION_DENIED"]);
  host.forced.delete("soch_read");
  host.forced.set("soch_write", BigInt(AbiCode.LIMIT_EXCEEDED));
  assert.is(increment(), BigInt(AbiCode.LIMIT_EXCEEDED));
  assert.is(decoder.decode(host.store.get("counter")), "42", "nothing written on failure");
});

test("vector_demo sends a little-endian f32 query and receives long JSON through the slot", async () => {
  const host = new FakeAbiHost();
  const instance = await host.instantiate(await compileGuestFile("guest/examples/vector_demo.ts"));
  let seen: { query: number[]; k: number } | undefined;
  const hits = Array.from({ length: 20 }, (_, i) => ({ key: `document/${i}`, score: 1 - i / 100 }));
  host.searchResult = (query, k) => {
    seen = { query: Array.from(query), k };
    return JSON.stringify(hits.slice(0, k));
  };
  const search = instance.exports.search as (x: number, y: number, z: number, k: number) => number;
  const size = search(0.5, -2, 1e-3, 20);
  assert.equal(seen, { query: [0.5, -2, Math.fround(1e-3)], k: 20 });
  const stored = decoder.decode(host.store.get("last_search"));
  assert.equal(JSON.parse(stored), hits);
  assert.is(size, encoder.encode(stored).byteLength);
  assert.ok(size > SCRATCH_CAP);
  assert.is(host.callsTo("vector_search").length, 1);
  host.forced.set("vector_search", BigInt(AbiCode.INVALID_ARGUMENT));
  assert.is(search(0, 0, 0, 1), AbiCode.INVALID_ARGUMENT);
  assert.equal(host.logs.at(-1), [3, "vector_search failed: INVALID_ARGUMENT"]);
});

test("exec_demo sends valid request JSON and stores the response", async () => {
  const host = new FakeAbiHost();
  const instance = await host.instantiate(await compileGuestFile("guest/examples/exec_demo.ts"));
  let request: unknown;
  const response = { exit_code: 0, stdout: "hello from the sandbox\n".repeat(20), stderr: "", duration_ms: 3, timed_out: false, truncated: false };
  host.execResult = (text) => {
    request = JSON.parse(text);
    return JSON.stringify(response);
  };
  const run = instance.exports.run as () => number;
  assert.ok(run() > SCRATCH_CAP);
  assert.equal(request, { command: "echo", args: ["hello from the sandbox"], timeout_ms: 1000 });
  assert.equal(JSON.parse(decoder.decode(host.store.get("exec_result"))), response);
  host.forced.set("sandbox_exec", BigInt(AbiCode.PERMISSION_DENIED));
  assert.is(run(), AbiCode.PERMISSION_DENIED);
});

test("hello_wasi prints through fd_write, completing partial writes", async () => {
  const flags = ["--exportStart", "_start", "--use", "abort=guest/examples/hello_wasi/abortToExit"];
  const wasm = await compileGuestFile("guest/examples/hello_wasi.ts", flags);
  for (const chunk of [Infinity, 5]) {
    const host = new FakeAbiHost();
    host.writeChunk = chunk;
    const instance = await host.instantiate(wasm);
    assert.equal(host.stdout, [], "nothing runs before _start");
    (instance.exports._start as () => void)();
    assert.is(host.stdout.join(""), "Hello from WASI!\n");
    assert.is(host.exitCode, undefined);
  }
});

// --- vectorPut and search hits ------------------------------------------------

const VECTOR_PROBE = `
import { lastError, sochWriteString, vectorPut, vectorSearchHits } from "./sdk/index";

/** Stores (x, y, z) under a non-ASCII key; returns the SDK's result. */
export function put(x: f32, y: f32, z: f32): i32 {
  const v = new Float32Array(3);
  v[0] = x;
  v[1] = y;
  v[2] = z;
  return vectorPut("docs/ünï", v);
}

export function lastCode(): i32 {
  return lastError();
}

/** Searches, then writes each parsed hit as key NUL score NUL under "parsed"; returns the count or the error. */
export function parse(k: i32): i32 {
  const query = new Float32Array(1);
  query[0] = 1;
  const hits = vectorSearchHits(query, k);
  if (hits === null) return lastError();
  let out = "";
  for (let i = 0; i < hits.length; i++) out += hits[i].key + "\0" + hits[i].score.toString() + "\0";
  sochWriteString("parsed", out);
  return hits.length;
}
`;

let vectorProbe: Promise<Uint8Array> | undefined;
const vectorProbeWasm = () => (vectorProbe ??= compileAssemblyScript(VECTOR_PROBE));

test("vectorPut sends the UTF-8 key and the little-endian f32 components; a refusal is its return and lastError()", async () => {
  const host = new FakeAbiHost();
  const instance = await host.instantiate(await vectorProbeWasm());
  const put = instance.exports.put as (x: number, y: number, z: number) => number;
  assert.is(put(0.5, -2, 1e-3), 0);
  assert.equal([...host.vectors], [["docs/ünï", new Float32Array([0.5, -2, 1e-3])]]);
  const [call] = host.callsTo("vector_put");
  assert.is(call.args[1], encoder.encode("docs/ünï").byteLength, "the key length is in UTF-8 bytes");
  assert.is(call.args[3], 3, "dim is the number of components");
  for (const code of [AbiCode.PERMISSION_DENIED, AbiCode.INVALID_ARGUMENT, AbiCode.LIMIT_EXCEEDED, AbiCode.UNAVAILABLE]) {
    host.forced.set("vector_put", BigInt(code));
    assert.is(put(1, 0, 0), code);
    assert.is((instance.exports.lastCode as () => number)(), code);
  }
  host.forced.delete("vector_put");
  assert.is(put(1, 0, 0), 0);
  assert.is((instance.exports.lastCode as () => number)(), 0, "a success clears lastError()");
});

test("vectorSearchHits reads the host's JSON: escapes, surrogate pairs, whitespace, number forms, long answers", async () => {
  const host = new FakeAbiHost();
  const instance = await host.instantiate(await vectorProbeWasm());
  const parse = instance.exports.parse as (k: number) => number;
  const hits = [
    { key: "plain", score: 1 },
    { key: "quote \" backslash \\ slash / tab \t newline \n", score: 0.9999999403953552 },
    { key: "ünïcödé 🎉 \u0001 \u2028", score: -0.5 },
    { key: "docs/" + "x".repeat(300), score: 1e-7 },
    { key: "zero", score: 0 },
    { key: "minus one", score: -1 },
  ];
  const cases: Array<[string, string]> = [
    ["JSON.stringify", JSON.stringify(hits)],
    ["spaced", JSON.stringify(hits, null, 2)],
    ["every character escaped", "[" + hits.map((h) => `{"score":${h.score},"key":"${h.key.split("").map((unit) => "\\u" + unit.charCodeAt(0).toString(16).padStart(4, "0")).join("")}"}`).join(",") + "]"],
    ["escaped slash and exponent forms", '[{"key":"a\\/b","score":1E-7},{"key":"c","score":-2.5e+0},{"key":"d","score":0.25}]'],
  ];
  for (const [label, json] of cases) {
    host.searchResult = () => json;
    const expected = JSON.parse(json) as Array<{ key: string; score: number }>;
    assert.is(parse(10), expected.length, label);
    const parts = decoder.decode(host.store.get("parsed")).split("\0").slice(0, -1);
    const parsed = [];
    for (let i = 0; i < parts.length; i += 2) parsed.push({ key: parts[i], score: Number(parts[i + 1]) });
    assert.equal(parsed, expected.map((h) => ({ key: h.key, score: h.score })), label);
  }
  host.searchResult = () => "[]";
  assert.is(parse(10), 0, "no hits");
});

test("vectorSearchHits refuses anything but a hit list with INVALID_ARGUMENT (-3), never a guess", async () => {
  const host = new FakeAbiHost();
  const instance = await host.instantiate(await vectorProbeWasm());
  const parse = instance.exports.parse as (k: number) => number;
  const bad = [
    "", " ", "[", "]", "{}", "null", '{"key":"a","score":1}', "[{}]", '[{"key":"a"}]', '[{"score":1}]',
    '[{"key":"a","score":1,"x":2}]', '[{"key":"a","key":"b","score":1}]', '[{"key":"a","score":1,"score":2}]',
    '[{"key":1,"score":1}]', '[{"key":"a","score":"1"}]', '[{"key":"a","score":01}]', '[{"key":"a","score":1.}]',
    '[{"key":"a","score":.5}]', '[{"key":"a","score":-}]', '[{"key":"a","score":1e}]', '[{"key":"a","score":+1}]',
    '[{"key":"a","score":NaN}]', '[{"key":"a","score":1},]', '[{"key":"a","score":1}] x', '[{"key":"a","score":1}][]',
    '[{"key":"a\\x","score":1}]', '[{"key":"a\\u12G4","score":1}]', '[{"key":"a\\u12","score":1}]',
    '[{"key":"a\nb","score":1}]', '[{"key":"unterminated,"score":1}]', '[{key:"a","score":1}]',
  ];
  for (const json of bad) {
    host.searchResult = () => json;
    host.store.delete("parsed");
    assert.is(parse(10), AbiCode.INVALID_ARGUMENT, JSON.stringify(json));
    assert.not.ok(host.store.has("parsed"), `${JSON.stringify(json)}: nothing was used`);
  }
});

// --- doc_index --------------------------------------------------------------------

/** An AssemblyScript string made in the guest with __new and pinned (so a later allocation cannot collect it). */
function guestString(instance: WebAssembly.Instance, host: FakeAbiHost, text: string): number {
  const ptr = (instance.exports.__new as (size: number, id: number) => number)(text.length * 2, AS_STRING_ID);
  writeUtf16(host.memory, ptr, text);
  return (instance.exports.__pin as (ptr: number) => number)(ptr);
}

test("doc_index: index() stores the text and the bag-of-words embedding the example documents", async () => {
  const host = new FakeAbiHost();
  const instance = await host.instantiate(await compileGuestFile("guest/examples/doc_index.ts", ["--exportRuntime"]));
  const index = instance.exports.index as (key: number, text: number) => number;
  const texts = ["Hello, hello WORLD!", "a1 b2-c3 ünï×code  mixedCASE", "x"];
  for (const [i, text] of texts.entries()) {
    assert.is(index(guestString(instance, host, `docs/${i}`), guestString(instance, host, text)), 0, text);
    assert.is(decoder.decode(host.store.get(`docs/${i}`)), text);
    assert.equal(host.vectors.get(`docs/${i}`), docIndexEmbedding(text), text);
  }
  assert.is(host.vectors.get("docs/0")!.reduce((a, b) => a + b), 3, "three words, two of them the same");
  host.calls.length = 0;
  assert.is(index(guestString(instance, host, "docs/empty"), guestString(instance, host, " ,;!? ")), AbiCode.INVALID_ARGUMENT);
  assert.equal(host.calls, [], "a text without words touches nothing");
  host.forced.set("soch_write", BigInt(AbiCode.PERMISSION_DENIED));
  assert.is(index(guestString(instance, host, "docs/3"), guestString(instance, host, "text")), AbiCode.PERMISSION_DENIED);
  assert.is(host.callsTo("vector_put").length, 0, "no vector for a text that was not stored");
});

test("doc_index: search() reads back each hit's text, long texts through take_response, missing ones as null", async () => {
  const host = new FakeAbiHost();
  const instance = await host.instantiate(await compileGuestFile("guest/examples/doc_index.ts", ["--exportRuntime"]));
  const search = instance.exports.search as (query: number, k: number) => number;
  const long = "a long document ".repeat(40);
  host.store.set("docs/long", encoder.encode(long));
  host.store.set("docs/short", encoder.encode("short \"quoted\" text"));
  let query: Float32Array | undefined;
  host.searchResult = (q) => {
    query = q;
    return JSON.stringify([{ key: "docs/long", score: 0.75 }, { key: "docs/short", score: 0.5 }, { key: "vector/only", score: 0.25 }]);
  };
  const ptr = search(guestString(instance, host, "long document"), 3);
  assert.equal(query, docIndexEmbedding("long document"));
  assert.equal(JSON.parse(readAssemblyScriptString(host.memory, ptr)), [
    { key: "docs/long", score: 0.75, text: long },
    { key: "docs/short", score: 0.5, text: "short \"quoted\" text" },
    { key: "vector/only", score: 0.25, text: null },
  ]);
  assert.is(host.callsTo("take_response").length, 1, "the long text did not fit the scratch buffer");
  const lastErrorCode = instance.exports.lastErrorCode as () => number;
  host.forced.set("soch_read", BigInt(AbiCode.PERMISSION_DENIED));
  assert.is(search(guestString(instance, host, "long"), 3), 0, "null");
  assert.is(lastErrorCode(), AbiCode.PERMISSION_DENIED, "a refused read fails the search instead of passing as a missing text");
  host.forced.delete("soch_read");
  assert.is(search(guestString(instance, host, "..."), 3), 0);
  assert.is(lastErrorCode(), AbiCode.INVALID_ARGUMENT, "a query without words");
});

test.run();
