/**
 * Filesystem operations on the virtual tree with POSIX semantics: what
 * `path_*` and `fd_*` calls do once their arguments are decoded. Enforces
 * read-only nodes (ROFS) and the byte quota (NOSPC) before changing anything,
 * so a failed call leaves the tree as it was.
 *
 * @module
 */
import { defs } from "./_defs.ts";
import { fail } from "./_errno.ts";
import type { FsContext } from "./fs_context.ts";
import { lookup, walk } from "./path_walk.ts";
import { entryBytes, nodeBytes, utf8Length, VirtualDirectory, VirtualFile, VirtualSymlink } from "./vfs.ts";
import type { VirtualNode } from "./vfs.ts";

/** Largest file the guest may create or grow to (also bounded by the quota). */
export const MAX_FILE_BYTES = 2 ** 32;

/** A node's metadata in the shape of the ABI's `filestat`. */
export interface FileStat {
  dev: bigint;
  ino: bigint;
  filetype: number;
  nlink: bigint;
  size: bigint;
  atim: bigint;
  mtim: bigint;
  ctim: bigint;
}

/** What `open` should do. */
export interface OpenRequest {
  followFinal: boolean;
  create: boolean;
  exclusive: boolean;
  directory: boolean;
  truncate: boolean;
  write: boolean;
}

/** Operations on one sandbox's virtual filesystem. */
export class VirtualFs {
  readonly ctx: FsContext;

  constructor(ctx: FsContext) {
    this.ctx = ctx;
  }

  /** `filestat` of a node. */
  stat(node: VirtualNode): FileStat {
    return {
      dev: 1n,
      ino: this.ctx.ino(node),
      filetype: fileType(node),
      nlink: BigInt(node.nlink),
      size: BigInt(sizeOf(node)),
      atim: node.atimNs,
      mtim: node.mtimNs,
      ctim: node.ctimNs,
    };
  }

  /** Opens (and maybe creates or truncates) what `path` names. */
  open(base: VirtualDirectory, path: string, req: OpenRequest): VirtualNode {
    const found = walk(base, path, req.followFinal);
    const node = found.node;
    if (node === undefined) {
      if (!req.create) fail(defs.ERRNO_NOENT);
      if (found.trailingSlash || req.directory) fail(defs.ERRNO_ISDIR);
      if (found.name === null) fail(defs.ERRNO_ISDIR);
      const file = new VirtualFile(new Uint8Array(0));
      this.#attach(found.parent, found.name, file, true);
      return file;
    }
    if (req.create && req.exclusive) fail(defs.ERRNO_EXIST);
    if (node instanceof VirtualSymlink) fail(req.directory ? defs.ERRNO_NOTDIR : defs.ERRNO_LOOP);
    if ((req.directory || found.trailingSlash) && !(node instanceof VirtualDirectory)) fail(defs.ERRNO_NOTDIR);
    if (node instanceof VirtualDirectory) {
      if (req.write || req.truncate) fail(defs.ERRNO_ISDIR);
      return node;
    }
    const file = node as VirtualFile;
    if ((req.write || req.truncate) && file.readOnly) fail(defs.ERRNO_ROFS);
    if (req.truncate) this.setSize(file, 0);
    return file;
  }

  /** `path_create_directory`. */
  createDirectory(base: VirtualDirectory, path: string): void {
    const found = walk(base, path, false);
    if (found.node !== undefined || found.name === null) fail(defs.ERRNO_EXIST);
    this.#attach(found.parent, found.name, new VirtualDirectory(), true);
  }

  /** `path_remove_directory`. */
  removeDirectory(base: VirtualDirectory, path: string): void {
    const found = walk(base, path, false);
    if (found.name === null) fail(found.node === base ? defs.ERRNO_BUSY : defs.ERRNO_INVAL);
    const node = found.node;
    if (node === undefined) fail(defs.ERRNO_NOENT);
    if (!(node instanceof VirtualDirectory)) fail(defs.ERRNO_NOTDIR);
    if (node.entries.size > 0) fail(defs.ERRNO_NOTEMPTY);
    this.#detach(found.parent, found.name, node);
    node.removed = true;
  }

  /** `path_unlink_file`. */
  unlinkFile(base: VirtualDirectory, path: string): void {
    const found = walk(base, path, false);
    const node = found.node;
    if (found.name === null) fail(defs.ERRNO_ISDIR);
    if (node === undefined) fail(defs.ERRNO_NOENT);
    if (node instanceof VirtualDirectory) fail(defs.ERRNO_ISDIR);
    if (found.trailingSlash) fail(defs.ERRNO_NOTDIR);
    this.#detach(found.parent, found.name, node);
  }

