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
import type { HostFunction, HostFunctionRegistrar } from "./registrar.ts";
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

/** The `wasi_snapshot_preview1` registrar over `wasi`. */
export function wasiNamespace(wasi: WasiHost): HostFunctionRegistrar {
  const functions: Record<string, HostFunction> = {};
  for (const [name, impl] of Object.entries(wasi.imports)) {
    const call = impl as (...args: unknown[]) => number;
    const capability = Object.hasOwn(WASI_FUNCTION_CAPABILITY, name) ? WASI_FUNCTION_CAPABILITY[name] : Capabilities.WasiProc;
    const perFd = capability === FD_DEPENDENT;
    functions[name] = {
      params: [],
      results: ["i32"],
      // A clock wait may take time: it answers with a promise (asyncSleep), so the host's thread is never held.
      ...(name === "poll_oneoff" ? { async: true } : {}),
      ...(perFd
        ? { selectCapability: (fd: number) => capabilityForFdArea(wasi.fdArea(fd)) }
        : { capability }),
      call: (_ctx, ...args: unknown[]) => call(...args),
    };
  }
  return defineRegistrar(WASI_PREVIEW1, functions);
}

/** `wasi`'s functions as the bridge links them: every import links; refusals happen per call. */
export function linkableWasi(wasi: WasiHost): LinkableNamespace {
  return { registrar: wasiNamespace(wasi), errors: wasiErrorConvention, checkSignatures: false, refuseAtCall: true };
}
