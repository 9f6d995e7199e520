/**
 * The `fd_*` preview1 functions: reading, writing, seeking and describing
 * open descriptors.
 *
 * @module
 */
import { defs, right } from "./_defs.ts";
import { fail } from "./_errno.ts";
import { writeFdstat, writeFilestat } from "./_abi_structs.ts";
import { requireCapability, requireRights } from "./handles.ts";
import type { FileHandle, Handle } from "./handles.ts";
import { fileType } from "./fs_ops.ts";
import type { FileStat } from "./fs_ops.ts";
import { utf8Length } from "./vfs.ts";
import type { WasiFunction, WasiState } from "./wasi_state.ts";

const READ = right(defs.RIGHTS_FD_READ);
const WRITE = right(defs.RIGHTS_FD_WRITE);
const SEEK = right(defs.RIGHTS_FD_SEEK);
const TELL = right(defs.RIGHTS_FD_TELL);
const encoder = new TextEncoder();

/**
 * Most bytes one write accepts (Linux's MAX_RW_COUNT); more is a short write.
 * Keeps the count inside the u32 `nwritten` however many iovecs overlap.
 */
const MAX_WRITE_BYTES = 0x7fff_f000;

/** Largest byte offset a seek may reach (i64 max would overflow the file model). */
const MAX_OFFSET = 2 ** 53 - 1;
const FDFLAGS_KNOWN = defs.FDFLAGS_APPEND | defs.FDFLAGS_DSYNC | defs.FDFLAGS_NONBLOCK | defs.FDFLAGS_RSYNC |
  defs.FDFLAGS_SYNC;

/** The file behind a handle: ISDIR for directories, SPIPE for streams when seeking, BADF otherwise. */
function fileOf(handle: Handle, streamErrno: number = defs.ERRNO_BADF): FileHandle {
  if (handle.kind === "file") return handle;
  if (handle.kind === "dir") fail(defs.ERRNO_ISDIR);
  return fail(streamErrno);
}

/** A 64-bit offset from the guest as a safe JS number, or INVAL/FBIG. */
function offsetOf(value: bigint): number {
  const offset = BigInt.asUintN(64, value);
  if (offset > BigInt(MAX_OFFSET)) fail(defs.ERRNO_FBIG);
  return Number(offset);
}

/** `filestat` of a stdio stream: a character device with no backing node. */
function streamStat(): FileStat {
  return {
    dev: 0n,
    ino: 0n,
    filetype: defs.FILETYPE_CHARACTER_DEVICE,
    nlink: 1n,
    size: 0n,
    atim: 0n,
    mtim: 0n,
    ctim: 0n,
  };
}

