/**
 * An errno raised inside the WASI layer. Host functions throw it from deep
 * helpers and the import wrapper turns it into the function's return value,
 * so the guest only ever sees an errno, never a JS exception.
 *
 * @module
 */

/** A WASI errno travelling up the stack to the import boundary. */
export class WasiErrno extends Error {
  /** The preview1 errno value. */
  readonly errno: number;

  constructor(errno: number, message = `wasi errno ${errno}`) {
    super(message);
    this.name = "WasiErrno";
    this.errno = errno;
  }
}

/** Throws a {@linkcode WasiErrno}. */
export function fail(errno: number): never {
  throw new WasiErrno(errno);
}
