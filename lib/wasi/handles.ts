/**
 * What a guest file descriptor points at, and the descriptor table itself.
 *
 * @module
 */
import { defs, right } from "./_defs.ts";
import { fail } from "./_errno.ts";
import type { OutputSink } from "./stdio.ts";
import type { VirtualDirectory, VirtualFile, VirtualNode } from "./vfs.ts";

const r = (...bits: number[]): bigint => bits.reduce((acc, bit) => acc | right(bit), 0n);

/** Rights that let a descriptor change a file's contents. */
export const WRITE_RIGHTS: bigint = r(
  defs.RIGHTS_FD_WRITE,
  defs.RIGHTS_FD_DATASYNC,
  defs.RIGHTS_FD_ALLOCATE,
  defs.RIGHTS_FD_FILESTAT_SET_SIZE,
);

/** Every right a regular-file descriptor can hold. */
export const FILE_RIGHTS: bigint = r(
  defs.RIGHTS_FD_DATASYNC,
  defs.RIGHTS_FD_READ,
  defs.RIGHTS_FD_SEEK,
  defs.RIGHTS_FD_FDSTAT_SET_FLAGS,
  defs.RIGHTS_FD_SYNC,
  defs.RIGHTS_FD_TELL,
  defs.RIGHTS_FD_WRITE,
  defs.RIGHTS_FD_ADVISE,
  defs.RIGHTS_FD_ALLOCATE,
  defs.RIGHTS_FD_FILESTAT_GET,
  defs.RIGHTS_FD_FILESTAT_SET_SIZE,
  defs.RIGHTS_FD_FILESTAT_SET_TIMES,
  defs.RIGHTS_POLL_FD_READWRITE,
);

/** Every right a directory descriptor holds. */
export const DIR_RIGHTS: bigint = r(
  defs.RIGHTS_FD_FDSTAT_SET_FLAGS,
  defs.RIGHTS_FD_SYNC,
  defs.RIGHTS_FD_ADVISE,
  defs.RIGHTS_PATH_CREATE_DIRECTORY,
  defs.RIGHTS_PATH_CREATE_FILE,
  defs.RIGHTS_PATH_LINK_SOURCE,
  defs.RIGHTS_PATH_LINK_TARGET,
  defs.RIGHTS_PATH_OPEN,
  defs.RIGHTS_FD_READDIR,
  defs.RIGHTS_PATH_READLINK,
  defs.RIGHTS_PATH_RENAME_SOURCE,
  defs.RIGHTS_PATH_RENAME_TARGET,
  defs.RIGHTS_PATH_FILESTAT_GET,
  defs.RIGHTS_PATH_FILESTAT_SET_SIZE,
  defs.RIGHTS_PATH_FILESTAT_SET_TIMES,
  defs.RIGHTS_FD_FILESTAT_GET,
  defs.RIGHTS_FD_FILESTAT_SET_TIMES,
  defs.RIGHTS_PATH_SYMLINK,
  defs.RIGHTS_PATH_REMOVE_DIRECTORY,
  defs.RIGHTS_PATH_UNLINK_FILE,
);

/** Rights a stdio stream holds. */
export const STDIO_RIGHTS: bigint = r(
  defs.RIGHTS_FD_READ,
  defs.RIGHTS_FD_WRITE,
  defs.RIGHTS_FD_FDSTAT_SET_FLAGS,
  defs.RIGHTS_FD_FILESTAT_GET,
  defs.RIGHTS_POLL_FD_READWRITE,
);

/** State every descriptor has. */
interface HandleBase {
  rightsBase: bigint;
  rightsInheriting: bigint;
  fdflags: number;
}

/** An open regular file. */
export interface FileHandle extends HandleBase {
  readonly kind: "file";
  readonly node: VirtualFile;
  position: number;
}

/** An open directory (a preopen when `preopenName` is set). */
export interface DirHandle extends HandleBase {
  readonly kind: "dir";
  readonly node: VirtualDirectory;
  readonly preopenName?: string;
}

/** Standard input: a fixed byte string read once. */
export interface StdinHandle extends HandleBase {
  readonly kind: "stdin";
  readonly data: Uint8Array;
  position: number;
}

