/**
 * Overlapping host mounts are refused. Two mounts of the same host directory,
 * or of a directory and one inside it, each load their own copy; writing one
 * back then changes what the other loaded, and a guest could turn one mount's
 * directory into a symlink the other one's write-back then follows.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import type { VirtualDirectory } from "./vfs.ts";

/** The host path (realpath) of each mounted tree, so preopens can be checked. */
const mountedAt = new WeakMap<VirtualDirectory, string>();

/** Records that `dir` is the tree of a mount of `hostPath` (already resolved with realpath). */
export function registerMount(dir: VirtualDirectory, hostPath: string): void {
  mountedAt.set(dir, hostPath);
}

/** True when `inner` is `outer` or lies inside it (both absolute and resolved). */
export function hostPathWithin(inner: string, outer: string): boolean {
  if (inner === outer) return true;
  return inner.startsWith(outer.endsWith("/") ? outer : `${outer}/`);
}

/**
 * Throws `InvalidArgument` when two of `mounts` (resolved host paths, each
 * with a label for the message) are the same directory or one lies inside
 * the other.
 *
 * @example
 * ```ts
 * assertDisjointMounts([{ hostPath: "/srv/a", label: "--dir /srv/a" }, { hostPath: "/srv/a/b", label: "--dir /srv/a/b" }]); // throws
 * ```
 */
export function assertDisjointMounts(mounts: ReadonlyArray<{ hostPath: string; label: string }>): void {
  for (let i = 0; i < mounts.length; i++) {
    for (let j = i + 1; j < mounts.length; j++) {
      const [a, b] = [mounts[i], mounts[j]];
      if (hostPathWithin(a.hostPath, b.hostPath) || hostPathWithin(b.hostPath, a.hostPath)) {
        throw new SandboxError(
          "InvalidArgument",
          `${a.label} and ${b.label} overlap (${a.hostPath} and ${b.hostPath}): each would write back over the other; mount each host directory once, and no directory inside another`,
        );
      }
    }
  }
}

/**
 * Throws `InvalidArgument` when the preopened trees include two different
 * host mounts that overlap. The same mounted tree preopened twice is one
 * mount and is allowed; trees not made by `mountHostDirectory` are ignored.
 */
export function assertDisjointPreopens(preopens: ReadonlyArray<{ guestPath: string; dir: VirtualDirectory }>): void {
  const seen = new Set<VirtualDirectory>();
  const mounts: Array<{ hostPath: string; label: string }> = [];
  for (const { guestPath, dir } of preopens) {
    const hostPath = mountedAt.get(dir);
    if (hostPath === undefined || seen.has(dir)) continue;
    seen.add(dir);
    mounts.push({ hostPath, label: `the mount at ${guestPath}` });
  }
  assertDisjointMounts(mounts);
}
