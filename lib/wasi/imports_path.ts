/**
 * The `path_*` preview1 functions. Every path is decoded strictly (see
 * `AbiMemory.path`) and resolved inside the directory descriptor it is
 * relative to (see `path_walk.ts`).
 *
 * @module
 */
import { defs } from "./_defs.ts";
import { fail, WasiErrno } from "./_errno.ts";
import { writeFilestat } from "./_abi_structs.ts";
import { DIR_RIGHTS, dirWithRights, FILE_RIGHTS, WRITE_RIGHTS } from "./handles.ts";
import { lookup } from "./path_walk.ts";
import { VirtualDirectory } from "./vfs.ts";
import type { VirtualFile } from "./vfs.ts";
import type { WasiFunction, WasiState } from "./wasi_state.ts";
import { right } from "./_defs.ts";

const FOLLOW = 1; // lookupflags.symlink_follow
const R = {
  OPEN: right(defs.RIGHTS_PATH_OPEN),
  CREATE_FILE: right(defs.RIGHTS_PATH_CREATE_FILE),
  TRUNCATE: right(defs.RIGHTS_PATH_FILESTAT_SET_SIZE),
  CREATE_DIRECTORY: right(defs.RIGHTS_PATH_CREATE_DIRECTORY),
  REMOVE_DIRECTORY: right(defs.RIGHTS_PATH_REMOVE_DIRECTORY),
  UNLINK_FILE: right(defs.RIGHTS_PATH_UNLINK_FILE),
  FILESTAT_GET: right(defs.RIGHTS_PATH_FILESTAT_GET),
  FILESTAT_SET_TIMES: right(defs.RIGHTS_PATH_FILESTAT_SET_TIMES),
  LINK_SOURCE: right(defs.RIGHTS_PATH_LINK_SOURCE),
  LINK_TARGET: right(defs.RIGHTS_PATH_LINK_TARGET),
  RENAME_SOURCE: right(defs.RIGHTS_PATH_RENAME_SOURCE),
  RENAME_TARGET: right(defs.RIGHTS_PATH_RENAME_TARGET),
  SYMLINK: right(defs.RIGHTS_PATH_SYMLINK),
  READLINK: right(defs.RIGHTS_PATH_READLINK),
};
const READ_MODE_RIGHTS = right(defs.RIGHTS_FD_READ) | right(defs.RIGHTS_FD_READDIR);
const OFLAGS_KNOWN = defs.OFLAGS_CREAT | defs.OFLAGS_DIRECTORY | defs.OFLAGS_EXCL | defs.OFLAGS_TRUNC;

