/**
 * Values passed to and from plugin exports. Numbers go straight through the
 * WebAssembly JS API; strings and bytes are copied into guest memory through
 * the guest's own allocator export.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import type { GuestMemory } from "../memory/guest_memory.ts";
import { AS_STRING_ID, writeUtf16 } from "../memory/assemblyscript_strings.ts";

/** An explicitly typed value. */
export type TypedValue =
  | { type: "i32"; value: number }
  | { type: "i64"; value: bigint }
  | { type: "f32"; value: number }
  | { type: "f64"; value: number }
  | { type: "bytes"; value: Uint8Array }
  | { type: "string"; value: string };

/**
 * A value for a plugin call: a typed value, or the plain JS shorthand
 * (`number` for i32/f32/f64 as the export's signature says, `bigint` for i64,
 * `string`, `Uint8Array`).
 *
 * @example
 * ```ts
 * import type { SandboxValue } from "wasm-sandbox";
 *
 * // Strings and bytes are copied into the guest through its allocator.
 * const args: SandboxValue[] = [7, 2n ** 40n, "text", new Uint8Array([1, 2, 3])];
 * await plugin.call("handle", ...args);
 * ```
 */
export type SandboxValue = TypedValue | number | bigint | string | Uint8Array;

/** Class id of `ArrayBuffer` in every AssemblyScript runtime. */
const AS_ARRAYBUFFER_ID = 1;

type Exports = WebAssembly.Exports;
type Fn = (...args: unknown[]) => unknown;

/** How a guest takes strings and bytes: which allocator it exports. */
type Allocator =
  | { kind: "assemblyscript"; newObject: Fn; pin: Fn; unpin: Fn }
  | { kind: "cabi"; realloc: Fn }
  | { kind: "alloc"; alloc: Fn; dealloc: Fn | undefined };

function findAllocator(exports: Exports): Allocator | undefined {
  const fn = (name: string) => (typeof exports[name] === "function" ? exports[name] as Fn : undefined);
  const newObject = fn("__new"), pin = fn("__pin"), unpin = fn("__unpin");
  if (newObject && pin && unpin) return { kind: "assemblyscript", newObject, pin, unpin };
  const realloc = fn("cabi_realloc");
  if (realloc) return { kind: "cabi", realloc };
  const alloc = fn("alloc");
  if (alloc) return { kind: "alloc", alloc, dealloc: fn("dealloc") };
  return undefined;
}

/** Arguments lowered to wasm values, plus the clean-up to run after the call. */
export interface LoweredArguments {
  values: unknown[];
  release(): void;
}

const encoder = new TextEncoder();
const NOTHING_TO_RELEASE = () => {};

/** True when every argument is a plain number or bigint: the common call, which needs no guest allocation. */
function allNumeric(args: SandboxValue[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const type = typeof args[i];
    if (type !== "number" && type !== "bigint") return false;
  }
  return true;
}

/**
 * Lowers `args` for a call. Strings and bytes become `(ptr, len)` — or one
 * object pointer for AssemblyScript guests — allocated in the guest.
 */
export function lowerArguments(args: SandboxValue[], exports: Exports, memory: GuestMemory): LoweredArguments {
  // Numbers go to the guest as they are (the JS API converts them to the parameter's type).
  if (allNumeric(args)) return { values: args, release: NOTHING_TO_RELEASE };
  const values: unknown[] = [];
  const cleanups: Array<() => void> = [];
  let allocator: Allocator | undefined;
  const release = () => {
    for (const cleanup of cleanups.reverse()) cleanup();
  };
  try {
    for (const arg of args) {
      if (typeof arg === "number" || typeof arg === "bigint") {
        values.push(arg); // the JS API converts to the parameter's type
        continue;
      }
      const typed = toTyped(arg);
      if (typed.type !== "string" && typed.type !== "bytes") {
        values.push(typed.value);
        continue;
      }
      allocator ??= findAllocator(exports) ?? noAllocator();
      if (allocator.kind === "assemblyscript") {
        const as = allocator;
        const ptr = typed.type === "string"
          ? newAssemblyScriptString(as, memory, typed.value)
          : newAssemblyScriptBuffer(as, memory, typed.value);
        as.pin(ptr);
        cleanups.push(() => as.unpin(ptr));
        values.push(ptr);
        continue;
      }
      const bytes = typed.type === "string" ? encoder.encode(typed.value) : typed.value;
      const ptr = allocate(allocator, bytes.byteLength);
      memory.write(ptr, bytes);
      const dealloc = allocator.kind === "alloc" ? allocator.dealloc : undefined;
      if (dealloc) cleanups.push(() => dealloc(ptr, bytes.byteLength));
      values.push(ptr, bytes.byteLength);
    }
  } catch (err) {
    release();
    throw err;
  }
  return { values, release };
}

function toTyped(arg: SandboxValue): TypedValue {
  if (typeof arg === "string") return { type: "string", value: arg };
  if (arg instanceof Uint8Array) return { type: "bytes", value: arg };
  if (arg && typeof arg === "object" && "type" in arg) {
    const ok = (arg.type === "i64" && typeof arg.value === "bigint") ||
      ((arg.type === "i32" || arg.type === "f32" || arg.type === "f64") && typeof arg.value === "number") ||
      (arg.type === "string" && typeof arg.value === "string") ||
      (arg.type === "bytes" && arg.value instanceof Uint8Array);
    if (ok) return arg;
  }
  throw new SandboxError("InvalidArgument", `unsupported call argument ${String(arg)}: use numbers, bigints, strings, Uint8Arrays or typed values`);
}

function noAllocator(): never {
  throw new SandboxError(
    "InvalidArgument",
    "the plugin exports no allocator (cabi_realloc, alloc/dealloc, or AssemblyScript's __new/__pin/__unpin), " +
      "so strings and bytes cannot be passed to it; pass numbers, or export an allocator",
  );
}

function allocate(allocator: Allocator, size: number): number {
  const ptr = allocator.kind === "cabi" ? allocator.realloc(0, 0, 1, size) : (allocator as { alloc: Fn }).alloc(size);
  if (typeof ptr !== "number") throw new SandboxError("InvalidArgument", "the plugin's allocator returned a non-i32 value");
  return ptr >>> 0;
}

function newAssemblyScriptString(as: { newObject: Fn }, memory: GuestMemory, text: string): number {
  const ptr = (as.newObject(text.length << 1, AS_STRING_ID) as number) >>> 0;
  writeUtf16(memory, ptr, text);
  return ptr;
}

function newAssemblyScriptBuffer(as: { newObject: Fn }, memory: GuestMemory, bytes: Uint8Array): number {
  const ptr = (as.newObject(bytes.byteLength, AS_ARRAYBUFFER_ID) as number) >>> 0;
  memory.write(ptr, bytes);
  return ptr;
}
