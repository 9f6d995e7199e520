/**
 * Time and randomness for WASI guests, injectable so that deterministic mode
 * gives identical runs on Node and Deno.
 *
 * @module
 */

/** The clocks a WASI guest can read. */
export interface WasiClock {
  /** Wall-clock time in ns since the Unix epoch. */
  realtimeNs(): bigint;
  /** A clock that never goes backwards, in ns from an arbitrary origin. */
  monotonicNs(): bigint;
  /**
   * When present, `poll_oneoff` calls this instead of sleeping: the clock is
   * fake and a sleep just moves it forward.
   */
  advanceNs?(ns: bigint): void;
}

/** Fills a buffer with random bytes. */
export type RandomSource = (buf: Uint8Array) => void;

const NS_PER_MS = 1_000_000n;

/**
 * The host's real clocks.
 *
 * @example
 * ```ts
 * const now = systemClock().realtimeNs();
 * ```
 */
export function systemClock(): WasiClock {
  return {
    realtimeNs: () => BigInt(Date.now()) * NS_PER_MS,
    monotonicNs: () => BigInt(Math.round(performance.now() * 1e6)),
  };
}

/**
 * A fake clock for reproducible runs: both clocks start at `startMs` (the
 * monotonic one at 0) and move forward by `stepMs` on every read, and by
 * exactly the requested amount when the guest sleeps.
 *
 * @example
 * ```ts
 * const clock = deterministicClock(1_700_000_000_000, 1);
 * clock.realtimeNs(); // 1700000000000000000n
 * clock.realtimeNs(); // 1700000000001000000n
 * ```
 */
export function deterministicClock(startMs: number, stepMs = 1): Required<WasiClock> {
  const start = BigInt(Math.trunc(startMs)) * NS_PER_MS;
  const step = BigInt(Math.trunc(stepMs * 1e6));
  let elapsed = 0n;
  const tick = (): bigint => {
    const now = elapsed;
    elapsed += step;
    return now;
  };
  return {
    realtimeNs: () => start + tick(),
    monotonicNs: () => tick(),
    advanceNs: (ns) => {
      if (ns > 0n) elapsed += ns;
    },
  };
}

/**
 * A seeded pseudo-random byte source (xoshiro128**): the same seed gives the
 * same bytes on every runtime. Not cryptographically secure, by design.
 *
 * @example
 * ```ts
 * const random = seededRandom(42);
 * const bytes = new Uint8Array(4);
 * random(bytes);
 * ```
 */
export function seededRandom(seed: number): RandomSource {
  // Expand the seed with splitmix32 so nearby seeds give unrelated streams.
  let s = seed >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const state = new Uint32Array([splitmix(), splitmix(), splitmix(), splitmix()]);
  const next = (): number => {
    const result = Math.imul(rotl(Math.imul(state[1], 5), 7), 9) >>> 0;
    const t = state[1] << 9;
    state[2] ^= state[0];
    state[3] ^= state[1];
    state[1] ^= state[2];
    state[0] ^= state[3];
    state[2] ^= t;
    state[3] = rotl(state[3], 11);
    return result;
  };
  return (buf) => {
    for (let i = 0; i < buf.length; i += 4) {
      let word = next();
      for (let j = i; j < Math.min(i + 4, buf.length); j++) {
        buf[j] = word & 0xff;
        word >>>= 8;
      }
    }
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The host's cryptographic random source (getRandomValues is capped at 64 KiB per call). */
export function systemRandom(): RandomSource {
  return (buf) => {
    for (let i = 0; i < buf.length; i += 65536) {
      // Guest memory is never a SharedArrayBuffer here (shared memories are refused), hence the cast.
      crypto.getRandomValues(buf.subarray(i, Math.min(buf.length, i + 65536)) as Uint8Array<ArrayBuffer>);
    }
  };
}

/**
 * Blocks the thread for `ms` without spinning: `Atomics.wait` on a private
 * SharedArrayBuffer that nobody ever notifies.
 */
export function blockingSleep(ms: number): void {
  if (!(ms > 0)) return;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(cell, 0, 0, ms);
}
