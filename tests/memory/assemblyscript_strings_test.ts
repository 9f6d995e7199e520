// Differential test of the AssemblyScript string bridge: the same module is
// instantiated by the sandbox and by @assemblyscript/loader, and every string
// must read and write identically in both. Hostile pointers must fail as
// SandboxError InvalidArgument and leave the plugin usable.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { instantiate } from "@assemblyscript/loader";
import { SandboxError, WasmSandboxRuntime } from "../../mod.ts";
import type { PluginSandbox } from "../../mod.ts";
import { compileAssemblyScript } from "../_helpers/assemblyscript.ts";

const test = suite("AssemblyScript strings");

const SOURCE = `
const SAMPLES: string[] = ["", "plain ASCII", "h\\u00e9llo w\\u00f6rld", "\\u{1F600}\\u{1F680}", "\\uD800", "a\\uDC00b", "\\uDBFF"];

export function sampleCount(): i32 { return SAMPLES.length; }
export function sample(i: i32): string { return SAMPLES[i]; }
export function echo(s: string): string { return s; }
export function concat(a: string, b: string): string { return a + b; }
export function lengthOf(s: string): i32 { return s.length; }
export function repeatText(s: string, n: i32): string { return s.repeat(n); }

/** FNV-1a over UTF-16 code units: shows what the guest actually received. */
export function hashUnits(s: string): u32 {
  let h: u32 = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= <u32>s.charCodeAt(i);
    h *= 16777619;
  }
  return h;
}

let kept: ArrayBuffer = new ArrayBuffer(16);
/** A live object that is not a String (an ArrayBuffer, class id 1). */
export function bufferPointer(): usize { return changetype<usize>(kept); }
`;

/** The same FNV-1a in JS, over code units (lone surrogates included). */
function hashUnits(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h >>> 0;
}

interface LoaderExports {
  __getString(ptr: number): string;
  __newString(text: string): number;
  __pin(ptr: number): number;
  __unpin(ptr: number): void;
  memory: WebAssembly.Memory;
  sampleCount(): number;
  sample(i: number): number;
  echo(ptr: number): number;
  concat(a: number, b: number): number;
  lengthOf(ptr: number): number;
  repeatText(ptr: number, n: number): number;
  hashUnits(ptr: number): number;
}

interface Fixture {
  bytes: Uint8Array;
  /** The same bytes instantiated by @assemblyscript/loader. */
  reference: LoaderExports;
}

/**
 * The incremental runtime (a real GC, so pinning matters) with its helpers
 * exported for both hosts. Given both as asc flags and as named options, the
 * two forms the compile helper has taken, so either builds the same module.
 */
const COMPILE_OPTIONS = {
  flags: ["--runtime", "incremental", "--exportRuntime", "-O2"],
  runtime: "incremental",
  exportRuntime: true,
  optimizeLevel: 2,
} as Parameters<typeof compileAssemblyScript>[1];

let fixture: Promise<Fixture> | undefined;

/** Compiles on first use, so a compiler failure fails these tests instead of the whole test run. */
function setup(): Promise<Fixture> {
  fixture ??= (async () => {
    const bytes = await compileAssemblyScript(SOURCE, COMPILE_OPTIONS);
    const reference = (await instantiate(bytes as Uint8Array<ArrayBuffer>, {})).exports as unknown as LoaderExports;
    return { bytes, reference };
  })();
  return fixture;
}

const runtime = new WasmSandboxRuntime();
let loaded = 0;

/** A new sandboxed instance, and the shared loader instance to compare it with. */
async function fresh(): Promise<{ plugin: PluginSandbox; reference: LoaderExports }> {
  const { bytes, reference } = await setup();
  return { plugin: await runtime.loadPlugin(`strings-${loaded++}`, bytes), reference };
}

const asNumber = (value: unknown): number => {
  assert.type(value, "number");
  return value as number;
};

/** Just over 100 KiB of UTF-16 (51 202 code units) mixing ASCII, Latin-1 and surrogate pairs. */
const LARGE = "abc\u00e9\u{1F600}".repeat(51_200 / 6) + "tail";

const INPUTS: Array<[string, string]> = [
  ["empty", ""],
  ["ASCII", "The quick brown fox jumps over the lazy dog 0123456789 !\"#$%&'()*+,-./"],
  ["BMP non-ASCII", "\u00e9\u4e2d\u6587\u0416\u05d0\ufeff\uffff"],
  ["non-BMP (emoji)", "\u{1F600}\u{1F680}\u{10FFFF}\u{1F468}\u200D\u{1F469}"],
  ["lone high surrogate", "\uD800"],
  ["lone low surrogate between letters", "a\uDC00b"],
  ["reversed surrogate pair", "\uDC00\uD800"],
  ["embedded NUL", "a\u0000b\u0000"],
  ["100 KiB", LARGE],
];

/** Reads the String object at `ptr` as raw bytes: class id, byte size and payload. */
function rawObject(memory: Uint8Array, ptr: number): { id: number; size: number; payload: Uint8Array } {
  const view = new DataView(memory.buffer, memory.byteOffset, memory.byteLength);
  const id = view.getUint32(ptr - 8, true);
  const size = view.getUint32(ptr - 4, true);
  return { id, size, payload: memory.slice(ptr, ptr + size) };
}

