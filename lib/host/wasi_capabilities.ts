/**
 * Which capability each WASI preview1 function needs. Functions on a file
 * descriptor (fd_*, path_* on their directory fd, sock_*) need `wasi:stdio`
 * when the descriptor is stdin, stdout or stderr, `wasi:fs` when it is a file
 * or directory, and nothing when it is not open (they answer BADF, as on
 * any runtime): their capability is chosen per call from the fd argument.
 *
 * @module
 */
import { Capabilities } from "./capabilities.ts";

/** Marks a function whose capability depends on its first (fd) argument. */
export const FD_DEPENDENT = "fd" as const;

const { WasiArgs, WasiEnv, WasiClock, WasiRandom, WasiProc, WasiFs, WasiStdio } = Capabilities;

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
  fd_prestat_get: FD_DEPENDENT,
  fd_prestat_dir_name: FD_DEPENDENT,
  fd_pwrite: FD_DEPENDENT,
  fd_read: FD_DEPENDENT,
  fd_readdir: FD_DEPENDENT,
  fd_renumber: FD_DEPENDENT,
  fd_seek: FD_DEPENDENT,
  fd_sync: FD_DEPENDENT,
  fd_tell: FD_DEPENDENT,
  fd_write: FD_DEPENDENT,
  path_create_directory: FD_DEPENDENT,
  path_filestat_get: FD_DEPENDENT,
  path_filestat_set_times: FD_DEPENDENT,
  path_link: FD_DEPENDENT,
  path_open: FD_DEPENDENT,
  path_readlink: FD_DEPENDENT,
  path_remove_directory: FD_DEPENDENT,
  path_rename: FD_DEPENDENT,
  path_symlink: FD_DEPENDENT,
  path_unlink_file: FD_DEPENDENT,
  sock_accept: FD_DEPENDENT,
  sock_recv: FD_DEPENDENT,
  sock_send: FD_DEPENDENT,
  sock_shutdown: FD_DEPENDENT,
};

/** The capability a call on a descriptor of `area` needs (see {@linkcode WasiHost.fdArea}). */
export function capabilityForFdArea(area: "stdio" | "fs" | undefined): string | undefined {
  return area === undefined ? undefined : area === "fs" ? WasiFs : WasiStdio;
}

/** A readable description of what an import needs, for `inspect`. */
export function describeWasiCapability(name: string): string {
  const capability = Object.hasOwn(WASI_FUNCTION_CAPABILITY, name) ? WASI_FUNCTION_CAPABILITY[name] : undefined;
  if (capability === undefined) return "unknown WASI function";
  return capability === FD_DEPENDENT ? `${WasiStdio} (stdio fds) or ${WasiFs} (files and directories)` : capability;
}
