// Test helper: a WAT module that imports WASI functions and re-exports them,
// so tests can call each preview1 function directly with chosen pointers.
import { wat } from "../_helpers/wat.ts";
import { WasiHost } from "../../lib/wasi/mod.ts";
import type { WasiHostOptions } from "../../lib/wasi/mod.ts";

const SIGNATURES: Record<string, string> = {
  args_sizes_get: "(param i32 i32) (result i32)",
  args_get: "(param i32 i32) (result i32)",
  environ_sizes_get: "(param i32 i32) (result i32)",
  environ_get: "(param i32 i32) (result i32)",
  clock_time_get: "(param i32 i64 i32) (result i32)",
  random_get: "(param i32 i32) (result i32)",
  fd_write: "(param i32 i32 i32 i32) (result i32)",
  fd_read: "(param i32 i32 i32 i32) (result i32)",
  fd_pwrite: "(param i32 i32 i32 i64 i32) (result i32)",
  fd_close: "(param i32) (result i32)",
  fd_seek: "(param i32 i64 i32 i32) (result i32)",
  fd_readdir: "(param i32 i32 i32 i64 i32) (result i32)",
  fd_filestat_set_size: "(param i32 i64) (result i32)",
  fd_filestat_get: "(param i32 i32) (result i32)",
  fd_fdstat_get: "(param i32 i32) (result i32)",
  fd_fdstat_set_rights: "(param i32 i64 i64) (result i32)",
  fd_pread: "(param i32 i32 i32 i64 i32) (result i32)",
  fd_tell: "(param i32 i32) (result i32)",
  fd_filestat_set_times: "(param i32 i64 i64 i32) (result i32)",
  fd_prestat_get: "(param i32 i32) (result i32)",
  fd_prestat_dir_name: "(param i32 i32 i32) (result i32)",
  fd_renumber: "(param i32 i32) (result i32)",
  path_open: "(param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)",
  path_unlink_file: "(param i32 i32 i32) (result i32)",
  path_remove_directory: "(param i32 i32 i32) (result i32)",
  path_create_directory: "(param i32 i32 i32) (result i32)",
  path_rename: "(param i32 i32 i32 i32 i32 i32) (result i32)",
  path_symlink: "(param i32 i32 i32 i32 i32) (result i32)",
  path_readlink: "(param i32 i32 i32 i32 i32 i32) (result i32)",
  path_filestat_get: "(param i32 i32 i32 i32 i32) (result i32)",
  path_filestat_set_times: "(param i32 i32 i32 i32 i64 i64 i32) (result i32)",
  path_link: "(param i32 i32 i32 i32 i32 i32 i32) (result i32)",
  poll_oneoff: "(param i32 i32 i32 i32) (result i32)",
  proc_raise: "(param i32) (result i32)",
  sock_accept: "(param i32 i32 i32) (result i32)",
  sock_recv: "(param i32 i32 i32 i32 i32 i32) (result i32)",
  sock_send: "(param i32 i32 i32 i32 i32) (result i32)",
  sock_shutdown: "(param i32 i32) (result i32)",
};

let compiled: Promise<WebAssembly.Module> | undefined;

function probeModule(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    const lines = Object.entries(SIGNATURES).map(([name, sig]) =>
      `(import "wasi_snapshot_preview1" "${name}" (func $${name} ${sig}))\n(export "${name}" (func $${name}))`
    );
    const bytes = await wat(`(module\n${lines.join("\n")}\n(memory (export "memory") 1))`);
    return WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  })();
  return compiled;
}

/** Errno names used in assertions. */
export const E = {
  SUCCESS: 0,
  ACCES: 2,
  BADF: 8,
  EXIST: 20,
  FAULT: 21,
  FBIG: 22,
  ILSEQ: 25,
  INVAL: 28,
  ISDIR: 31,
  LOOP: 32,
  NAMETOOLONG: 37,
  NOENT: 44,
  NOSPC: 51,
  NOSYS: 52,
  NOTDIR: 54,
  NOTEMPTY: 55,
  NOTSOCK: 57,
  NOTSUP: 58,
  IO: 29,
  PERM: 63,
  ROFS: 69,
  SPIPE: 70,
  NOTCAPABLE: 76,
} as const;

/** Rights the tests ask for when opening files. */
export const RIGHTS_READ = 2n;
export const RIGHTS_WRITE = 64n;
export const OFLAGS = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 } as const;

/** Scratch addresses in the probe's 64 KiB memory. */
const PATH_AT = 1024;
const IOV_AT = 512;
const OUT_AT = 256;
const DATA_AT = 8192;

type Fn = (...args: Array<number | bigint>) => number;

/** One probe instance wired to a fresh WasiHost. */
export class Probe {
  readonly wasi: WasiHost;
  readonly fn: Record<string, Fn>;
  readonly memory: WebAssembly.Memory;

  private constructor(wasi: WasiHost, instance: WebAssembly.Instance) {
    this.wasi = wasi;
    this.fn = instance.exports as unknown as Record<string, Fn>;
    this.memory = instance.exports.memory as WebAssembly.Memory;
  }

