/**
 * `poll_oneoff`: clock subscriptions sleep without spinning (or advance a
 * fake clock), fd_read/fd_write subscriptions on stdio and files report
 * readiness at once (everything in the sandbox is in memory, so nothing ever
 * blocks).
 *
 * @module
 */
import { defs } from "./_defs.ts";
import { fail } from "./_errno.ts";
import { EVENT_BYTES, readSubscription, SUBSCRIPTION_BYTES, writeEvent } from "./_abi_structs.ts";
import type { PollEvent, Subscription } from "./_abi_structs.ts";
import type { WasiFunction, WasiState } from "./wasi_state.ts";

/** Most subscriptions accepted in one call. */
const MAX_SUBSCRIPTIONS = 4096;

/** The event an fd subscription produces right now. */
function fdEvent(state: WasiState, sub: Subscription): PollEvent {
  const event: PollEvent = { userdata: sub.userdata, error: 0, type: sub.tag, nbytes: 0n, flags: 0 };
  const handle = state.fds.peek(sub.fd);
  const reading = sub.tag === defs.EVENTTYPE_FD_READ;
  if (handle === undefined) {
    event.error = defs.ERRNO_BADF;
  } else if (handle.kind === "stdin" && reading) {
    const left = handle.data.byteLength - handle.position;
    event.nbytes = BigInt(left);
    if (left === 0) event.flags = defs.EVENTRWFLAGS_FD_READWRITE_HANGUP;
  } else if (handle.kind === "output" && !reading) {
    event.nbytes = 0n;
  } else if (handle.kind === "file") {
    event.nbytes = reading ? BigInt(Math.max(0, handle.node.size - handle.position)) : 0n;
  } else {
    event.error = defs.ERRNO_BADF;
  }
  return event;
}

/** Nanoseconds until a clock subscription fires (0 or less: already due). */
function clockRemaining(state: WasiState, sub: Subscription): bigint {
  let now: bigint;
  if (sub.clockId === defs.CLOCKID_REALTIME) now = state.clock.realtimeNs();
  else if (sub.clockId === defs.CLOCKID_MONOTONIC) now = state.clock.monotonicNs();
  else return fail(defs.ERRNO_INVAL);
  const absolute = (sub.flags & defs.SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME) !== 0;
  return absolute ? sub.timeout - now : sub.timeout;
}

/** Builds `poll_oneoff` over `state`. */
export function pollImports(state: WasiState): Record<string, WasiFunction> {
  return {
    poll_oneoff: (inPtr: number, outPtr: number, count: number, neventsPtr: number) => {
      const n = count >>> 0;
      if (n === 0 || n > MAX_SUBSCRIPTIONS) fail(defs.ERRNO_INVAL);
      state.memory.check(inPtr, n * SUBSCRIPTION_BYTES);
      state.memory.check(outPtr, n * EVENT_BYTES);
      state.memory.check(neventsPtr, 4);
      const subs = Array.from({ length: n }, (_, i) => readSubscription(state.memory, inPtr, i));

      const ready: PollEvent[] = [];
      const clocks: Array<{ sub: Subscription; remaining: bigint }> = [];
      for (const sub of subs) {
        if (sub.tag === defs.EVENTTYPE_CLOCK) {
          clocks.push({ sub, remaining: clockRemaining(state, sub) });
        } else if (sub.tag === defs.EVENTTYPE_FD_READ || sub.tag === defs.EVENTTYPE_FD_WRITE) {
          ready.push(fdEvent(state, sub));
        } else {
          fail(defs.ERRNO_INVAL);
        }
      }
      const clockEvent = (sub: Subscription): PollEvent => ({
        userdata: sub.userdata,
        error: 0,
        type: defs.EVENTTYPE_CLOCK,
        nbytes: 0n,
        flags: 0,
      });
      for (const { sub, remaining } of clocks) if (remaining <= 0n) ready.push(clockEvent(sub));
      const answer = () => {
        ready.forEach((event, i) => writeEvent(state.memory, outPtr, i, event));
        state.memory.setU32(neventsPtr, ready.length);
        return defs.ERRNO_SUCCESS;
      };
      if (ready.length === 0 && clocks.length > 0) {
        const soonest = clocks.reduce((min, c) => (c.remaining < min ? c.remaining : min), clocks[0]!.remaining);
        for (const { sub, remaining } of clocks) if (remaining <= soonest) ready.push(clockEvent(sub));
        const slept = state.sleep(soonest);
        if (slept instanceof Promise) return slept.then(answer);
      }
      return answer();
    },
  };
}
