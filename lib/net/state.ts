/**
 * Per-sandbox network state: the request counter behind the policy's
 * `maxRequests`. Each request actually sent counts, redirect hops included.
 *
 * @module
 */

/** A counted request that can still be given back (nothing was sent after all). */
export interface NetworkReservation {
  /** Uncounts the request. Idempotent; a no-op after a {@linkcode NetworkState.reset}. */
  release(): void;
}

/** One sandbox's request counter. */
export interface NetworkState {
  /** Requests counted since creation or the last {@linkcode reset}. */
  readonly requests: number;
  /**
   * Counts one request if fewer than `max` are counted, else returns
   * `undefined`. Counting before the request is sent keeps concurrent
   * async calls from overshooting the limit.
   */
  tryReserve(max: number): NetworkReservation | undefined;
  /** Sets the counter back to zero. */
  reset(): void;
}

/**
 * A fresh counter for one sandbox.
 *
 * @example
 * ```ts
 * const state = createNetworkState();
 * const fn = httpRequestFunction({ state });
 * ```
 */
export function createNetworkState(): NetworkState {
  let requests = 0;
  // A reservation made before a reset must not be released into the new round.
  let generation = 0;
  return {
    get requests() {
      return requests;
    },
    tryReserve(max) {
      if (requests >= max) return undefined;
      requests++;
      const reservedIn = generation;
      let released = false;
      return {
        release() {
          if (released || reservedIn !== generation) return;
          released = true;
          requests--;
        },
      };
    },
    reset() {
      requests = 0;
      generation++;
    },
  };
}
