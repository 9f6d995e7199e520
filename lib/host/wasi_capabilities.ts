/**
 * Which capability each WASI preview1 function needs. Functions on file
 * descriptors need `wasi:stdio` for fds 0–2 and `wasi:fs` for the rest, so
 * their capability is chosen per call from the fd argument.
 *
 * @module
 */
import { Capabilities } from "./capabilities.ts";

/** Marks a function whose capability depends on its first (fd) argument. */
export const FD_DEPENDENT = "fd" as const;

const { WasiArgs, WasiEnv, WasiClock, WasiRandom, WasiProc, WasiFs } = Capabilities;

/** Capability per WASI function; `FD_DEPENDENT` for stdio-or-fs functions. */
export const WASI_FUNCTION_CAPABILITY: Readonly<Record<string, string>> = {
  args_get: WasiArgs,
  args_sizes_get: WasiArgs,
  environ_get: WasiEnv,
  environ_sizes_get: WasiEnv,
  clock_res_get: WasiClock,
  clock_time_get: WasiClock,
  poll_oneoff: WasiClock,
  random_get: WasiRandom,
  proc_exit: WasiProc,
  proc_raise: WasiProc,
  sched_yield: WasiProc,
  fd_advise: FD_DEPENDENT,
  fd_allocate: FD_DEPENDENT,
  fd_close: FD_DEPENDENT,
  fd_datasync: FD_DEPENDENT,
  fd_fdstat_get: FD_DEPENDENT,
  fd_fdstat_set_flags: FD_DEPENDENT,
  fd_fdstat_set_rights: FD_DEPENDENT,
  fd_filestat_get: FD_DEPENDENT,
  fd_filestat_set_size: FD_DEPENDENT,
  fd_filestat_set_times: FD_DEPENDENT,
  fd_pread: FD_DEPENDENT,
  fd_prestat_get: WasiFs,
  fd_prestat_dir_name: WasiFs,
  fd_pwrite: FD_DEPENDENT,
  fd_read: FD_DEPENDENT,
  fd_readdir: WasiFs,
  fd_renumber: FD_DEPENDENT,
  fd_seek: FD_DEPENDENT,
  fd_sync: FD_DEPENDENT,
  fd_tell: FD_DEPENDENT,
  fd_write: FD_DEPENDENT,
  path_create_directory: WasiFs,
  path_filestat_get: WasiFs,
  path_filestat_set_times: WasiFs,
  path_link: WasiFs,
  path_open: WasiFs,
  path_readlink: WasiFs,
  path_remove_directory: WasiFs,
  path_rename: WasiFs,
  path_symlink: WasiFs,
  path_unlink_file: WasiFs,
  sock_accept: WasiFs,
  sock_recv: WasiFs,
  sock_send: WasiFs,
  sock_shutdown: WasiFs,
};

/** The capability a call of `name` with first argument `fd` needs. */
export function wasiCapabilityFor(name: string, fd: number): string | undefined {
  const capability = WASI_FUNCTION_CAPABILITY[name];
  if (capability !== FD_DEPENDENT) return capability;
  return fd >>> 0 <= 2 ? Capabilities.WasiStdio : WasiFs;
}

/** A readable description of what an import needs, for `inspect`. */
export function describeWasiCapability(name: string): string {
  const capability = Object.hasOwn(WASI_FUNCTION_CAPABILITY, name) ? WASI_FUNCTION_CAPABILITY[name] : undefined;
  if (capability === undefined) return "unknown WASI function";
  return capability === FD_DEPENDENT ? `${Capabilities.WasiStdio} (fd 0-2) or ${WasiFs}` : capability;
}