test("strings returned by the guest read the same as the loader's __getString()", async () => {
  const { plugin, reference } = await fresh();
  const count = asNumber(plugin.callSync("sampleCount"));
  assert.is(count, reference.sampleCount());
  assert.ok(count >= 7);
  for (let i = 0; i < count; i++) {
    const ours = plugin.memory.readAssemblyScriptString(asNumber(plugin.callSync("sample", i)));
    const theirs = reference.__getString(reference.sample(i));
    assert.is(ours, theirs, `sample ${i}`);
  }
  // The literals, including the lone surrogate, survive exactly.
  assert.is(plugin.memory.readAssemblyScriptString(asNumber(plugin.callSync("sample", 3))), "\u{1F600}\u{1F680}");
  assert.is(plugin.memory.readAssemblyScriptString(asNumber(plugin.callSync("sample", 4))), "\uD800");
});

for (const [name, text] of INPUTS) {
  test(`a JS string passed in arrives like the loader's __newString(): ${name}`, async () => {
    const { plugin, reference } = await fresh();
    const theirsPtr = reference.__pin(reference.__newString(text));
    try {
      // What the guest sees: length and every code unit (hashed).
      assert.is(await plugin.call("lengthOf", text), text.length);
      assert.is(reference.lengthOf(theirsPtr), text.length);
      // u32 results come back from the JS API as signed i32.
      assert.is(asNumber(await plugin.call("hashUnits", text)) >>> 0, hashUnits(text));
      assert.is(reference.hashUnits(theirsPtr) >>> 0, hashUnits(text));

      // Round trip through the guest, read back on each side.
      const oursPtr = asNumber(await plugin.call("echo", text));
      assert.is(plugin.memory.readAssemblyScriptString(oursPtr), text);
      assert.is(reference.__getString(reference.echo(theirsPtr)), text);

      // The object written by the sandbox is byte-identical to the loader's.
      const ours = rawObject(plugin.memory.read(0, plugin.memory.byteLength), oursPtr);
      const theirs = rawObject(new Uint8Array(reference.memory.buffer), theirsPtr);
      assert.is(ours.id, theirs.id);
      assert.is(ours.size, theirs.size);
      assert.equal(ours.payload, theirs.payload);
    } finally {
      reference.__unpin(theirsPtr);
    }
  });
}

test("two strings in one call, and a large string built by the guest", async () => {
  const { plugin, reference } = await fresh();
  const joined = asNumber(plugin.callSync("concat", "\u{1F600}", "\uD800 tail"));
  assert.is(plugin.memory.readAssemblyScriptString(joined), "\u{1F600}\uD800 tail");

  const unit = "ab\u{1F680}";
  const times = 25_600; // 4 code units each: 200 KiB of payload
  const oursPtr = asNumber(plugin.callSync("repeatText", unit, times));
  const ours = plugin.memory.readAssemblyScriptString(oursPtr);
  const a = reference.__pin(reference.__newString(unit));
  try {
    assert.is(ours, reference.__getString(reference.repeatText(a, times)));
  } finally {
    reference.__unpin(a);
  }
  assert.is(ours.length, unit.length * times);
  assert.is(ours, unit.repeat(times));
});

function assertInvalidArgument(fn: () => unknown, what: string): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, SandboxError, what);
    assert.is((err as SandboxError).code, "InvalidArgument", what);
    return;
  }
  assert.unreachable(`${what}: expected InvalidArgument`);
}

test("hostile pointers give InvalidArgument, and the plugin stays usable", async () => {
  const { plugin } = await fresh();
  const memory = plugin.memory;
  const end = memory.byteLength;
  assertInvalidArgument(() => memory.readAssemblyScriptString(0), "null pointer");
  assertInvalidArgument(() => memory.readAssemblyScriptString(4), "pointer inside the header area");
  assertInvalidArgument(() => memory.readAssemblyScriptString(end), "pointer at the end");
  assertInvalidArgument(() => memory.readAssemblyScriptString(end + 4096), "pointer past the end");
  assertInvalidArgument(() => memory.readAssemblyScriptString(0xffff_fff8), "pointer near 2^32");
  assertInvalidArgument(() => memory.readAssemblyScriptString(-1), "negative pointer");
  assertInvalidArgument(() => memory.readAssemblyScriptString(asNumber(plugin.callSync("bufferPointer"))), "an ArrayBuffer");

  // A forged String header: odd size, then a size running past the end of memory.
  const forged = end - 64;
  const header = new Uint8Array(8);
  const view = new DataView(header.buffer);
  view.setUint32(0, 2, true);
  view.setUint32(4, 7, true);
  memory.write(forged - 8, header);
  assertInvalidArgument(() => memory.readAssemblyScriptString(forged), "odd byte size");
  view.setUint32(4, 128, true);
  memory.write(forged - 8, header);
  assertInvalidArgument(() => memory.readAssemblyScriptString(forged), "size past the end of memory");
  view.setUint32(4, 0xffff_fffe, true);
  memory.write(forged - 8, header);
  assertInvalidArgument(() => memory.readAssemblyScriptString(forged), "size near 2^32");
  // The same header with a size that fits is read as exactly that many code units.
  view.setUint32(4, 4, true);
  memory.write(forged - 8, header);
  memory.write(forged, new Uint8Array([0x41, 0, 0x3d, 0xd8]));
  assert.is(memory.readAssemblyScriptString(forged), "A\uD83D");

  assert.is(plugin.state, "Ready");
  assert.is(plugin.memory.readAssemblyScriptString(asNumber(plugin.callSync("echo", "still fine"))), "still fine");
});

test.run();