  /** `path_symlink`: creates `path` pointing at `target` (kept verbatim). */
  symlink(target: string, base: VirtualDirectory, path: string): void {
    const found = walk(base, path, false);
    if (found.node !== undefined || found.name === null) {
      if (found.trailingSlash && !(found.node instanceof VirtualDirectory)) fail(defs.ERRNO_NOTDIR);
      fail(defs.ERRNO_EXIST);
    }
    if (found.trailingSlash) fail(defs.ERRNO_NOENT);
    if (target.length === 0) fail(defs.ERRNO_NOENT);
    // An absolute target could only ever point outside the sandbox: refuse it up front.
    if (target.startsWith("/")) fail(defs.ERRNO_PERM);
    this.#attach(found.parent, found.name, new VirtualSymlink(target), true);
  }

  /** `path_readlink`. */
  readlink(base: VirtualDirectory, path: string): string {
    const node = lookup(base, path, false);
    if (!(node instanceof VirtualSymlink)) fail(defs.ERRNO_INVAL);
    return node.target;
  }

  /** `path_link`: a new hard link to an existing non-directory. */
  link(oldBase: VirtualDirectory, oldPath: string, followOld: boolean, newBase: VirtualDirectory, newPath: string): void {
    const old = walk(oldBase, oldPath, followOld);
    if (old.node === undefined) fail(defs.ERRNO_NOENT);
    if (old.node instanceof VirtualDirectory) fail(defs.ERRNO_PERM);
    if (old.trailingSlash) fail(defs.ERRNO_NOTDIR);
    const target = walk(newBase, newPath, false);
    if (target.node !== undefined || target.name === null) fail(defs.ERRNO_EXIST);
    if (target.trailingSlash) fail(defs.ERRNO_NOENT);
    this.#attach(target.parent, target.name, old.node, false);
  }

  /** `path_rename`, replacing the destination when POSIX allows it. */
  rename(oldBase: VirtualDirectory, oldPath: string, newBase: VirtualDirectory, newPath: string): void {
    const from = walk(oldBase, oldPath, false);
    if (from.name === null) fail(defs.ERRNO_BUSY);
    const node = from.node;
    if (node === undefined) fail(defs.ERRNO_NOENT);
    const isDir = node instanceof VirtualDirectory;
    if (from.trailingSlash && !isDir) fail(defs.ERRNO_NOTDIR);
    const to = walk(newBase, newPath, false);
    if (to.name === null) fail(defs.ERRNO_BUSY);
    const existing = to.node;
    if (to.trailingSlash && !isDir) fail(defs.ERRNO_NOTDIR);
    if (isDir && (to.parent === node || contains(node, to.parent))) fail(defs.ERRNO_INVAL);
    if (existing === node) return;
    if (from.parent.readOnly || to.parent.readOnly) fail(defs.ERRNO_ROFS);
    if (to.parent.removed) fail(defs.ERRNO_NOENT);
    if (existing !== undefined) {
      if (isDir && !(existing instanceof VirtualDirectory)) fail(defs.ERRNO_NOTDIR);
      if (!isDir && existing instanceof VirtualDirectory) fail(defs.ERRNO_ISDIR);
      if (existing instanceof VirtualDirectory && existing.entries.size > 0) fail(defs.ERRNO_NOTEMPTY);
    }
    // The entry moves: only a longer name costs more. Charge it before changing
    // anything so NOSPC leaves the tree intact.
    const growth = entryBytes(to.name) - entryBytes(from.name);
    this.ctx.charge(growth);
    if (existing !== undefined) {
      this.#detach(to.parent, to.name, existing);
      if (existing instanceof VirtualDirectory) existing.removed = true;
    }
    from.parent.entries.delete(from.name);
    this.ctx.refund(-growth);
    to.parent.entries.set(to.name, node);
    const now = this.ctx.now();
    node.ctimNs = now;
    touch(from.parent, now);
    touch(to.parent, now);
  }

  /** Sets a node's times per `fst_flags`. */
  setTimes(node: VirtualNode, atim: bigint, mtim: bigint, flags: number): void {
    const atimSet = (flags & defs.FSTFLAGS_ATIM) !== 0;
    const atimNow = (flags & defs.FSTFLAGS_ATIM_NOW) !== 0;
    const mtimSet = (flags & defs.FSTFLAGS_MTIM) !== 0;
    const mtimNow = (flags & defs.FSTFLAGS_MTIM_NOW) !== 0;
    if ((atimSet && atimNow) || (mtimSet && mtimNow) || (flags & ~0xf) !== 0) fail(defs.ERRNO_INVAL);
    if (node.readOnly) fail(defs.ERRNO_ROFS);
    const now = this.ctx.now();
    if (atimSet) node.atimNs = atim;
    if (atimNow) node.atimNs = now;
    if (mtimSet) node.mtimNs = mtim;
    if (mtimNow) node.mtimNs = now;
    node.ctimNs = now;
  }

