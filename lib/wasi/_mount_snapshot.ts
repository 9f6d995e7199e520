/**
 * What a host mount saw at load time, per entry: enough to tell later whether
 * the host entry is still the one that was loaded, and whether the guest
 * changed its copy.
 *
 * @module
 */
import type { HostFileInfo } from "../platform/types.ts";
import { sha256Hex } from "../module/sha256.ts";
import { VirtualDirectory, VirtualFile, VirtualSymlink } from "./vfs.ts";
import type { VirtualNode } from "./vfs.ts";

/** One host entry as loaded into the tree. */
export interface LoadedEntry {
  kind: "file" | "dir" | "symlink";
  info: HostFileInfo;
  /** SHA-256 of a file's contents as loaded. */
  digest?: string;
  /** A symlink's target as loaded. */
  target?: string;
}

/** The load-time view of a mount. Paths are relative to the root, `/`-separated. */
export interface MountSnapshot {
  root: HostFileInfo;
  loaded: Map<string, LoadedEntry>;
  /** Host entries left out at load, with the reason: never touched by write-back. */
  skipped: Map<string, string>;
}

/**
 * True when `now` (an lstat taken later) is the same object, unchanged, as
 * `was`. A directory is compared by identity only: its own times move
 * whenever an entry inside changes, and entries are compared one by one.
 */
export function sameHostEntry(now: HostFileInfo, was: HostFileInfo): boolean {
  if (now.kind !== was.kind || now.dev !== was.dev || now.ino !== was.ino) return false;
  if (now.kind === "dir") return true;
  return now.size === was.size && now.mtimeMs === was.mtimeMs && now.ctimeMs === was.ctimeMs && now.mode === was.mode;
}

/** Lower-case hex SHA-256 of a file's current contents. */
export function fileDigest(file: VirtualFile): string {
  return sha256Hex(file.readAt(0, file.size));
}

/** True when the guest's `node` still holds what was loaded (a directory: same kind; its entries are compared one by one). */
export function sameAsLoaded(node: VirtualNode, entry: LoadedEntry): boolean {
  if (node instanceof VirtualDirectory) return entry.kind === "dir";
  if (node instanceof VirtualSymlink) return entry.kind === "symlink" && node.target === entry.target;
  if (node instanceof VirtualFile) return entry.kind === "file" && fileDigest(node) === entry.digest;
  return false;
}

/** `a/b` from `a` and `b`; the root is "". */
export function childPath(rel: string, name: string): string {
  return rel === "" ? name : `${rel}/${name}`;
}
