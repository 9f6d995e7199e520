/**
 * Picks the {@linkcode HostPlatform} for the runtime we are on, once.
 *
 * @module
 */
import type { HostPlatform } from "./types.ts";

/** True when running under Deno. */
export const isDeno: boolean = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";

let current: Promise<HostPlatform> | undefined;

/**
 * The platform adapter for this runtime. Loaded lazily so that Node never
 * evaluates the Deno adapter and vice versa.
 */
export function hostPlatform(): Promise<HostPlatform> {
  current ??= isDeno
    ? import("./deno.ts").then((m) => m.denoPlatform)
    : import("./node.ts").then((m) => m.nodePlatform);
  return current;
}
