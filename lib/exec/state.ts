/**
 * Per-sandbox exec state: the execution counter behind `maxExecutions`.
 *
 * @module
 */

/** A counted execution that can still be given back. */
export interface ExecReservation {
  /** Uncounts the execution (its request was denied or invalid: nothing ran). Idempotent. */
  release(): void;
}

/** One sandbox's exec counter. */
export interface ExecState {
  /** Executions counted since creation or the last {@linkcode reset}. */
  readonly executions: number;
  /**
   * Counts one execution if fewer than `max` are counted, else returns
   * `undefined`. Counting before the command runs keeps concurrent async
   * calls from overshooting the limit.
   */
  tryReserve(max: number): ExecReservation | undefined;
  /** Sets the counter back to zero, e.g. between evaluation rounds. */
  reset(): void;
}

/**
 * A fresh counter for one sandbox.
 *
 * @example
 * ```ts
 * const state = createExecState();
 * execSync(request, policy, state);
 * state.reset();
 * ```
 */
export function createExecState(): ExecState {
  let executions = 0;
  // A reservation made before a reset must not be released into the new round.
  let generation = 0;
  return {
    get executions() {
      return executions;
    },
    tryReserve(max) {
      if (executions >= max) return undefined;
      executions++;
      const reservedIn = generation;
      let released = false;
      return {
        release() {
          if (released || reservedIn !== generation) return;
          released = true;
          executions--;
        },
      };
    },
    reset() {
      executions = 0;
      generation++;
    },
  };
}
