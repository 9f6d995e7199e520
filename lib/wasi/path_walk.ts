/**
 * Resolves guest paths inside one directory capability. A path can never
 * leave the directory it is resolved against: absolute paths and `..` above
 * the base fail with NOTCAPABLE, symlink targets are resolved by the same
 * rules (never on the host), and more than {@linkcode MAX_SYMLINK_HOPS}
 * symlinks fail with LOOP.
 *
 * @module
 */
import { defs } from "./_defs.ts";
import { fail } from "./_errno.ts";
import { VirtualDirectory, VirtualSymlink } from "./vfs.ts";
import type { VirtualNode } from "./vfs.ts";

/** Symlinks followed in one resolution before LOOP (Linux's MAXSYMLINKS). */
export const MAX_SYMLINK_HOPS = 40;

/** Where a path led. */
export interface WalkResult {
  /** The directory holding the final component (or the final directory itself when `name` is null). */
  parent: VirtualDirectory;
  /** The final component, or null when the path ends in `.`/`..` or names the base itself. */
  name: string | null;
  /** The node the path names, if it exists. */
  node: VirtualNode | undefined;
  /** The path (or the last symlink it went through) ended with `/`. */
  trailingSlash: boolean;
}

/**
 * Walks `path` from `base`. Intermediate symlinks are always followed; the
 * final one only when `followFinal` is set or the path ends with `/`.
 */
export function walk(base: VirtualDirectory, path: string, followFinal: boolean): WalkResult {
  if (path.length === 0) fail(defs.ERRNO_NOENT);
  if (path.startsWith("/")) fail(defs.ERRNO_NOTCAPABLE);
  const stack: VirtualDirectory[] = [base];
  let queue = path.split("/");
  let trailingSlash = path.endsWith("/");
  let hops = 0;
  while (queue.length > 0) {
    const part = queue.shift()!;
    const isLast = queue.every((rest) => rest === "");
    const top = stack[stack.length - 1]!;
    if (part === "" || part === ".") {
      if (isLast) return { parent: top, name: null, node: top, trailingSlash };
      continue;
    }
    if (part === "..") {
      if (stack.length === 1) fail(defs.ERRNO_NOTCAPABLE);
      stack.pop();
      const up = stack[stack.length - 1]!;
      if (isLast) return { parent: up, name: null, node: up, trailingSlash };
      continue;
    }
    if (top.removed) fail(defs.ERRNO_NOENT);
    const child = top.entries.get(part);
    if (child instanceof VirtualSymlink && (!isLast || followFinal || trailingSlash)) {
      if (++hops > MAX_SYMLINK_HOPS) fail(defs.ERRNO_LOOP);
      const target = child.target;
      if (target.length === 0) fail(defs.ERRNO_NOENT);
      if (target.startsWith("/")) fail(defs.ERRNO_NOTCAPABLE);
      if (isLast && target.endsWith("/")) trailingSlash = true;
      queue = target.split("/").concat(queue);
      continue;
    }
    if (isLast) return { parent: top, name: part, node: child, trailingSlash };
    if (child === undefined) fail(defs.ERRNO_NOENT);
    if (!(child instanceof VirtualDirectory)) fail(defs.ERRNO_NOTDIR);
    stack.push(child);
  }
  // Unreachable: the last component always returns above.
  return fail(defs.ERRNO_NOENT);
}

/**
 * The existing node `path` names; NOENT when missing, NOTDIR when a trailing
 * slash follows a non-directory.
 */
export function lookup(base: VirtualDirectory, path: string, followFinal: boolean): VirtualNode {
  const found = walk(base, path, followFinal);
  if (found.node === undefined) fail(defs.ERRNO_NOENT);
  if (found.trailingSlash && !(found.node instanceof VirtualDirectory)) {
    fail(defs.ERRNO_NOTDIR);
  }
  return found.node;
}
