/**
 * The process-level preview1 functions: arguments, environment, clocks,
 * randomness, exit, signals, scheduling and the (unsupported) sockets.
 *
 * @module
 */
import { defs, WASIProcExit } from "./_defs.ts";
import { fail } from "./_errno.ts";
import type { WasiFunction, WasiState } from "./wasi_state.ts";

/** Largest single `random_get` request honoured (1 MiB); bigger is INVAL, not a host OOM. */
const MAX_RANDOM_BYTES = 1 << 20;

/** Writes a list of strings the way `args_get`/`environ_get` lay them out. */
function writeStringList(state: WasiState, list: readonly Uint8Array[], pointersPtr: number, bufPtr: number): number {
  const total = list.reduce((sum, item) => sum + item.byteLength + 1, 0);
  // Check both regions up front so nothing is written when either is bad.
  state.memory.check(pointersPtr, list.length * 4);
  state.memory.check(bufPtr, total);
  let at = bufPtr >>> 0;
  list.forEach((item, i) => {
    state.memory.setU32((pointersPtr >>> 0) + i * 4, at);
    state.memory.write(at, item);
    state.memory.write(at + item.byteLength, new Uint8Array(1));
    at += item.byteLength + 1;
  });
  return defs.ERRNO_SUCCESS;
}

/** Writes the count and total UTF-8 byte size (terminators included) of a list. */
function writeSizes(state: WasiState, list: readonly Uint8Array[], countPtr: number, sizePtr: number): number {
  const size = list.reduce((sum, item) => sum + item.byteLength + 1, 0);
  state.memory.check(countPtr, 4);
  state.memory.check(sizePtr, 4);
  state.memory.setU32(countPtr, list.length);
  state.memory.setU32(sizePtr, size);
  return defs.ERRNO_SUCCESS;
}

function readClock(state: WasiState, id: number): bigint {
  switch (id) {
    case defs.CLOCKID_REALTIME:
      return state.clock.realtimeNs();
    case defs.CLOCKID_MONOTONIC:
    case defs.CLOCKID_PROCESS_CPUTIME_ID:
    case defs.CLOCKID_THREAD_CPUTIME_ID:
      // CPU-time clocks are approximated by the monotonic clock (a sandbox cannot measure more).
      return state.clock.monotonicNs();
    default:
      return fail(defs.ERRNO_INVAL);
  }
}

/** Builds the process-level functions over `state`. */
export function processImports(state: WasiState): Record<string, WasiFunction> {
  return {
    args_sizes_get: (argc: number, bufSize: number) => writeSizes(state, state.args, argc, bufSize),
    args_get: (argv: number, buf: number) => writeStringList(state, state.args, argv, buf),
    environ_sizes_get: (count: number, bufSize: number) => writeSizes(state, state.env, count, bufSize),
    environ_get: (environ: number, buf: number) => writeStringList(state, state.env, environ, buf),

    clock_res_get: (id: number, resPtr: number) => {
      const resolution = id === defs.CLOCKID_REALTIME ? 1_000_000n : 1_000n;
      readClock(state, id); // validates the id
      state.memory.setU64(resPtr, resolution);
      return defs.ERRNO_SUCCESS;
    },
    clock_time_get: (id: number, _precision: bigint, timePtr: number) => {
      state.memory.check(timePtr, 8);
      state.memory.setU64(timePtr, readClock(state, id));
      return defs.ERRNO_SUCCESS;
    },

    random_get: (buf: number, len: number) => {
      const length = len >>> 0;
      const target = state.memory.output(buf, length);
      if (length > MAX_RANDOM_BYTES) {
        for (let at = 0; at < length; at += MAX_RANDOM_BYTES) {
          const chunk = new Uint8Array(Math.min(MAX_RANDOM_BYTES, length - at));
          state.random(chunk);
          state.memory.write((buf >>> 0) + at, chunk);
        }
        return defs.ERRNO_SUCCESS;
      }
      // Fill a private copy: the guest memory may be shared, and getRandomValues refuses shared views.
      const chunk = new Uint8Array(length);
      state.random(chunk);
      target.set(chunk);
      return defs.ERRNO_SUCCESS;
    },

    proc_exit: (code: number) => {
      throw new WASIProcExit(code >>> 0);
    },
    proc_raise: (_signal: number) => defs.ERRNO_NOSYS,
    sched_yield: () => defs.ERRNO_SUCCESS,

    sock_accept: (fd: number) => notSocket(state, fd),
    sock_recv: (fd: number) => notSocket(state, fd),
    sock_send: (fd: number) => notSocket(state, fd),
    sock_shutdown: (fd: number) => notSocket(state, fd),
  };
}

/** No descriptor is ever a socket: BADF for a closed fd, NOTSOCK otherwise. */
function notSocket(state: WasiState, fd: number): number {
  state.fds.get(fd);
  return defs.ERRNO_NOTSOCK;
}
