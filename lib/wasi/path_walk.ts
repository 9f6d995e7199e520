/**
 * Resolves guest paths inside one directory capability. A path can never
 * leave the directory it is resolved against: absolute paths and `..` above
 * the base fail with NOTCAPABLE, symlink targets are resolved by the same
 * rules (never on the host), and more than {@linkcode MAX_SYMLINK_HOPS}
 * symlinks fail with LOOP.
 *
 * The walk is linear in the components it handles: pending components sit
 * on a stack (next one on top) with a count of the non-empty ones, so
 * "is this the last component?" is a counter check, not a rescan of the rest
 * (a path of 4096 slashes spliced in by 40 symlinks once cost 1e8 steps).
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
  /**
   * Components pushed plus components taken: the walk's whole work, each
   * step O(1). At most twice the components of the path and of every symlink
   * target spliced in, so tests can check the walk stays linear.
   */
  steps: number;
}

/** Pending components, next on top, counting those that are not empty. */
class Components {
  readonly #stack: string[] = [];
  /** Pending components other than "" (what "last component" is decided by). */
  #named = 0;
  steps = 0;

  /** Puts `path`'s components in front of those already pending. */
  pushPath(path: string): void {
    const parts = path.split("/");
    for (let i = parts.length - 1; i >= 0; i--) {
      const part = parts[i]!;
      this.#stack.push(part);
      if (part !== "") this.#named++;
      this.steps++;
    }
  }

  /** The next component, or undefined when none is left. */
  take(): string | undefined {
    const part = this.#stack.pop();
    if (part === undefined) return undefined;
    if (part !== "") this.#named--;
    this.steps++;
    return part;
  }

  /** True when only empty components (trailing slashes) are left. */
  get onlySlashesLeft(): boolean {
    return this.#named === 0;
  }
}

/**
 * Walks `path` from `base`. Intermediate symlinks are always followed; the
 * final one only when `followFinal` is set or the path ends with `/`.
 */
export function walk(base: VirtualDirectory, path: string, followFinal: boolean): WalkResult {
  if (path.length === 0) fail(defs.ERRNO_NOENT);
  if (path.startsWith("/")) fail(defs.ERRNO_NOTCAPABLE);
  const stack: VirtualDirectory[] = [base];
  const pending = new Components();
  pending.pushPath(path);
  let trailingSlash = path.endsWith("/");
  let hops = 0;
  const result = (parent: VirtualDirectory, name: string | null, node: VirtualNode | undefined): WalkResult => ({
    parent,
    name,
    node,
    trailingSlash,
    steps: pending.steps,
  });
  for (let part = pending.take(); part !== undefined; part = pending.take()) {
    const isLast = pending.onlySlashesLeft;
    const top = stack[stack.length - 1]!;
    if (part === "" || part === ".") {
      if (isLast) return result(top, null, top);
      continue;
    }
    if (part === "..") {
      if (stack.length === 1) fail(defs.ERRNO_NOTCAPABLE);
      stack.pop();
      const up = stack[stack.length - 1]!;
      if (isLast) return result(up, null, up);
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
      pending.pushPath(target);
      continue;
    }
    if (isLast) return result(top, part, child);
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
