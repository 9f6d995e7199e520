/**
 * Links a {@linkcode WasiHost}'s preview1 functions through the bridge, so
 * WASI calls are capability-checked per area and audited like every other
 * host call. Every WASI import links, granted or not (a C program imports
 * `path_open` whether it opens a file or not); a call into an area that was
 * not granted returns errno NOTCAPABLE and is audited as denied. The WASI layer already
 * turns guest mistakes into errnos, so anything it throws (proc_exit, a sleep
 * past its budget) is meant to unwind the guest and is let through.
 *
 * @module
 */
import type { WasiHost } from "../wasi/mod.ts";
import type { ErrorConvention, LinkableNamespace } from "./bridge.ts";
import { Capabilities } from "./capabilities.ts";
import { defineRegistrar } from "./registrar.ts";
import type { HostCallContext, HostFunction, HostFunctionRegistrar } from "./registrar.ts";
import { capabilityForFdArea, FD_DEPENDENT, WASI_FUNCTION_CAPABILITY } from "./wasi_capabilities.ts";

/** The preview1 import namespace. */
export const WASI_PREVIEW1 = "wasi_snapshot_preview1";

/** errno NOTCAPABLE of WASI preview1. */
const ERRNO_NOTCAPABLE = 76;

/** WASI's convention: NOTCAPABLE when refused; throws pass through (see module docs). */
export const wasiErrorConvention: ErrorConvention = {
  denied: ERRNO_NOTCAPABLE,
  fromError(err) {
    throw err;
  },
};

/**
 * The functions that move guest-sized amounts of data, and where a
 * successful call says how much it moved: its own `nread` / `nwritten` /
 * `bufused` result, or its length argument. The bridge charges fuel per byte
 * counted in `bytesIn` / `bytesOut` (docs/FUEL.md), and the audit record
 * shows them. Other calls move a few bytes, or paths capped at 4 KiB.
 */
const MOVED: Readonly<Record<string, { into: "host" | "guest"; count(ctx: HostCallContext, args: unknown[]): number }>> = {
  fd_write: { into: "host", count: (ctx, a) => u32At(ctx, a[3]) },
  fd_pwrite: { into: "host", count: (ctx, a) => u32At(ctx, a[4]) },
  fd_read: { into: "guest", count: (ctx, a) => u32At(ctx, a[3]) },
  fd_pread: { into: "guest", count: (ctx, a) => u32At(ctx, a[4]) },
  fd_readdir: { into: "guest", count: (ctx, a) => u32At(ctx, a[4]) },
  random_get: { into: "guest", count: (_ctx, a) => Number(a[1]) >>> 0 },
};

/** The u32 the call stored at `ptr` (0 if the pointer is not readable: nothing to count). */
function u32At(ctx: HostCallContext, ptr: unknown): number {
  try {
    const bytes = ctx.memory.view(Number(ptr) >>> 0, 4);
    return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  } catch {
    return 0;
  }
}

/** The `wasi_snapshot_preview1` registrar over `wasi`. */
export function wasiNamespace(wasi: WasiHost): HostFunctionRegistrar {
  const functions: Record<string, HostFunction> = {};
  for (const [name, impl] of Object.entries(wasi.imports)) {
    const call = impl as (...args: unknown[]) => number;
    const capability = Object.hasOwn(WASI_FUNCTION_CAPABILITY, name) ? WASI_FUNCTION_CAPABILITY[name] : Capabilities.WasiProc;
    const perFd = capability === FD_DEPENDENT;
    const moved = Object.hasOwn(MOVED, name) ? MOVED[name] : undefined;
    functions[name] = {
      params: [],
      results: ["i32"],
      ...(perFd
        ? { selectCapability: (fd: number) => capabilityForFdArea(wasi.fdArea(fd)) }
        : { capability }),
      call: moved === undefined ? (_ctx, ...args: unknown[]) => call(...args) : (ctx, ...args: unknown[]) => {
        const errno = call(...args);
        if (errno === 0) {
          if (moved.into === "host") ctx.bytesIn += moved.count(ctx, args);
          else ctx.bytesOut += moved.count(ctx, args);
        }
        return errno;
      },
    };
  }
  return defineRegistrar(WASI_PREVIEW1, functions);
}

/** `wasi`'s functions as the bridge links them: every import links; refusals happen per call. */
export function linkableWasi(wasi: WasiHost): LinkableNamespace {
  return { registrar: wasiNamespace(wasi), errors: wasiErrorConvention, checkSignatures: false, refuseAtCall: true };
}
