/**
 * Where a symlink in a mounted tree really leads, resolved the way the host
 * kernel will resolve it once the tree is on disk: every symlink component is
 * followed (not just the link's own text read lexically), `..` climbs from
 * the directory a component actually resolved to. A target reaching outside
 * the mount root, or passing through a host entry the tree does not describe,
 * is an escape.
 *
 * @module
 */
import { VirtualDirectory, VirtualSymlink } from "./vfs.ts";
import type { VirtualNode } from "./vfs.ts";

/** Symlinks followed in one resolution before giving up (Linux's MAXSYMLINKS). */
const MAX_LINKS = 40;

/** Linux's PATH_MAX counts the NUL: a link target may hold at most 4095 bytes. */
export const MAX_HOST_LINK_TARGET_BYTES = 4095;

const encoder = new TextEncoder();

/**
 * How the host differs from the tree at a mount-relative path: "opaque" when
 * the host holds an entry the tree does not describe (skipped at load, or
 * kept because it changed on the host), "absent" when the tree's node will
 * not be on the host (a refused link), undefined when the tree is right.
 */
export type HostView = (rel: string) => "opaque" | "absent" | undefined;

/** Why a link escapes, and the symlinks (mount-relative) its resolution followed. */
export interface LinkEscape {
  reason: string;
  through: string[];
}

/**
 * Whether the symlink at `linkPath` (relative to the mount root,
 * `/`-separated) with text `target` would lead outside the mount once the tree
 * `root` is on the host; `undefined` when it stays inside.
 *
 * Resolving through an "opaque" path is refused: what the host holds there
 * is unknown. A component missing from the tree (or "absent") is taken as a
 * plain directory: on the host it is missing too, where the kernel stops with
 * ENOENT, so continuing lexically only ever refuses more.
 */
export function linkEscape(root: VirtualDirectory, linkPath: string, target: string, view: HostView): LinkEscape | undefined {
  const parts = linkPath.split("/");
  parts.pop(); // the link itself: resolution starts in its directory
  // The resolved directory so far, as names and as nodes (undefined once outside the tree).
  const names: string[] = [];
  const nodes: Array<VirtualNode | undefined> = [root];
  const enter = (name: string, node: VirtualNode | undefined) => {
    names.push(name);
    nodes.push(node);
  };
  for (const name of parts) enter(name, childOf(nodes[nodes.length - 1], name));

  const through: string[] = [];
  const escape = (reason: string): LinkEscape => ({ reason: `its target ${JSON.stringify(target)} ${reason}`, through });
  const textProblem = checkTargetText(target);
  if (textProblem) return escape(textProblem);
  const pending = target.split("/");
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (names.length === 0) return escape(through.length > 0 ? `climbs above the mount root (through ${through.join(", ")})` : "climbs above the mount root");
      names.pop();
      nodes.pop();
      continue;
    }
    const rel = [...names, part].join("/");
    const seen = view(rel);
    if (seen === "opaque") return escape(`passes through ${rel}, a host entry write-back does not control`);
    const node = seen === "absent" ? undefined : childOf(nodes[nodes.length - 1], part);
    if (node instanceof VirtualSymlink) {
      through.push(rel);
      if (through.length > MAX_LINKS) return escape(`goes through more than ${MAX_LINKS} symlinks`);
      const problem = checkTargetText(node.target);
      if (problem) return escape(`goes through ${rel}, whose target ${problem}`);
      pending.unshift(...node.target.split("/")); // relative to the directory holding that link
      continue;
    }
    enter(part, node);
  }
  return undefined;
}

/** A problem with the text of a target alone (absolute, empty, NUL, too long for the host), or undefined. */
function checkTargetText(target: string): string | undefined {
  if (target.length === 0) return "is empty";
  if (target.startsWith("/")) return "is absolute";
  if (target.includes("\0")) return "holds a NUL byte";
  const bytes = encoder.encode(target).byteLength;
  if (bytes > MAX_HOST_LINK_TARGET_BYTES) return `is ${bytes} bytes, more than the host allows (${MAX_HOST_LINK_TARGET_BYTES})`;
  return undefined;
}

function childOf(dir: VirtualNode | undefined, name: string): VirtualNode | undefined {
  return dir instanceof VirtualDirectory ? dir.entries.get(name) : undefined;
}