  static async create(options: WasiHostOptions): Promise<Probe> {
    const wasi = new WasiHost(options);
    const instance = await WebAssembly.instantiate(await probeModule(), { wasi_snapshot_preview1: wasi.imports });
    wasi.bindMemory(() => instance.exports.memory as WebAssembly.Memory);
    return new Probe(wasi, instance);
  }

  get bytes(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }
  get view(): DataView {
    return new DataView(this.memory.buffer);
  }

  /** Puts raw bytes at PATH_AT and returns [ptr, len]. */
  putPath(path: string | Uint8Array): [number, number] {
    const bytes = typeof path === "string" ? new TextEncoder().encode(path) : path;
    this.bytes.set(bytes, PATH_AT);
    return [PATH_AT, bytes.byteLength];
  }

  /** path_open relative to `dirFd`; returns the errno and the new fd. */
  open(dirFd: number, path: string | Uint8Array, oflags = 0, rights = RIGHTS_READ, fdflags = 0, follow = 1) {
    const [ptr, len] = this.putPath(path);
    const errno = this.fn.path_open!(dirFd, follow, ptr, len, oflags, rights, 0n, fdflags, OUT_AT);
    return { errno, fd: this.view.getUint32(OUT_AT, true) };
  }

  /** fd_write of one buffer; returns errno and bytes written. */
  write(fd: number, data: string | Uint8Array) {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    this.bytes.set(bytes, DATA_AT);
    this.view.setUint32(IOV_AT, DATA_AT, true);
    this.view.setUint32(IOV_AT + 4, bytes.byteLength, true);
    const errno = this.fn.fd_write!(fd, IOV_AT, 1, OUT_AT);
    return { errno, n: this.view.getUint32(OUT_AT, true) };
  }

  /** fd_read of up to `max` bytes; returns errno and the bytes as text. */
  read(fd: number, max = 4096) {
    this.view.setUint32(IOV_AT, DATA_AT, true);
    this.view.setUint32(IOV_AT + 4, max, true);
    const errno = this.fn.fd_read!(fd, IOV_AT, 1, OUT_AT);
    const n = errno === 0 ? this.view.getUint32(OUT_AT, true) : 0;
    return { errno, text: new TextDecoder().decode(this.bytes.slice(DATA_AT, DATA_AT + n)) };
  }

  /** Calls a one-path function (`path_create_directory`, `path_unlink_file`...) on `dirFd`. */
  pathCall(name: string, dirFd: number, path: string | Uint8Array): number {
    const [ptr, len] = this.putPath(path);
    return this.fn[name]!(dirFd, ptr, len);
  }

  /** path_rename within one directory fd. */
  rename(dirFd: number, from: string, to: string): number {
    const a = new TextEncoder().encode(from);
    const b = new TextEncoder().encode(to);
    this.bytes.set(a, PATH_AT);
    this.bytes.set(b, PATH_AT + 2048);
    return this.fn.path_rename!(dirFd, PATH_AT, a.byteLength, dirFd, PATH_AT + 2048, b.byteLength);
  }

  /** path_symlink `target` at `path`. */
  symlink(target: string, dirFd: number, path: string): number {
    const a = new TextEncoder().encode(target);
    const b = new TextEncoder().encode(path);
    this.bytes.set(a, PATH_AT);
    this.bytes.set(b, PATH_AT + 2048);
    return this.fn.path_symlink!(PATH_AT, a.byteLength, dirFd, PATH_AT + 2048, b.byteLength);
  }

  /** Names listed by fd_readdir on `fd` (one big buffer). */
  readdir(fd: number): { errno: number; names: string[] } {
    const errno = this.fn.fd_readdir!(fd, DATA_AT, 16384, 0n, OUT_AT);
    const used = this.view.getUint32(OUT_AT, true);
    const names: string[] = [];
    let at = DATA_AT;
    while (errno === 0 && at + 24 <= DATA_AT + used) {
      const len = this.view.getUint32(at + 16, true);
      names.push(new TextDecoder().decode(this.bytes.slice(at + 24, at + 24 + len)));
      at += 24 + len;
    }
    return { errno, names };
  }

  /** The size field of path_filestat_get, or the errno. */
  fileSize(dirFd: number, path: string): { errno: number; size: bigint; filetype: number } {
    const [ptr, len] = this.putPath(path);
    const errno = this.fn.path_filestat_get!(dirFd, 0, ptr, len, DATA_AT);
    return { errno, size: this.view.getBigUint64(DATA_AT + 32, true), filetype: this.bytes[DATA_AT + 16]! };
  }
}

/** Compiles a WAT command module (with `_start`) and runs it under a fresh WasiHost. */
export async function runCommand(source: string, options: WasiHostOptions): Promise<{ wasi: WasiHost; code: number }> {
  const wasi = new WasiHost(options);
  const module = await WebAssembly.compile((await wat(source)) as Uint8Array<ArrayBuffer>);
  const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.imports });
  wasi.bindMemory(() => instance.exports.memory as WebAssembly.Memory);
  return { wasi, code: wasi.runStart(instance) };
}