/** Builds the `fd_*` functions over `state`. */
export function fdImports(state: WasiState): Record<string, WasiFunction> {
  const { memory, fds, fs } = state;

  /** Reads into the iovecs from `source(len)` until one comes back short. */
  const scatter = (iovsPtr: number, iovsLen: number, nreadPtr: number, source: (len: number) => Uint8Array) => {
    const iovecs = memory.iovecs(iovsPtr, iovsLen);
    memory.check(nreadPtr, 4);
    let total = 0;
    for (const [buf, len] of iovecs) {
      const chunk = source(len);
      memory.write(buf, chunk);
      total += chunk.byteLength;
      if (chunk.byteLength < len) break;
    }
    memory.setU32(nreadPtr, total);
    return defs.ERRNO_SUCCESS;
  };

  /**
   * The iovecs of a write as live views of guest memory, trimmed to
   * {@linkcode MAX_WRITE_BYTES} in total (a short write, as on Linux). No
   * bytes are copied here: each destination copies only what it keeps, so a
   * request for gigabytes (iovecs may overlap) never turns into a host
   * buffer of that size.
   */
  const gatherViews = (iovsPtr: number, iovsLen: number): Uint8Array[] => {
    const views: Uint8Array[] = [];
    let left = MAX_WRITE_BYTES;
    for (const [buf, len] of memory.iovecs(iovsPtr, iovsLen)) {
      if (left === 0) break;
      const take = Math.min(len, left);
      views.push(memory.input(buf, take));
      left -= take;
    }
    return views;
  };

  return {
    fd_advise: (fd: number, _offset: bigint, _len: bigint, advice: number) => {
      requireCapability(fileOf(fds.get(fd)), right(defs.RIGHTS_FD_ADVISE));
      if (advice > defs.ADVICE_NOREUSE) fail(defs.ERRNO_INVAL);
      return defs.ERRNO_SUCCESS;
    },
    fd_allocate: (fd: number, offset: bigint, len: bigint) => {
      const handle = fileOf(fds.get(fd));
      requireRights(handle, WRITE);
      requireCapability(handle, right(defs.RIGHTS_FD_ALLOCATE));
      const end = offsetOf(offset) + offsetOf(len);
      if (end > handle.node.size) fs.setSize(handle.node, end);
      return defs.ERRNO_SUCCESS;
    },
    fd_close: (fd: number) => {
      fds.close(fd);
      return defs.ERRNO_SUCCESS;
    },
    fd_datasync: (fd: number) => {
      fds.get(fd);
      return defs.ERRNO_SUCCESS;
    },
    fd_sync: (fd: number) => {
      requireCapability(fds.get(fd), right(defs.RIGHTS_FD_SYNC));
      return defs.ERRNO_SUCCESS;
    },
    fd_fdstat_get: (fd: number, ptr: number) => {
      const handle = fds.get(fd);
      const filetype = handle.kind === "file"
        ? defs.FILETYPE_REGULAR_FILE
        : handle.kind === "dir"
        ? defs.FILETYPE_DIRECTORY
        : defs.FILETYPE_CHARACTER_DEVICE;
      writeFdstat(memory, ptr, {
        filetype,
        flags: handle.fdflags,
        rightsBase: handle.rightsBase,
        rightsInheriting: handle.rightsInheriting,
      });
      return defs.ERRNO_SUCCESS;
    },
    fd_fdstat_set_flags: (fd: number, flags: number) => {
      const handle = fds.get(fd);
      requireCapability(handle, right(defs.RIGHTS_FD_FDSTAT_SET_FLAGS));
      if ((flags & ~FDFLAGS_KNOWN) !== 0) fail(defs.ERRNO_INVAL);
      // Only APPEND and NONBLOCK can change after open; the sync flags are fixed (as on Linux).
      const changeable = defs.FDFLAGS_APPEND | defs.FDFLAGS_NONBLOCK;
      if ((flags & ~changeable) !== (handle.fdflags & ~changeable)) fail(defs.ERRNO_NOTSUP);
      handle.fdflags = flags;
      return defs.ERRNO_SUCCESS;
    },
    fd_fdstat_set_rights: (fd: number, base: bigint, inheriting: bigint) => {
      const handle = fds.get(fd);
      if ((base & ~handle.rightsBase) !== 0n || (inheriting & ~handle.rightsInheriting) !== 0n) {
        fail(defs.ERRNO_NOTCAPABLE);
      }
      handle.rightsBase = base;
      handle.rightsInheriting = inheriting;
      return defs.ERRNO_SUCCESS;
    },
    fd_filestat_get: (fd: number, ptr: number) => {
      const handle = fds.get(fd);
      requireCapability(handle, right(defs.RIGHTS_FD_FILESTAT_GET));
      const stat = handle.kind === "file" || handle.kind === "dir" ? fs.stat(handle.node) : streamStat();
      writeFilestat(memory, ptr, stat);
      return defs.ERRNO_SUCCESS;
    },
    fd_filestat_set_size: (fd: number, size: bigint) => {
      const handle = fileOf(fds.get(fd), defs.ERRNO_INVAL);
      requireRights(handle, WRITE);
      requireCapability(handle, right(defs.RIGHTS_FD_FILESTAT_SET_SIZE));
      fs.setSize(handle.node, offsetOf(size));
      return defs.ERRNO_SUCCESS;
    },
    fd_filestat_set_times: (fd: number, atim: bigint, mtim: bigint, flags: number) => {
      const handle = fds.get(fd);
      if (handle.kind !== "file" && handle.kind !== "dir") fail(defs.ERRNO_BADF);
      requireCapability(handle, right(defs.RIGHTS_FD_FILESTAT_SET_TIMES));
      fs.setTimes(handle.node, atim, mtim, flags);
      return defs.ERRNO_SUCCESS;
    },
    fd_pread: (fd: number, iovs: number, iovsLen: number, offset: bigint, nread: number) => {
      const handle = fileOf(fds.get(fd), defs.ERRNO_SPIPE);
      requireRights(handle, READ);
      requireCapability(handle, SEEK);
      let at = offsetOf(offset);
      return scatter(iovs, iovsLen, nread, (len) => {
        const chunk = handle.node.readAt(at, len);
        at += chunk.byteLength;
        return chunk;
      });
    },
    fd_pwrite: (fd: number, iovs: number, iovsLen: number, offset: bigint, nwritten: number) => {
      const handle = fileOf(fds.get(fd), defs.ERRNO_SPIPE);
      requireRights(handle, WRITE);
      requireCapability(handle, SEEK);
      const data = gatherViews(iovs, iovsLen);
      memory.check(nwritten, 4);
      // Like Linux, an append-mode descriptor appends even for pwrite.
      const at = (handle.fdflags & defs.FDFLAGS_APPEND) !== 0 ? handle.node.size : offsetOf(offset);
      memory.setU32(nwritten, fs.write(handle.node, at, data));
      return defs.ERRNO_SUCCESS;
    },
    fd_read: (fd: number, iovs: number, iovsLen: number, nread: number) => {
      const handle = fds.get(fd);
      if (handle.kind === "stdin") {
        return scatter(iovs, iovsLen, nread, (len) => {
          const chunk = handle.data.subarray(handle.position, handle.position + len);
          handle.position += chunk.byteLength;
          return chunk;
        });
      }
      const file = fileOf(handle);
      requireRights(file, READ);
      return scatter(iovs, iovsLen, nread, (len) => {
        const chunk = file.node.readAt(file.position, len);
        file.position += chunk.byteLength;
        return chunk;
      });
    },
    fd_write: (fd: number, iovs: number, iovsLen: number, nwritten: number) => {
      const handle = fds.get(fd);
      const data = gatherViews(iovs, iovsLen);
      memory.check(nwritten, 4);
      if (handle.kind === "output") {
        requireRights(handle, WRITE);
        memory.setU32(nwritten, handle.sink.write(data));
        return defs.ERRNO_SUCCESS;
      }
      const file = fileOf(handle);
      requireRights(file, WRITE);
      if ((file.fdflags & defs.FDFLAGS_APPEND) !== 0) file.position = file.node.size;
      const written = fs.write(file.node, file.position, data);
      file.position += written;
      memory.setU32(nwritten, written);
      return defs.ERRNO_SUCCESS;
    },
    fd_seek: (fd: number, offset: bigint, whence: number, newOffsetPtr: number) => {
      const handle = fileOf(fds.get(fd), defs.ERRNO_SPIPE);
      const delta = BigInt.asIntN(64, offset);
      // Asking where the file position is (CUR + 0) is fd_tell's right; moving it is fd_seek's.
      requireCapability(handle, whence === defs.WHENCE_CUR && delta === 0n ? TELL : SEEK);
      let base: bigint;
      if (whence === defs.WHENCE_SET) base = 0n;
      else if (whence === defs.WHENCE_CUR) base = BigInt(handle.position);
      else if (whence === defs.WHENCE_END) base = BigInt(handle.node.size);
      else return fail(defs.ERRNO_INVAL);
      const next = base + delta;
      if (next < 0n) fail(defs.ERRNO_INVAL);
      if (next > BigInt(MAX_OFFSET)) fail(defs.ERRNO_FBIG);
      memory.check(newOffsetPtr, 8);
      handle.position = Number(next);
      memory.setU64(newOffsetPtr, next);
      return defs.ERRNO_SUCCESS;
    },
    fd_tell: (fd: number, ptr: number) => {
      const handle = fileOf(fds.get(fd), defs.ERRNO_SPIPE);
      requireCapability(handle, TELL);
      memory.setU64(ptr, BigInt(handle.position));
      return defs.ERRNO_SUCCESS;
    },
    fd_prestat_get: (fd: number, ptr: number) => {
      const handle = fds.get(fd);
      if (handle.kind !== "dir" || handle.preopenName === undefined) fail(defs.ERRNO_BADF);
      memory.check(ptr, 8);
      memory.setU32(ptr, defs.PREOPENTYPE_DIR);
      memory.setU32((ptr >>> 0) + 4, utf8Length(handle.preopenName));
      return defs.ERRNO_SUCCESS;
    },
    fd_prestat_dir_name: (fd: number, ptr: number, len: number) => {
      const handle = fds.get(fd);
      if (handle.kind !== "dir" || handle.preopenName === undefined) fail(defs.ERRNO_BADF);
      const name = encoder.encode(handle.preopenName);
      if ((len >>> 0) < name.byteLength) fail(defs.ERRNO_NAMETOOLONG);
      memory.write(ptr, name);
      return defs.ERRNO_SUCCESS;
    },
    fd_readdir: (fd: number, buf: number, bufLen: number, cookie: bigint, bufUsedPtr: number) => {
      const handle = fds.get(fd);
      if (handle.kind !== "dir") fail(defs.ERRNO_NOTDIR);
      requireCapability(handle, right(defs.RIGHTS_FD_READDIR));
      const dir = handle.node;
      const room = bufLen >>> 0;
      memory.check(buf, room);
      memory.check(bufUsedPtr, 4);
      const entries: Array<[string, bigint, number]> = [
        [".", fs.ctx.ino(dir), defs.FILETYPE_DIRECTORY],
        ["..", fs.ctx.ino(dir), defs.FILETYPE_DIRECTORY],
      ];
      if (!dir.removed) {
        for (const [name, node] of dir.entries) entries.push([name, fs.ctx.ino(node), fileType(node)]);
      }
      // The cookie is an opaque u64 (the i64 arrives signed): one past the end, or
      // beyond, is an empty read, as in wasmtime.
      const position = BigInt.asUintN(64, cookie);
      const start = position > BigInt(entries.length) ? entries.length : Number(position);
      let used = 0;
      for (let i = start; i < entries.length && used < room; i++) {
        const [name, ino, type] = entries[i]!;
        const nameBytes = encoder.encode(name);
        const record = new Uint8Array(24 + nameBytes.byteLength);
        const view = new DataView(record.buffer);
        view.setBigUint64(0, BigInt(i + 1), true);
        view.setBigUint64(8, ino, true);
        view.setUint32(16, nameBytes.byteLength, true);
        view.setUint8(20, type);
        record.set(nameBytes, 24);
        // A record that does not fit is written partially; the caller sees a full buffer and retries bigger.
        const part = record.subarray(0, Math.min(room - used, record.byteLength));
        memory.write((buf >>> 0) + used, part);
        used += part.byteLength;
      }
      memory.setU32(bufUsedPtr, used);
      return defs.ERRNO_SUCCESS;
    },
    fd_renumber: (from: number, to: number) => {
      const handle = fds.get(from);
      fds.get(to);
      if ((from >>> 0) === (to >>> 0)) return defs.ERRNO_SUCCESS;
      fds.close(to);
      fds.set(to >>> 0, handle);
      fds.close(from);
      return defs.ERRNO_SUCCESS;
    },
  };
}

