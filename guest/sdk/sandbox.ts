// The `sandbox` namespace (always linked, no capability) and the output
// protocol every producing host function follows: the host writes its output
// at out_ptr when it fits in out_cap, otherwise parks it in the response slot
// and returns its size N; the guest then allocates exactly N bytes and calls
// take_response. Nothing runs twice because a buffer was small.
import { INVALID_ARGUMENT, LIMIT_EXCEEDED, OK } from "./abi";

@external("sandbox", "take_response")
declare function take_response(out_ptr: i32, out_cap: i32): i64;

/** Bytes of the static buffer tried first; larger outputs go through take_response. */
export const SCRATCH_CAP: i32 = 256;

/** A static buffer: small outputs need no allocation before the copy out. */
export const scratch: usize = memory.data(SCRATCH_CAP);

/** Largest output the SDK accepts (the host refuses larger ones anyway). */
const MAX_OUTPUT: i64 = 0x7fff_0000;

let lastCode: i32 = OK;

/** The ABI code of the last SDK call that failed (0 after a success). */
export function lastError(): i32 {
  return lastCode;
}

/** @internal Records the outcome of an SDK call. */
export function setLastError(code: i32): void {
  lastCode = code;
}

/**
 * @internal Finishes a producing call made with (scratch, SCRATCH_CAP):
 * returns the output bytes, or null with lastError() set.
 */
export function collectOutput(result: i64): ArrayBuffer | null {
  if (result < 0) {
    lastCode = <i32>result;
    return null;
  }
  if (result > MAX_OUTPUT) {
    lastCode = LIMIT_EXCEEDED;
    return null;
  }
  let size = <i32>result;
  if (size <= SCRATCH_CAP) {
    const out = new ArrayBuffer(size);
    memory.copy(changetype<usize>(out), scratch, <usize>size);
    lastCode = OK;
    return out;
  }
  // Parked: allocate exactly what the host announced and take it. If the slot
  // now holds something larger (the host replaced it), the host answers with
  // the new size and keeps it; retry a few times, then give up.
  for (let attempt = 0; attempt < 4; attempt++) {
    const out = new ArrayBuffer(size);
    const taken = take_response(changetype<i32>(out), size);
    if (taken < 0) {
      lastCode = <i32>taken;
      return null;
    }
    if (taken > MAX_OUTPUT) break;
    if (<i32>taken <= size) {
      lastCode = OK;
      return <i32>taken == size ? out : out.slice(0, <i32>taken);
    }
    size = <i32>taken;
  }
  lastCode = INVALID_ARGUMENT;
  return null;
}

/** Takes whatever is parked in the response slot (after a call made with your own buffer). */
export function takeResponse(size: i32): ArrayBuffer | null {
  if (size < 0) {
    lastCode = INVALID_ARGUMENT;
    return null;
  }
  const out = new ArrayBuffer(size);
  const taken = take_response(changetype<i32>(out), size);
  if (taken < 0) {
    lastCode = <i32>taken;
    return null;
  }
  if (<i32>taken != size) {
    lastCode = LIMIT_EXCEEDED;
    return null;
  }
  lastCode = OK;
  return out;
}
