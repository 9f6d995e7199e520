// The module half of the fuzzer: valid base modules, mutations of their bytes
// (bit flips, byte insertions and deletions, section splicing, LEB128 edits),
// and one load-and-run of a mutant through the public runtime with fuel.
import { grant, isSandboxError, memoryTree, SandboxErrorCode, WasmSandboxRuntime } from "../../mod.ts";
import type { PluginSandbox } from "../../mod.ts";
import type { Rng } from "./prng.ts";
import { wat } from "./wat.ts";

/** Valid modules the mutations start from: a WASI command, an ABI user, and one using many core features. */
const BASE_SOURCES = [
  `(module
    (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1 4)
    (data (i32.const 16) "a.txt")
    (data (i32.const 32) "hello\\n")
    (func (export "_start") (local $i i32)
      (i32.store (i32.const 0) (i32.const 32)) (i32.store (i32.const 4) (i32.const 6))
      (loop $l
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (i32.const 3))))
      (drop (call $path_open (i32.const 3) (i32.const 1) (i32.const 16) (i32.const 5) (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 12)))
      (drop (call $fd_read (i32.load (i32.const 12)) (i32.const 0) (i32.const 1) (i32.const 8)))
      (call $exit (i32.const 7))))`,
  `(module
    (import "soch" "soch_read" (func $read (param i32 i32 i32 i32) (result i64)))
    (import "soch" "soch_write" (func $write (param i32 i32 i32 i32) (result i64)))
    (import "soch" "vector_search" (func $search (param i32 i32 i32 i32 i32) (result i64)))
    (import "sandbox" "take_response" (func $take (param i32 i32) (result i64)))
    (import "platform_sandbox" "log_message" (func $log (param i32 i32 i32)))
    (import "platform_sandbox" "get_timestamp" (func $ts (result i64)))
    (memory (export "memory") 1)
    (data (i32.const 0) "key")
    (data (i32.const 16) "\\00\\00\\80\\3f\\00\\00\\00\\00")
    (func (export "go") (result i64)
      (drop (call $write (i32.const 0) (i32.const 3) (i32.const 0) (i32.const 3)))
      (drop (call $read (i32.const 0) (i32.const 3) (i32.const 100) (i32.const 1)))
      (drop (call $take (i32.const 200) (i32.const 64)))
      (drop (call $search (i32.const 16) (i32.const 2) (i32.const 3) (i32.const 300) (i32.const 200)))
      (call $log (i32.const 2) (i32.const 0) (i32.const 3))
      (call $ts)))`,
  `(module
    (type $t (func (param i32) (result i32)))
    (memory (export "memory") 1 2)
    (table 4 funcref)
    (global $g (mut i32) (i32.const 0))
    (tag $e (param i32))
    (elem (i32.const 0) $sq $fact)
    (data (i32.const 0) "\\01\\02\\03\\04")
    (func $sq (type $t) (i32.mul (local.get 0) (local.get 0)))
    (func $fact (type $t)
      (if (result i32) (i32.le_s (local.get 0) (i32.const 1)) (then (i32.const 1))
        (else (i32.mul (local.get 0) (call_indirect (type $t) (i32.sub (local.get 0) (i32.const 1)) (i32.const 1))))))
    (func (export "mix") (result i32) (local $i i32)
      (block $out (loop $l
        (br_table $out $l $l (i32.and (local.get $i) (i32.const 3)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))))
      (try (result i32) (do (throw $e (i32.const 5))) (catch $e))
      (global.set $g)
      (memory.fill (i32.const 8) (i32.const 0) (i32.const 16))
      (drop (memory.grow (i32.const 1)))
      (i32.add (call_indirect (type $t) (i32.const 4) (i32.const 0)) (global.get $g)))
    (func (export "fact") (result i32) (call $fact (i32.const 6)))
    (start $start)
    (func $start (global.set $g (i32.const 1))))`,
];

/** Compiles the base modules once. */
export async function baseModules(): Promise<Uint8Array[]> {
  return await Promise.all(BASE_SOURCES.map((source) => wat(source)));
}

interface Section {
  start: number;
  end: number;
  id: number;
  /** Where the size LEB128 starts and ends. */
  sizeAt: number;
  payloadAt: number;
}

/** Reads an unsigned LEB128 at `at`; undefined when it runs off the end or past 5 bytes. */
function readLeb(bytes: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (at + i >= bytes.length) return undefined;
    const b = bytes[at + i]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return { value, next: at + i + 1 };
  }
  return undefined;
}

