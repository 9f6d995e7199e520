/**
 * Builds in-memory directory trees for preopens.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { VirtualDirectory, VirtualFile } from "./vfs.ts";

/** A tree: file names map to contents (text is stored as UTF-8), directory names to subtrees. */
export interface TreeSpec {
  [name: string]: string | Uint8Array | TreeSpec;
}

/** Options for {@linkcode memoryTree}. */
export interface MemoryTreeOptions {
  /** Make every node read-only: the guest can read but not change anything. */
  readOnly?: boolean;
}

const encoder = new TextEncoder();

/** Throws `InvalidArgument` unless `name` is a single, legal path component. */
export function checkEntryName(name: string): void {
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0")) {
    throw new SandboxError("InvalidArgument", `${JSON.stringify(name)} is not a valid file name`);
  }
}

/**
 * Builds a virtual directory from a plain object.
 *
 * @example
 * ```ts
 * const dir = memoryTree({ "a.txt": "text", sub: { "b.bin": new Uint8Array([1, 2]) } });
 * ```
 */
export function memoryTree(spec: TreeSpec, options: MemoryTreeOptions = {}): VirtualDirectory {
  const readOnly = options.readOnly ?? false;
  const dir = new VirtualDirectory(readOnly);
  for (const [name, value] of Object.entries(spec)) {
    checkEntryName(name);
    let child;
    if (typeof value === "string") child = new VirtualFile(encoder.encode(value), readOnly);
    else if (value instanceof Uint8Array) child = new VirtualFile(value, readOnly);
    else child = memoryTree(value, options);
    child.nlink = 1;
    dir.entries.set(name, child);
  }
  return dir;
}