  /** Truncates or zero-extends a file, within the quota. */
  setSize(file: VirtualFile, size: number): void {
    if (file.readOnly) fail(defs.ERRNO_ROFS);
    if (size > MAX_FILE_BYTES) fail(defs.ERRNO_FBIG);
    const delta = size - file.size;
    if (delta > 0) this.ctx.charge(delta);
    else this.ctx.refund(-delta);
    file.resize(size);
    const now = this.ctx.now();
    file.mtimNs = now;
    file.ctimNs = now;
  }

  /**
   * Writes the concatenation of `chunks` at `offset`, growing the file
   * within the quota (checked before anything is copied or allocated).
   * Returns bytes written.
   */
  write(file: VirtualFile, offset: number, chunks: readonly Uint8Array[]): number {
    if (file.readOnly) fail(defs.ERRNO_ROFS);
    const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    const end = offset + total;
    if (end > MAX_FILE_BYTES) fail(defs.ERRNO_FBIG);
    if (end > file.size) {
      this.ctx.charge(end - file.size);
      file.resize(end); // once, not once per chunk
    }
    let at = offset;
    for (const chunk of chunks) {
      file.writeAt(at, chunk);
      at += chunk.byteLength;
    }
    const now = this.ctx.now();
    file.mtimNs = now;
    file.ctimNs = now;
    return total;
  }

  /**
   * Called when the last descriptor on `node` closes: an orphan (unlinked
   * while open) is gone for good now, so its quota comes back.
   */
  release(node: VirtualNode): void {
    if (!node.orphaned || node.openFds > 0) return;
    node.orphaned = false;
    this.ctx.refund(nodeBytes(node));
  }

  /** Links `node` into `dir` as `name`, charging quota first. */
  #attach(dir: VirtualDirectory, name: string, node: VirtualNode, isNew: boolean): void {
    if (dir.readOnly) fail(defs.ERRNO_ROFS);
    if (dir.removed) fail(defs.ERRNO_NOENT);
    if (name.length > 255 * 4 || utf8Length(name) > 255) fail(defs.ERRNO_NAMETOOLONG);
    this.ctx.charge(entryBytes(name) + (isNew ? nodeBytes(node) : 0));
    const now = this.ctx.now();
    if (isNew) {
      node.atimNs = now;
      node.mtimNs = now;
    }
    node.ctimNs = now;
    node.nlink = node instanceof VirtualDirectory ? 1 : node.nlink + 1;
    dir.entries.set(name, node);
    touch(dir, now);
  }

  /**
   * Unlinks `name` from `dir`. The entry's quota comes back at once; the
   * node's once it has no links left and no descriptor holds it (see
   * {@linkcode release}).
   */
  #detach(dir: VirtualDirectory, name: string, node: VirtualNode): void {
    if (dir.readOnly) fail(defs.ERRNO_ROFS);
    dir.entries.delete(name);
    node.nlink = Math.max(0, node.nlink - 1);
    const now = this.ctx.now();
    node.ctimNs = now;
    this.ctx.refund(entryBytes(name));
    if (node.nlink === 0 && !node.orphaned) {
      if (node.openFds > 0) node.orphaned = true;
      else this.ctx.refund(nodeBytes(node));
    }
    touch(dir, now);
  }
}

function touch(dir: VirtualDirectory, now: bigint): void {
  dir.mtimNs = now;
  dir.ctimNs = now;
}

/** True when `inner` lies somewhere below `outer` (iterative: guest trees may be very deep). */
function contains(outer: VirtualDirectory, inner: VirtualDirectory): boolean {
  const pending: VirtualDirectory[] = [outer];
  while (pending.length > 0) {
    for (const child of pending.pop()!.entries.values()) {
      if (child === inner) return true;
      if (child instanceof VirtualDirectory) pending.push(child);
    }
  }
  return false;
}

/** The ABI file type of a node. */
export function fileType(node: VirtualNode): number {
  if (node instanceof VirtualFile) return defs.FILETYPE_REGULAR_FILE;
  if (node instanceof VirtualDirectory) return defs.FILETYPE_DIRECTORY;
  return defs.FILETYPE_SYMBOLIC_LINK;
}

function sizeOf(node: VirtualNode): number {
  if (node instanceof VirtualFile) return node.size;
  if (node instanceof VirtualSymlink) return utf8Length(node.target);
  return 0;
}