/** The sections of `bytes` (as far as they parse). */
function sections(bytes: Uint8Array): Section[] {
  const out: Section[] = [];
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at]!;
    const size = readLeb(bytes, at + 1);
    if (size === undefined || size.next + size.value > bytes.length) break;
    out.push({ start: at, end: size.next + size.value, id, sizeAt: at + 1, payloadAt: size.next });
    at = size.next + size.value;
  }
  return out;
}

/** An unsigned LEB128 encoding of `value`, padded to `width` bytes when given (overlong). */
function encodeLeb(value: number, width = 0): number[] {
  const out: number[] = [];
  let v = value;
  do {
    out.push(v % 128);
    v = Math.floor(v / 128);
  } while (v > 0);
  while (out.length < width) out.push(0);
  return out.map((b, i) => (i < out.length - 1 ? b | 0x80 : b));
}

const splice = (bytes: Uint8Array, at: number, remove: number, insert: ArrayLike<number>): Uint8Array => {
  const out = new Uint8Array(bytes.length - remove + insert.length);
  out.set(bytes.subarray(0, at));
  out.set(insert as ArrayLike<number>, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
};

/** Interesting values for a rewritten LEB128 (a section size or a vector count). */
function lebValue(rng: Rng, old: number): number {
  return rng.pick([old + 1, Math.max(0, old - 1), 0, 0x7f, 0x80, 0xffff, 0x7fff_ffff, 0xffff_ffff, rng.u32(), old * 2]);
}

type Mutation = (rng: Rng, bytes: Uint8Array, bases: Uint8Array[]) => [Uint8Array, string];

const MUTATIONS: Mutation[] = [
  (rng, bytes) => {
    const at = 8 + rng.int(bytes.length - 8);
    const bit = rng.int(8);
    const out = bytes.slice();
    out[at] = out[at]! ^ (1 << bit);
    return [out, `flip bit ${bit} at ${at}`];
  },
  (rng, bytes) => {
    const at = 8 + rng.int(bytes.length - 8);
    const value = rng.pick([0, 0x7f, 0x80, 0xff, rng.int(256)]);
    const out = bytes.slice();
    out[at] = value;
    return [out, `set byte ${at} to ${value}`];
  },
  (rng, bytes) => {
    const at = 8 + rng.int(bytes.length - 7);
    const insert = Array.from({ length: 1 + rng.int(4) }, () => rng.int(256));
    return [splice(bytes, at, 0, insert), `insert [${insert}] at ${at}`];
  },
  (rng, bytes) => {
    const at = 8 + rng.int(bytes.length - 8);
    const remove = Math.min(1 + rng.int(8), bytes.length - at);
    return [splice(bytes, at, remove, []), `delete ${remove} bytes at ${at}`];
  },
  (rng, bytes, bases) => {
    // Section splicing: a section of another module inserted, or replacing one of ours.
    const donor = sections(rng.pick(bases));
    const own = sections(bytes);
    if (donor.length === 0 || own.length === 0) return [bytes, "no sections to splice"];
    const source = rng.pick(bases);
    const piece = rng.pick(sections(source).length ? sections(source) : donor);
    const chunk = source.subarray(piece.start, piece.end);
    const target = rng.pick(own);
    if (rng.chance(0.5)) return [splice(bytes, target.start, target.end - target.start, chunk), `replace section ${target.id} with a section ${piece.id}`];
    const at = rng.chance(0.5) ? target.start : target.end;
    return [splice(bytes, at, 0, chunk), `insert a section ${piece.id} at ${at}`];
  },
  (rng, bytes) => {
    // LEB128 edits: a section size, or the first LEB of a payload (usually a vector count).
    const own = sections(bytes);
    if (own.length === 0) return [bytes, "no sections"];
    const section = rng.pick(own);
    const at = rng.chance(0.5) ? section.sizeAt : section.payloadAt;
    const old = readLeb(bytes, at);
    if (old === undefined) return [bytes, "no LEB"];
    const kind = rng.int(3);
    const value = kind === 1 ? old.value : lebValue(rng, old.value);
    // kind 1: the same value, overlong (5 bytes is legal, 6 is not).
    const encoded = kind === 1 ? encodeLeb(value, rng.pick([5, 6])) : encodeLeb(value);
    return [splice(bytes, at, old.next - at, encoded), `LEB at ${at}: ${old.value} -> ${value} as [${encoded}]`];
  },
];

/** A mutant of one base module: 1-4 mutations, each described. */
export function mutateModule(rng: Rng, bases: Uint8Array[]): { bytes: Uint8Array; steps: string[] } {
  const base = rng.int(bases.length);
  let bytes = bases[base]!;
  const steps = [`base ${base}`];
  const count = rng.chance(0.6) ? 1 : 2 + rng.int(3);
  for (let i = 0; i < count && bytes.length > 8; i++) {
    const [next, step] = rng.pick(MUTATIONS)(rng, bytes, bases);
    bytes = next;
    steps.push(step);
  }
  return { bytes, steps };
}

const KNOWN_CODES = new Set<string>(Object.values(SandboxErrorCode));

/** A runtime for mutants: small caps, fuel, deterministic clocks, quiet logs. */
export function fuzzRuntime(): WasmSandboxRuntime {
  return new WasmSandboxRuntime({
    fuel: 2_000_000n,
    maxMemoryPages: 32,
    maxTableElements: 10_000,
    maxStackDepth: 1000,
    deterministic: true,
    logger: () => {},
  });
}

/** Everything a mutant may ask for, except running commands. */
function capabilities() {
  return ["wasi:args", "wasi:env", "wasi:stdio", "wasi:clock", "wasi:random", "wasi:fs", "wasi:proc", "soch:read", "soch:write", "soch:vector_search", "sandbox:log", "sandbox:time"]
    .map((name) => grant(name));
}

/** Checks one outcome: a result, or a SandboxError with a known code. Returns a problem or undefined. */
function checkOutcome(err: unknown, what: string): string | undefined {
  if (isSandboxError(err) && KNOWN_CODES.has(err.code)) return undefined;
  return `${what} threw ${err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err)}`;
}

/**
 * Loads `bytes` through `runtime` and runs what it exports (`_start` through
 * run(), other functions with no arguments). Every failure must be a
 * SandboxError with a known code; the runtime must still run `control`
 * afterwards. Returns a problem description (undefined when all held) and
 * whether the mutant loaded at all.
 */
export async function runMutant(
  runtime: WasmSandboxRuntime,
  control: PluginSandbox,
  id: string,
  bytes: Uint8Array,
): Promise<{ problem?: string; loaded: boolean }> {
  const problem = await loadAndRun(runtime, id, bytes);
  const loaded = problem.loaded;
  if (problem.problem !== undefined) return problem;
  try {
    const value = control.callSync("one");
    if (value !== 1) return { problem: `the control plugin answered ${String(value)} afterwards`, loaded };
  } catch (err) {
    return { problem: `the control plugin failed afterwards: ${String(err)}`, loaded };
  }
  return { loaded };
}

async function loadAndRun(runtime: WasmSandboxRuntime, id: string, bytes: Uint8Array): Promise<{ problem?: string; loaded: boolean }> {
  let plugin: PluginSandbox;
  try {
    plugin = await runtime.loadPlugin(id, bytes, {
      capabilities: capabilities(),
      linkDeniedAsStubs: true,
      wasi: {
        preopens: [{ guestPath: "/d", dir: memoryTree({ "a.txt": "contents", sub: { "b.txt": "b" } }) }],
        stdin: new TextEncoder().encode("stdin"),
      },
      maxOutputBytes: 4096,
      fsQuotaBytes: 1 << 20,
    });
  } catch (err) {
    return { problem: checkOutcome(err, "loadPlugin"), loaded: false };
  }
  try {
    const info = plugin.info();
    const names = info.isCommand ? ["_start"] : info.exports.slice(0, 4);
    for (const name of names) {
      try {
        if (name === "_start") await plugin.run();
        else await plugin.call(name);
      } catch (err) {
        const problem = checkOutcome(err, name);
        if (problem !== undefined) return { problem, loaded: true };
        if (plugin.state !== "Trapped") continue;
        try {
          await plugin.reset(); // runs the start function again, which may fail the same way
        } catch (resetErr) {
          return { problem: checkOutcome(resetErr, "reset"), loaded: true };
        }
      }
    }
  } finally {
    runtime.unloadPlugin(id);
  }
  return { loaded: true };
}

/** The control plugin the runtime must keep serving. */
export async function loadControl(runtime: WasmSandboxRuntime): Promise<PluginSandbox> {
  return await runtime.loadPlugin("control", await wat(`(module (func (export "one") (result i32) (i32.const 1)))`));
}
