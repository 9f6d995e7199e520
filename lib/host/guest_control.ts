/**
 * What the host can do to a running guest from inside a host call: charge
 * fuel for host work, and stop the guest in a way it cannot catch.
 *
 * A host function can only end a call by returning or throwing, and wasm
 * exception handling (legacy `try`/`catch_all`, `try_table`) catches what an
 * import throws; only traps are uncatchable. {@linkcode GuestControl.stop}
 * therefore does three things: it forces the fuel global negative (and sets
 * the trap-reason global), so the guest traps at its next fuel check — at
 * the latest the next loop header or function entry; it refuses, from then
 * on, every host call of the instance without running it; and it keeps the
 * error, which the sandbox reports for the call however the guest ended it
 * (a trap, a normal return after swallowing the exception, or the exception
 * itself). An unmetered module has no fuel global: it still gets every
 * further host call refused and the call still ends with the error, but it
 * can compute on until it returns. See docs/AUDIT.md and docs/FUEL.md.
 *
 * @module
 */
import { FUEL_GLOBAL_EXPORT, TRAP_REASON_GLOBAL_EXPORT } from "../fuel/instrument.ts";

/**
 * The trap-reason value for a host-imposed stop. Injected code overwrites it
 * with 1 (out of fuel) when the forced-negative fuel makes it trap, so the
 * sandbox decides by {@linkcode GuestControl.stopped}, not by this value.
 */
export const HOST_STOP_TRAP_REASON = 3;

/** The fuel a stopped guest is left with: negative, so the next check traps. */
const STOPPED_FUEL = -1n;

/**
 * The lowest value a fuel charge leaves in the global. i64 arithmetic would
 * wrap a charge past -2^63 round to a huge budget; clamping here keeps the
 * global far from that for any number of charges between two checks.
 */
const FUEL_FLOOR = -(2n ** 62n);

/** Per-instance control over a guest: create one per instance, bind it once instantiated. */
export class GuestControl {
  #fuel: WebAssembly.Global | undefined;
  #reason: WebAssembly.Global | undefined;
  #stopped: Error | undefined;
  #fuelAtStop: bigint | undefined;
  /** Worker isolation: the globals live in the worker, so charges wait to be sent with the host call's answer. */
  #remote = false;
  #pendingCharge = 0n;

  /**
   * Finds the rewriter's fuel and trap-reason globals among the instance's
   * exports (absent when the module is unmetered). Host calls made by the
   * start function, before this, cannot be charged fuel.
   */
  bind(instance: WebAssembly.Instance): void {
    const exports = instance.exports;
    const global = (name: string) => exports[name] instanceof WebAssembly.Global ? exports[name] as WebAssembly.Global : undefined;
    this.#fuel = global(FUEL_GLOBAL_EXPORT);
    this.#reason = global(TRAP_REASON_GLOBAL_EXPORT);
  }

  /**
   * For a guest whose instance lives in a worker: charges are kept for
   * {@linkcode GuestControl.takeCharge} and a stop only refuses further calls
   * here (the worker forces its own globals when told).
   */
  bindRemote(): void {
    this.#remote = true;
  }

  /** The fuel charged since the last call of this (worker isolation sends it with each host call's answer). */
  takeCharge(): bigint {
    const charge = this.#pendingCharge;
    this.#pendingCharge = 0n;
    return charge;
  }

  /** The reason the guest was stopped (a SandboxError, or the exit of `proc_exit`); undefined while it runs freely. */
  get stopped(): Error | undefined {
    return this.#stopped;
  }

  /** The fuel the guest had when it was stopped (what it used up to the stop is its consumption). */
  get fuelAtStop(): bigint | undefined {
    return this.#fuelAtStop;
  }

  /**
   * Takes `units` of fuel from the guest's budget for work the host did on
   * its behalf. Over budget, the guest traps with OutOfFuel at its next
   * fuel check. A no-op for unmetered modules.
   */
  chargeFuel(units: number): void {
    const fuel = this.#fuel;
    if (units <= 0) return;
    if (!Number.isSafeInteger(units)) throw new RangeError(`a fuel charge must be a safe integer, got ${units}`);
    if (this.#remote) {
      this.#pendingCharge += BigInt(units);
      return;
    }
    if (fuel === undefined) return;
    const left = (fuel.value as bigint) - BigInt(units);
    fuel.value = left < FUEL_FLOOR ? FUEL_FLOOR : left;
  }

  /**
   * Stops the guest so that it cannot carry on: forces its fuel negative so
   * its next fuel check traps, refuses every later host call of this
   * instance, and throws `error` to unwind the current host call. The first
   * stop wins; a later one rethrows the first error.
   */
  stop(error: Error): never {
    if (this.#stopped === undefined) {
      this.#stopped = error;
      const fuel = this.#fuel;
      if (fuel !== undefined) {
        this.#fuelAtStop = fuel.value as bigint;
        fuel.value = STOPPED_FUEL;
      }
      if (this.#reason !== undefined) this.#reason.value = HOST_STOP_TRAP_REASON;
    }
    throw this.#stopped;
  }
}
