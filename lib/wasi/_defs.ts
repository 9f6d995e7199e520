/**
 * The WASI preview1 ABI definitions this layer takes from
 * `@bjorn3/browser_wasi_shim`: errno, rights, flag and type constants, and
 * the exception that carries `proc_exit`. This is the only file that imports
 * the shim, so the rest of the code base never touches it directly.
 *
 * The shim's struct encoders are deliberately not reused: its `Filestat`
 * writes the timestamps at offsets 38/46/52 instead of 40/48/56 and its
 * `Event` omits the fd_readwrite payload, so `_abi_structs.ts` encodes those.
 *
 * @module
 */
import { wasi, WASIProcExit } from "@bjorn3/browser_wasi_shim";

/** errno, rights, flags and file types of WASI preview1. */
export const defs: typeof wasi = wasi;

/** Thrown by `proc_exit` to unwind the guest; carries the exit code. */
export { WASIProcExit };

/** A rights bit as the bigint the ABI uses. */
export function right(bit: number): bigint {
  return BigInt(bit);
}