/** Standard output or error. */
export interface OutputHandle extends HandleBase {
  readonly kind: "output";
  readonly sink: OutputSink;
}

/** Anything a descriptor can refer to. */
export type Handle = FileHandle | DirHandle | StdinHandle | OutputHandle;

/** Most descriptors open at once; more is MFILE. */
export const MAX_OPEN_FDS = 1024;

/** The node a handle keeps alive, if any. */
function nodeOf(handle: Handle): VirtualNode | undefined {
  return handle.kind === "file" || handle.kind === "dir" ? handle.node : undefined;
}

/**
 * The guest's descriptor table. It counts the descriptors open on each node
 * and reports the last close, so the filesystem can return the quota of a
 * node unlinked while still open (see `VirtualFs.release`).
 */
export class FdTable {
  readonly #slots: Array<Handle | undefined> = [];
  readonly #onLastClose: (node: VirtualNode) => void;

  constructor(onLastClose: (node: VirtualNode) => void = () => {}) {
    this.#onLastClose = onLastClose;
  }

  /** The handle for `fd`, or BADF. */
  get(fd: number): Handle {
    const handle = this.#slots[fd >>> 0];
    if (handle === undefined) fail(defs.ERRNO_BADF);
    return handle;
  }

  /** The handle when `fd` is open, else undefined. */
  peek(fd: number): Handle | undefined {
    return this.#slots[fd >>> 0];
  }

  /** Puts `handle` in the lowest free slot and returns its number. */
  add(handle: Handle): number {
    let fd = this.#slots.indexOf(undefined);
    if (fd < 0) fd = this.#slots.length;
    if (fd >= MAX_OPEN_FDS) fail(defs.ERRNO_MFILE);
    this.set(fd, handle);
    return fd;
  }

  /** Puts `handle` at exactly `fd`, which must be free. */
  set(fd: number, handle: Handle): void {
    while (this.#slots.length < fd) this.#slots.push(undefined); // no holes: add() relies on indexOf
    this.#slots[fd] = handle;
    const node = nodeOf(handle);
    if (node !== undefined) node.openFds++;
  }

  /** Closes `fd`; BADF when it is not open. */
  close(fd: number): Handle {
    const handle = this.get(fd);
    this.#slots[fd >>> 0] = undefined;
    while (this.#slots.length > 0 && this.#slots[this.#slots.length - 1] === undefined) this.#slots.pop();
    const node = nodeOf(handle);
    if (node !== undefined && --node.openFds === 0) this.#onLastClose(node);
    return handle;
  }

  /** Every open handle. */
  *handles(): IterableIterator<Handle> {
    for (const handle of this.#slots) if (handle !== undefined) yield handle;
  }
}

/** The directory behind `fd`, or NOTDIR/BADF. */
export function dirHandle(table: FdTable, fd: number): DirHandle {
  const handle = table.get(fd);
  if (handle.kind !== "dir") fail(defs.ERRNO_NOTDIR);
  return handle;
}

/**
 * Fails with BADF unless the handle holds every bit of `needed`: the access
 * mode rights (fd_read, fd_write), where POSIX answers EBADF too.
 */
export function requireRights(handle: Handle, needed: bigint): void {
  if ((handle.rightsBase & needed) !== needed) fail(defs.ERRNO_BADF);
}

/**
 * Fails with NOTCAPABLE unless a file or directory handle holds every bit of
 * `needed`: WASI's answer for an operation whose right was never granted or
 * was dropped with `fd_fdstat_set_rights`. Stdio streams keep their fixed
 * rights and are not checked here.
 */
export function requireCapability(handle: Handle, needed: bigint): void {
  if (handle.kind !== "file" && handle.kind !== "dir") return;
  if ((handle.rightsBase & needed) !== needed) fail(defs.ERRNO_NOTCAPABLE);
}

/** The directory behind `fd` when it holds the rights `needed` (NOTDIR, BADF or NOTCAPABLE otherwise). */
export function dirWithRights(table: FdTable, fd: number, needed: bigint): DirHandle {
  const handle = dirHandle(table, fd);
  requireCapability(handle, needed);
  return handle;
}
