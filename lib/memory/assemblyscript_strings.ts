/**
 * AssemblyScript strings in guest memory, following the object layout that
 * `@assemblyscript/loader` uses (a 20-byte managed header whose last two u32
 * are the runtime class id and the payload size in bytes; strings are UTF-16LE
 * with class id 2) — but every access goes through {@linkcode GuestMemory}'s
 * bounds checks, which the loader's own helpers do not do.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import type { GuestMemory } from "./guest_memory.ts";

/** Offset of the runtime class id, relative to the object pointer. */
const ID_OFFSET = -8;
/** Offset of the payload size in bytes, relative to the object pointer. */
const SIZE_OFFSET = -4;
/** Class id of `String` in every AssemblyScript runtime. */
export const AS_STRING_ID = 2;
/** Largest string we decode, in UTF-16 code units (bounded work per call). */
const MAX_STRING_UNITS = 1 << 24;

/** Checks the String header at `ptr` and the whole payload's bounds; returns the payload's address and size. */
function stringPayload(memory: GuestMemory, ptr: number): { address: number; byteLength: number } {
  const address = ptr >>> 0;
  if (address < 8) throw new SandboxError("InvalidArgument", `${address} is not an AssemblyScript object pointer`);
  const id = memory.readU32(address + ID_OFFSET);
  if (id !== AS_STRING_ID) {
    throw new SandboxError("InvalidArgument", `object at ${address} has class id ${id}, not a String`);
  }
  const byteLength = memory.readU32(address + SIZE_OFFSET);
  if (byteLength % 2 !== 0 || byteLength / 2 > MAX_STRING_UNITS) {
    throw new SandboxError("InvalidArgument", `string at ${address} has an invalid size of ${byteLength} bytes`);
  }
  memory.check(address, byteLength);
  return { address, byteLength };
}

function decodeUtf16(memory: GuestMemory, address: number, byteLength: number): string {
  const bytes = memory.read(address, byteLength);
  const view = new DataView(bytes.buffer);
  let text = "";
  const CHUNK = 1024;
  for (let i = 0; i < byteLength; i += CHUNK * 2) {
    const units: number[] = [];
    for (let j = i; j < Math.min(byteLength, i + CHUNK * 2); j += 2) units.push(view.getUint16(j, true));
    text += String.fromCharCode(...units);
  }
  return text;
}

/** Reads the AssemblyScript `String` object at `ptr`. */
export function readAssemblyScriptString(memory: GuestMemory, ptr: number): string {
  const { address, byteLength } = stringPayload(memory, ptr);
  return decodeUtf16(memory, address, byteLength);
}

/**
 * Reads at most the first `maxUnits` UTF-16 code units of the String at
 * `ptr`, decoding only those: the work is bounded by `maxUnits`, not by the
 * size the guest claims (the whole payload must still lie in memory). A cut
 * that would split a surrogate pair stops before it. `units` is the
 * string's full length, so the caller can say what was cut.
 */
export function readAssemblyScriptStringPrefix(
  memory: GuestMemory,
  ptr: number,
  maxUnits: number,
): { text: string; units: number } {
  const { address, byteLength } = stringPayload(memory, ptr);
  const units = byteLength / 2;
  let kept = Math.min(units, Math.max(0, Math.floor(maxUnits)));
  if (kept < units && kept > 0) {
    const last = memory.readU32(address + (kept - 1) * 2) & 0xffff;
    if (last >= 0xd800 && last <= 0xdbff) kept--; // a high surrogate whose pair was cut off
  }
  return { text: decodeUtf16(memory, address, kept * 2), units };
}

/** Writes `text` as UTF-16LE at `ptr` (the payload of a freshly allocated String). */
export function writeUtf16(memory: GuestMemory, ptr: number, text: string): void {
  const bytes = new Uint8Array(text.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < text.length; i++) view.setUint16(i * 2, text.charCodeAt(i), true);
  memory.write(ptr, bytes);
}
