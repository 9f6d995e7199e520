/**
 * The ABI's output protocol. A producing host function writes its output at
 * `out_ptr` when it fits in `out_cap`; otherwise nothing is written and the
 * output is parked in the sandbox's single response slot, which the guest
 * empties with `sandbox.take_response`. So nothing ever runs twice because a
 * buffer was small, and the guest needs no allocator export.
 *
 * @module
 */
import type { GuestMemory } from "../memory/guest_memory.ts";
import { AbiCode } from "./abi_codes.ts";

/** One sandbox's response slot. */
export class ResponseSlot {
  #parked: Uint8Array | undefined;

  /** Writes `data` at `outPtr` if it fits in `outCap`, else parks it. Returns the size. */
  deliver(memory: GuestMemory, data: Uint8Array, outPtr: number, outCap: number): bigint {
    if (data.byteLength <= outCap >>> 0) {
      memory.write(outPtr, data);
      this.#parked = undefined;
    } else {
      this.#parked = data;
    }
    return BigInt(data.byteLength);
  }

  /**
   * Copies the parked output out: its size when written (the slot empties),
   * the size again when `outCap` is still too small (the slot keeps it), or
   * NO_RESPONSE when nothing is parked.
   */
  take(memory: GuestMemory, outPtr: number, outCap: number): bigint {
    const parked = this.#parked;
    if (parked === undefined) return BigInt(AbiCode.NO_RESPONSE);
    if (parked.byteLength > outCap >>> 0) return BigInt(parked.byteLength);
    memory.write(outPtr, parked);
    this.#parked = undefined;
    return BigInt(parked.byteLength);
  }

  /** Bytes parked, 0 when empty. */
  get size(): number {
    return this.#parked?.byteLength ?? 0;
  }

  clear(): void {
    this.#parked = undefined;
  }
}
