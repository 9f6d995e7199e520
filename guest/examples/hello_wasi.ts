// Example plugin: a WASI command that prints to stdout. AssemblyScript 0.28
// ships no WASI bindings of its own, so this declares the two WASI functions
// it needs. Compile with:
//   asc hello_wasi.ts --exportStart _start --use abort=guest/examples/hello_wasi/abortToExit
// so the module imports nothing but wasi_snapshot_preview1 (needs wasi:stdio,
// and wasi:proc for proc_exit, which it links even when it never aborts).

@external("wasi_snapshot_preview1", "fd_write")
declare function fd_write(fd: i32, iovs: i32, iovs_len: i32, nwritten: i32): i32;

@external("wasi_snapshot_preview1", "proc_exit")
declare function proc_exit(code: i32): void;

const STDOUT: i32 = 1;

/** Writes all of `text` as UTF-8 to `fd`; returns 0 or the WASI errno. */
function writeAll(fd: i32, text: string): i32 {
  const bytes = String.UTF8.encode(text);
  const iov = memory.data(8);
  const written = memory.data(4);
  let offset: i32 = 0;
  while (offset < bytes.byteLength) {
    store<i32>(iov, changetype<i32>(bytes) + offset);
    store<i32>(iov, bytes.byteLength - offset, 4);
    const errno = fd_write(fd, <i32>iov, 1, <i32>written);
    if (errno != 0) return errno;
    const n = load<i32>(written);
    if (n <= 0) return 29; // EIO: no progress
    offset += n;
  }
  return 0;
}

/** AssemblyScript's abort handler, routed to a WASI exit instead of an `env` import. */
function abortToExit(message: string | null, fileName: string | null, line: u32, column: u32): void {
  proc_exit(134);
}

writeAll(STDOUT, "Hello from WASI!\n");
