/**
 * Compiled modules, cached by the SHA-256 of their bytes plus everything that
 * changes the compiled result (limits, metering), so loading the same plugin
 * twice compiles once. Concurrent loads of one key share one compilation.
 *
 * @module
 */

/** Hit and miss counters of a {@linkcode ModuleCache}. */
export interface ModuleCacheStats {
  entries: number;
  hits: number;
  misses: number;
}

/** A keyed cache of asynchronously built values; failed builds are not kept. */
export class ModuleCache<T> {
  readonly #entries = new Map<string, Promise<T>>();
  #hits = 0;
  #misses = 0;

  /** The cached value for `key`, building it with `build` on a miss. */
  get(key: string, build: () => Promise<T>): Promise<T> {
    const cached = this.#entries.get(key);
    if (cached) {
      this.#hits++;
      return cached;
    }
    this.#misses++;
    const pending = build();
    this.#entries.set(key, pending);
    pending.catch(() => this.#entries.delete(key));
    return pending;
  }

  stats(): ModuleCacheStats {
    return { entries: this.#entries.size, hits: this.#hits, misses: this.#misses };
  }
}