/** Builds the `path_*` functions over `state`. */
export function pathImports(state: WasiState): Record<string, WasiFunction> {
  const { memory, fds, fs } = state;
  // Every path function needs its own right on the directory descriptor;
  // without it the call is NOTCAPABLE before the path is even read.
  const dirOf = (fd: number, needed: bigint) => dirWithRights(fds, fd, needed).node;

  return {
    path_create_directory: (fd: number, pathPtr: number, pathLen: number) => {
      const dir = dirOf(fd, R.CREATE_DIRECTORY);
      fs.createDirectory(dir, memory.path(pathPtr, pathLen));
      return defs.ERRNO_SUCCESS;
    },
    path_remove_directory: (fd: number, pathPtr: number, pathLen: number) => {
      fs.removeDirectory(dirOf(fd, R.REMOVE_DIRECTORY), memory.path(pathPtr, pathLen));
      return defs.ERRNO_SUCCESS;
    },
    path_unlink_file: (fd: number, pathPtr: number, pathLen: number) => {
      fs.unlinkFile(dirOf(fd, R.UNLINK_FILE), memory.path(pathPtr, pathLen));
      return defs.ERRNO_SUCCESS;
    },
    path_filestat_get: (fd: number, flags: number, pathPtr: number, pathLen: number, statPtr: number) => {
      const node = lookup(dirOf(fd, R.FILESTAT_GET), memory.path(pathPtr, pathLen), (flags & FOLLOW) !== 0);
      writeFilestat(memory, statPtr, fs.stat(node));
      return defs.ERRNO_SUCCESS;
    },
    path_filestat_set_times: (
      fd: number,
      flags: number,
      pathPtr: number,
      pathLen: number,
      atim: bigint,
      mtim: bigint,
      fstFlags: number,
    ) => {
      const node = lookup(dirOf(fd, R.FILESTAT_SET_TIMES), memory.path(pathPtr, pathLen), (flags & FOLLOW) !== 0);
      fs.setTimes(node, atim, mtim, fstFlags);
      return defs.ERRNO_SUCCESS;
    },
    path_link: (
      oldFd: number,
      oldFlags: number,
      oldPtr: number,
      oldLen: number,
      newFd: number,
      newPtr: number,
      newLen: number,
    ) => {
      const oldDir = dirOf(oldFd, R.LINK_SOURCE);
      const newDir = dirOf(newFd, R.LINK_TARGET);
      fs.link(oldDir, memory.path(oldPtr, oldLen), (oldFlags & FOLLOW) !== 0, newDir, memory.path(newPtr, newLen));
      return defs.ERRNO_SUCCESS;
    },
    path_rename: (oldFd: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number) => {
      const oldDir = dirOf(oldFd, R.RENAME_SOURCE);
      const newDir = dirOf(newFd, R.RENAME_TARGET);
      fs.rename(oldDir, memory.path(oldPtr, oldLen), newDir, memory.path(newPtr, newLen));
      return defs.ERRNO_SUCCESS;
    },
    path_symlink: (oldPtr: number, oldLen: number, fd: number, newPtr: number, newLen: number) => {
      const dir = dirOf(fd, R.SYMLINK);
      fs.symlink(memory.path(oldPtr, oldLen), dir, memory.path(newPtr, newLen));
      return defs.ERRNO_SUCCESS;
    },
    path_readlink: (fd: number, pathPtr: number, pathLen: number, buf: number, bufLen: number, usedPtr: number) => {
      const target = new TextEncoder().encode(fs.readlink(dirOf(fd, R.READLINK), memory.path(pathPtr, pathLen)));
      // Like POSIX readlink, a short buffer gets a truncated target.
      const shown = target.subarray(0, Math.min(target.byteLength, bufLen >>> 0));
      memory.check(usedPtr, 4);
      memory.write(buf, shown);
      memory.setU32(usedPtr, shown.byteLength);
      return defs.ERRNO_SUCCESS;
    },
    path_open: (
      fd: number,
      dirflags: number,
      pathPtr: number,
      pathLen: number,
      oflags: number,
      rightsBase: bigint,
      _rightsInheriting: bigint, // what an opened directory hands down comes from its parent alone
      fdflags: number,
      openedPtr: number,
    ) => {
      let needed = R.OPEN;
      if ((oflags & defs.OFLAGS_CREAT) !== 0) needed |= R.CREATE_FILE;
      if ((oflags & defs.OFLAGS_TRUNC) !== 0) needed |= R.TRUNCATE;
      const parent = dirWithRights(fds, fd, needed);
      const path = memory.path(pathPtr, pathLen);
      memory.check(openedPtr, 4);
      if ((oflags & ~OFLAGS_KNOWN) !== 0) fail(defs.ERRNO_INVAL);
      // The new descriptor can hold only what the directory lets it inherit
      // (silently narrowed, as in wasmtime's rights model). As in wasmtime,
      // the access mode follows from the rights asked for, read when none are.
      const base = BigInt.asUintN(64, rightsBase) & parent.rightsInheriting;
      let write = (base & WRITE_RIGHTS) !== 0n;
      const read = (base & READ_MODE_RIGHTS) !== 0n || !write;
      const request = {
        followFinal: (dirflags & FOLLOW) !== 0,
        create: (oflags & defs.OFLAGS_CREAT) !== 0,
        exclusive: (oflags & defs.OFLAGS_EXCL) !== 0,
        directory: (oflags & defs.OFLAGS_DIRECTORY) !== 0,
        truncate: (oflags & defs.OFLAGS_TRUNC) !== 0,
        write,
      };
      let node;
      try {
        node = fs.open(parent.node, path, request);
      } catch (err) {
        // Go's wasip1 port opens O_RDONLY files asking for every file right
        // except fd_write (fd_filestat_set_size included). Such a request
        // (no fd_write, no truncation) on a read-only node is a read, not a
        // write: open it without write rights rather than fail with ROFS.
        const readIntent = read && (base & right(defs.RIGHTS_FD_WRITE)) === 0n && !request.truncate;
        if (!(err instanceof WasiErrno) || err.errno !== defs.ERRNO_ROFS || !write || !readIntent) throw err;
        write = false;
        node = fs.open(parent.node, path, { ...request, write });
      }
      const flags = fdflags & 0x1f;
      let opened: number;
      if (node instanceof VirtualDirectory) {
        opened = fds.add({
          kind: "dir",
          node,
          rightsBase: DIR_RIGHTS & parent.rightsInheriting,
          rightsInheriting: (DIR_RIGHTS | FILE_RIGHTS) & parent.rightsInheriting,
          fdflags: flags,
        });
      } else {
        let rights = FILE_RIGHTS & parent.rightsInheriting;
        if (!write) rights &= ~WRITE_RIGHTS;
        if (!read) rights &= ~right(defs.RIGHTS_FD_READ);
        opened = fds.add({
          kind: "file",
          node: node as VirtualFile,
          position: 0,
          rightsBase: rights,
          rightsInheriting: 0n,
          fdflags: flags,
        });
      }
      memory.setU32(openedPtr, opened);
      return defs.ERRNO_SUCCESS;
    },
  };
}
