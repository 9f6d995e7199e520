/**
 * The in-memory filesystem behind WASI preopens: files, directories and
 * symlinks. Nodes carry POSIX-like metadata (link count, timestamps) and a
 * read-only flag; inode numbers are handed out per sandbox (see
 * `_fs_context.ts`) so two runs number files identically.
 *
 * @module
 */

/** What a virtual node is. */
export type VirtualKind = "file" | "dir" | "symlink";

/** Metadata shared by every virtual node. */
export abstract class VirtualNode {
  abstract readonly kind: VirtualKind;
  /** Hard links to this node (directories count their own entry only). */
  nlink = 0;
  /** Access, modification and status-change times, in ns since the epoch. */
  atimNs = 0n;
  mtimNs = 0n;
  ctimNs = 0n;
  /** A read-only node refuses every change the guest asks for. */
  readOnly: boolean;
  /** Guest descriptors open on this node (kept by the descriptor table). */
  openFds = 0;
  /**
   * Unlinked (no links left) while a descriptor still held it: its quota
   * stays charged until the last descriptor closes, because its memory is
   * still alive until then.
   */
  orphaned = false;

  constructor(readOnly: boolean) {
    this.readOnly = readOnly;
  }
}

/** The buffer of every empty file; never written (any growth allocates a new one). */
const EMPTY = new Uint8Array(0);

/** A regular file: bytes with spare capacity so appends are amortised. */
export class VirtualFile extends VirtualNode {
  readonly kind = "file";
  #buffer: Uint8Array;
  #size: number;

  /** @param data initial contents (copied). */
  constructor(data: Uint8Array = new Uint8Array(0), readOnly = false) {
    super(readOnly);
    // Empty files share one empty buffer: a quota full of them then costs only the nodes.
    this.#buffer = data.byteLength === 0 ? EMPTY : data.slice();
    this.#size = data.byteLength;
  }

  /** Current length in bytes. */
  get size(): number {
    return this.#size;
  }

  /** A copy of the contents. */
  contents(): Uint8Array {
    return this.#buffer.slice(0, this.#size);
  }

  /** A read-only window of up to `len` bytes at `offset` (a view; copy before the file changes). */
  readAt(offset: number, len: number): Uint8Array {
    if (offset >= this.#size) return new Uint8Array(0);
    return this.#buffer.subarray(offset, Math.min(this.#size, offset + len));
  }

  /** Writes `data` at `offset`, zero-filling any gap. Callers check quota first. */
  writeAt(offset: number, data: Uint8Array): void {
    const end = offset + data.byteLength;
    if (end > this.#size) this.resize(end);
    this.#buffer.set(data, offset);
  }

  /** Truncates or zero-extends to `size` bytes. Callers check quota first. */
  resize(size: number): void {
    if (size > this.#buffer.byteLength) {
      // Grow geometrically, but never reserve more than 1 MiB beyond the need.
      const capacity = Math.max(size, Math.min(this.#buffer.byteLength * 2, size + (1 << 20)));
      const next = new Uint8Array(capacity);
      next.set(this.#buffer.subarray(0, this.#size));
      this.#buffer = next;
    } else if (size < this.#size) {
      this.#buffer.fill(0, size, this.#size);
    }
    this.#size = size;
  }
}

/** A directory: named entries in insertion order. */
export class VirtualDirectory extends VirtualNode {
  readonly kind = "dir";
  readonly entries: Map<string, VirtualNode> = new Map();
  /** Set once the directory is removed; open handles then see an empty, dead directory. */
  removed = false;

  constructor(readOnly = false) {
    super(readOnly);
    this.nlink = 1;
  }
}

/** A symbolic link; the target is kept verbatim and resolved inside the sandbox only. */
export class VirtualSymlink extends VirtualNode {
  readonly kind = "symlink";
  readonly target: string;

  constructor(target: string, readOnly = false) {
    super(readOnly);
    this.target = target;
  }
}

/**
 * Quota bytes charged for each node (file, directory or symlink) on top of
 * its data, close to what the node costs the host: the object, its
 * timestamps, a directory's entry map. Measured with `bench/wasi_fs_rss.ts`
 * (docs/WASI.md), so a quota filled with empty files or empty directories
 * costs host memory of the order of the quota.
 */
export const NODE_OVERHEAD_BYTES = 256;

/**
 * Quota bytes charged for each directory entry on top of its name: the map
 * slot and the name string's header. Hard links are entries too, so a quota
 * of links to one file is bounded like a quota of files.
 */
export const ENTRY_OVERHEAD_BYTES = 64;

/** Quota bytes charged on top of {@linkcode NODE_OVERHEAD_BYTES} for a directory's (even empty) entry map. */
export const DIRECTORY_OVERHEAD_BYTES = 192;

/** Quota bytes of one directory entry named `name`. */
export function entryBytes(name: string): number {
  return ENTRY_OVERHEAD_BYTES + utf8Length(name);
}

/** Quota bytes of a node itself (not counting its entries): overhead plus data or link target. */
export function nodeBytes(node: VirtualNode): number {
  if (node instanceof VirtualFile) return NODE_OVERHEAD_BYTES + node.size;
  if (node instanceof VirtualSymlink) return NODE_OVERHEAD_BYTES + utf8Length(node.target);
  return NODE_OVERHEAD_BYTES + DIRECTORY_OVERHEAD_BYTES;
}

/**
 * Bytes a subtree occupies for quota purposes: every node once (hard links
 * share their data) and every entry. Iterative, since a tree the guest
 * built and a host mount brought back may be very deep.
 */
export function treeBytes(root: VirtualNode, seen: Set<VirtualNode> = new Set()): number {
  let total = 0;
  const pending: VirtualNode[] = [root];
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    total += nodeBytes(node);
    if (!(node instanceof VirtualDirectory)) continue;
    for (const [name, child] of node.entries) {
      total += entryBytes(name);
      pending.push(child);
    }
  }
  return total;
}

const encoder = new TextEncoder();

/** UTF-8 byte length of a name or link target. */
export function utf8Length(text: string): number {
  return encoder.encode(text).byteLength;
}
